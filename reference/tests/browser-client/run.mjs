// Runs the reference browser client in headless Chromium against real flake-sidecar processes:
// each case file under cases/ exports its cases; this file sets up what they share (token, static
// server, browser), runs them one at a time with a deadline each, and prints "N passed, N failed".
// Usage: node run.mjs --sidecar PATH --chromium PATH --workdir DIR [--only NAME] [--bench]
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launchChromium, openPage } from "./lib/browser.mjs";
import { Sidecar } from "./lib/sidecar.mjs";
import { startStaticServer } from "./lib/static-server.mjs";

const argv = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : fallback;
};
const sidecarBin = arg("--sidecar");
const chromium = arg("--chromium", "/usr/bin/chromium");
const workdir = arg("--workdir", process.cwd());
const only = arg("--only");
if (!sidecarBin) {
  console.error("usage: node run.mjs --sidecar PATH [--chromium PATH] [--workdir DIR] [--only NAME] [--bench]");
  process.exit(2);
}

const CASE_FILES = ["transports", "export", "recovery", "client-rules", "sse-fallback", "origins", "demo", "driver"];
const CASE_DEADLINE_MS = 45000;

const tmp = mkdtempSync(join(tmpdir(), "flake-browser-"));
const token = randomBytes(16).toString("hex");
const tokenFile = join(tmp, "token");
writeFileSync(tokenFile, token, { mode: 0o600 });
const sidecars = [];
let server = null;
let browser = null;

async function cleanUp() {
  await browser?.close().catch(() => {});
  for (const s of sidecars) await s.stop().catch(() => {});
  await server?.close().catch(() => {});
  rmSync(tmp, { recursive: true, force: true });
}

/** Fails the case with `message` unless `condition` holds. */
function check(condition, message) {
  if (!condition) throw new Error(message);
}

async function main() {
  server = await startStaticServer({
    "/page/": join(workdir, "page"),
    "/client/": join(workdir, "browser-client"),
    "/vendor/msgpack/": join(workdir, "node_modules", "@msgpack", "msgpack", "dist.esm"),
  }, { isolated: argv.includes("--bench") });
  try {
    browser = await launchChromium(chromium);
  } catch (error) {
    console.error(`FAIL: Chromium did not start: ${error.message}`);
    return 1;
  }
  const allowedOrigin = `http://tauri.localhost:${server.port}`;
  const ctx = {
    token, tokenFile, workdir, check, allowedOrigin, chromium,
    foreignOrigin: `http://foreign.localhost:${server.port}`,
    /** Starts a sidecar that allows the test page's origin (§4.4); stopped at the end. */
    async startSidecar(args = [], name = "sidecar") {
      const s = new Sidecar({ bin: sidecarBin, tokenFile, name, args: ["--allow-origin", allowedOrigin, ...args] });
      sidecars.push(s);
      await s.start();
      return s;
    },
    /** Opens the test page (or another page of page/) from an origin. */
    openPage(origin = allowedOrigin, path = "/page/test-page.html") {
      return openPage(browser, origin + path, join(workdir, "page-console.log"));
    },
    /** The sidecar most cases share: only emitted entries (--log-rate 0), room for a 10 MiB export. */
    async mainSidecar() {
      shared.sidecar ??= ctx.startSidecar(["--log-rate", "0", "--log-history", "200000"], "main sidecar");
      return shared.sidecar;
    },
    /** The test page on the allowed origin that most cases share. */
    async mainPage() {
      shared.page ??= ctx.openPage();
      return shared.page;
    },
  };
  const shared = {};
  if (argv.includes("--bench")) {
    const { runBench } = await import("./bench.mjs");
    await runBench(ctx);
    return 0;
  }

  let passed = 0;
  let failed = 0;
  for (const file of CASE_FILES) {
    const { cases } = await import(`./cases/${file}.mjs`);
    for (const [name, fn] of Object.entries(cases)) {
      const full = `${file}: ${name}`;
      if (only && !full.includes(only)) continue;
      const t0 = performance.now();
      let timer;
      try {
        const note = await Promise.race([fn(ctx), new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`not done within ${CASE_DEADLINE_MS} ms`)), CASE_DEADLINE_MS);
        })]);
        passed++;
        console.log(`ok   ${full} (${Math.round(performance.now() - t0)} ms)${note ? ` — ${note}` : ""}`);
      } catch (error) {
        failed++;
        console.log(`FAIL ${full} (${Math.round(performance.now() - t0)} ms): ${error.message}`);
      } finally {
        clearTimeout(timer);
      }
    }
  }
  for (const s of sidecars) {
    const status = await s.stop();
    if (status.code !== 0 && status.signal !== "not running") {
      failed++;
      console.log(`FAIL ${s.name} exited with ${status.code ?? status.signal} after SIGTERM, want 0`);
    }
  }
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 && passed > 0 ? 0 : 1;
}

const overall = setTimeout(() => {
  console.error("FAIL: the run did not end within 170 s");
  cleanUp().finally(() => process.exit(1));
}, 170000);
main().then(async (code) => {
  clearTimeout(overall);
  await cleanUp();
  process.exit(code);
}, async (error) => {
  console.error(`FAIL: ${error.stack ?? error}`);
  await cleanUp();
  process.exit(1);
});
