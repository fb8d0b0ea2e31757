// A §13 driver for the reference browser client: runs the §13.3 workload in headless Chromium and
// prints the §13.4 event lines, one JSON object per line, flushed. The page lives at
// http://tauri.localhost (lib/origin-server.mjs), an origin every sidecar allows by default.
// Usage (from the work directory run_check.py prepares, which holds node_modules and the client):
//   node driver.mjs [--chromium PATH] [URL TOKEN]   (else FLAKE_URL and FLAKE_TOKEN, §13.2)
// Stops on SIGTERM or SIGINT.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium } from "./lib/browser.mjs";
import { serveOrigin } from "./lib/origin-server.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const flag = argv.indexOf("--chromium");
const chromium = flag >= 0 ? argv.splice(flag, 2)[1] : "/usr/bin/chromium";
const env = process.env;
const number = (name, fallback) => (env[name] ? Number(env[name]) : fallback);
const config = {
  url: argv[0] ?? env.FLAKE_URL,
  token: argv[1] ?? env.FLAKE_TOKEN,
  services: (env.FLAKE_SERVICES ?? "vercel,supabase").split(","),
  backoffBaseMs: number("FLAKE_BACKOFF_BASE_MS", 1000),
  breakerOpenMs: number("FLAKE_BREAKER_OPEN_MS", 30000),
  callTimeoutMs: number("FLAKE_CALL_TIMEOUT_MS", 10000),
  callIntervalMs: number("FLAKE_CALL_INTERVAL_MS", 1000),
};
if (!config.url || !config.token) {
  console.error("usage: node driver.mjs [--chromium PATH] URL TOKEN (or FLAKE_URL and FLAKE_TOKEN)");
  process.exit(2);
}

const ORIGIN = "http://tauri.localhost";
let browser = null;
async function stop(code) {
  await browser?.close().catch(() => {});
  process.exit(code);
}
process.on("SIGTERM", () => stop(0));
process.on("SIGINT", () => stop(0));

try {
  browser = await launchChromium(chromium);
  const page = await browser.newPage();
  // Chromium's Local Network Access checks treat a page that came from no address (fulfilled by
  // the Fetch domain) as public, and block its WebSocket to 127.0.0.1 unless the origin holds the
  // loopback-network permission: grant it, as a WebView host or a user would.
  const session = await browser.target().createCDPSession();
  await session.send("Browser.setPermission", { permission: { name: "loopback-network" }, setting: "granted", origin: ORIGIN });
  await serveOrigin(page, ORIGIN, {
    "/page/": join(here, "page"),
    "/client/": join(here, "browser-client"),
    "/vendor/msgpack/": join(here, "node_modules", "@msgpack", "msgpack", "dist.esm"),
  });
  page.on("pageerror", (err) => process.stderr.write(`page error: ${err.message}\n`));
  await page.exposeFunction("emitLine", (line) => process.stdout.write(`${line}\n`));
  await page.goto(`${ORIGIN}/page/driver.html`, { waitUntil: "load" });
  await page.waitForFunction(() => window.driverReady === true, { timeout: 10000 });
  await page.evaluate((c) => window.runWorkload(c), config);
  // The workload ends only when the client gave up; the suite stops the driver either way.
  await new Promise(() => {});
} catch (error) {
  process.stderr.write(`driver: ${error.message}\n`);
  await stop(1);
}
