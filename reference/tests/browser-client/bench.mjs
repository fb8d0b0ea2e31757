// Browser-side figures of the reference client against the reference sidecar, measured inside
// headless Chromium (run with run_check.py --bench): system.ping round trip and request throughput
// (§10.3, §10.4 procedures), log entries/s to one subscriber with rendering off (§10.5), and MB/s
// of a verified 10 MiB logs.getLarge export. One run; prints figures, asserts no speed. With
// FLAKE_CLIENT_BENCH set to the built flake-client-bench, the C++ reference client runs the same
// procedures against a sidecar started the same way, and its figures are printed beside.
import { execFile } from "node:child_process";
import { cpus, totalmem } from "node:os";
import { promisify } from "node:util";

const MIB = 1048576;

/** Runs the measurements in the page for one encoding. */
async function measure(page, url, token, encoding) {
  return page.evaluate(async (url, token, encoding) => {
    const client = new flake.FlakeClient({ url, token, encoding, fallback: "never", callTimeoutMs: 30000 });
    await client.connect();
    const rank = (sorted, p) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
    for (let i = 0; i < 200; i++) await client.call("system.ping"); // warm-up (§10.1)

    const samples = [];
    for (let i = 0; i < 2000; i++) {
      const t0 = performance.now();
      await client.call("system.ping");
      samples.push(performance.now() - t0);
    }
    samples.sort((a, b) => a - b);

    // 20,000 pings, at most 32 unanswered (§10.4).
    const TOTAL = 20000;
    let sent = 0;
    const t1 = performance.now();
    const lane = async () => {
      while (sent < TOTAL) {
        sent++;
        await client.call("system.ping");
      }
    };
    await Promise.all(Array.from({ length: 32 }, lane));
    const throughput = TOTAL / ((performance.now() - t1) / 1000);

    // 20,000 entries to one subscriber, handler only counts (§10.5).
    let received = 0;
    const sub = await client.subscribe("logs.subscribe", { service: "vercel" }, (p) => { received += p.entries.length; });
    const t2 = performance.now();
    await client.call("test.emitLogs", { service: "vercel", count: 20000, perNotification: 10 });
    const logSeconds = (performance.now() - t2) / 1000;
    await h.waitFor(() => received >= 20000, 10000, "20,000 entries");
    await sub.unsubscribe();

    client.close();
    return { p50: rank(samples, 50), p99: rank(samples, 99), throughput, logsPerSecond: 20000 / logSeconds, received };
  }, url, token, encoding);
}

/**
 * The same throughput procedure on a bare WebSocket, without the client: how much of the figure is
 * the browser's own message path (renderer, network process, loopback) rather than the client.
 */
async function measureBareSocket(page, url, token) {
  return page.evaluate(async (url, token) => {
    const ws = new WebSocket(url, ["flake.v1"]);
    await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject; });
    let answered = 0;
    let onAnswer = () => {};
    ws.onmessage = () => { answered++; onAnswer(); };
    ws.send(JSON.stringify({ jsonrpc: "2.0", id: 0, method: "auth.authenticate", params: { token } }));
    await new Promise((resolve) => { onAnswer = resolve; });
    const TOTAL = 20000;
    let sent = 0;
    answered = 0;
    const t0 = performance.now();
    await new Promise((resolve) => {
      const top = () => {
        while (sent < TOTAL && sent - answered < 32) ws.send(`{"jsonrpc":"2.0","id":${++sent},"method":"system.ping"}`);
        if (answered >= TOTAL) resolve(undefined);
      };
      onAnswer = top;
      top();
    });
    const rate = TOTAL / ((performance.now() - t0) / 1000);
    ws.close();
    return rate;
  }, url, token);
}

/** A verified export: request, every chunk, bytes + sha256, inflate, decode. */
async function measureExport(page, url, token) {
  return page.evaluate(async (url, token) => {
    const client = new flake.FlakeClient({ url, token, fallback: "never", callTimeoutMs: 30000 });
    await client.connect();
    await client.call("test.emitLogs", { service: "aws", count: 140000, perNotification: 1000 });
    const out = {};
    for (const [name, params] of [["json", { format: "json" }], ["msgpack", { format: "msgpack" }],
      ["msgpack+compress", { format: "msgpack", compress: true }]]) {
      await client.getLarge({ service: "aws", timeRange: "1h", ...params }); // warm-up
      const t0 = performance.now();
      const { meta, entries } = await client.getLarge({ service: "aws", timeRange: "1h", ...params });
      const seconds = (performance.now() - t0) / 1000;
      out[name] = { bytes: meta.bytes, entries: entries.length, seconds };
    }
    client.close();
    return out;
  }, url, token);
}

/** REST: POST /api/v1/rpc round trip from the page (fetch with Authorization). */
async function measureRest(page, url, token) {
  return page.evaluate(async (url, token) => {
    const client = new flake.FlakeClient({ url, token, fallback: "force" });
    await client.connect();
    for (let i = 0; i < 100; i++) await client.call("system.ping");
    const samples = [];
    for (let i = 0; i < 500; i++) {
      const t0 = performance.now();
      await client.call("system.ping");
      samples.push(performance.now() - t0);
    }
    samples.sort((a, b) => a - b);
    client.close();
    return { p50: samples[Math.ceil(samples.length / 2) - 1] };
  }, url, token);
}

export async function runBench(ctx) {
  const sidecar = await ctx.startSidecar(["--rate", "0", "--log-rate", "0", "--log-history", "200000"], "bench sidecar");
  const page = await ctx.openPage();
  const version = await page.browser().version();
  const isolated = await page.evaluate(() => self.crossOriginIsolated);
  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? "?"}, ${Math.round(totalmem() / 2 ** 30)} GiB; ` +
    `${version} headless; node ${process.version}; one run; ` +
    `timer ${isolated ? "cross-origin isolated (5 µs steps)" : "coarsened to 100 µs steps"}`);
  const f = (x, d = 0) => x.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });
  for (const encoding of ["json", "msgpack"]) {
    const m = await measure(page, sidecar.wsUrl, ctx.token, encoding);
    console.log(`${encoding.padEnd(8)} system.ping round trip p50 ${f(m.p50, 3)} ms, p99 ${f(m.p99, 3)} ms (2,000 sequential)`);
    console.log(`${encoding.padEnd(8)} request throughput ${f(m.throughput)} requests/s (20,000 pings, 32 in flight)`);
    console.log(`${encoding.padEnd(8)} log delivery ${f(m.logsPerSecond)} entries/s to one subscriber, rendering off (${f(m.received)} received)`);
  }
  const bare = await measureBareSocket(page, sidecar.wsUrl, ctx.token);
  console.log(`bare     request throughput ${f(bare)} requests/s on a WebSocket without the client (same procedure, JSON)`);
  const rest = await measureRest(page, sidecar.wsUrl, ctx.token);
  console.log(`REST     POST /api/v1/rpc system.ping round trip p50 ${f(rest.p50, 3)} ms (500 sequential, fetch)`);
  const e = await measureExport(page, sidecar.wsUrl, ctx.token);
  // Uncompressed payloads are the same MessagePack arrays in every format (base64 is only how JSON
  // carries them, §6.9), so MiB/s is given over that size for all three.
  const exportMib = e.msgpack.bytes / MIB;
  for (const [name, x] of Object.entries(e)) {
    console.log(`export   ${name.padEnd(16)} ${f(exportMib, 1)} MiB export (${f(x.bytes / MIB, 1)} MiB of chunk payload), ` +
      `${f(x.entries)} entries: ${f(exportMib / x.seconds, 1)} MiB/s, ${f(x.entries / x.seconds)} entries/s ` +
      `received, verified and decoded (${f(x.seconds * 1000)} ms)`);
  }
  const native = process.env.FLAKE_CLIENT_BENCH;
  if (!native) {
    console.log("C++      (set FLAKE_CLIENT_BENCH to the built flake-client-bench for the C++ client's figures)");
    return;
  }
  // A fresh sidecar with the same options, so that the C++ export is the same size as the page's.
  const again = await ctx.startSidecar(["--rate", "0", "--log-rate", "0", "--log-history", "200000"], "C++ bench sidecar");
  const { stdout } = await promisify(execFile)(native, [again.wsUrl, ctx.token], { timeout: 300000 });
  const c = JSON.parse(stdout);
  console.log(`C++      system.ping round trip p50 ${f(c.pingP50Ms, 3)} ms, p99 ${f(c.pingP99Ms, 3)} ms (reference client, JSON, same procedures)`);
  console.log(`C++      request throughput ${f(c.throughput)} requests/s (20,000 pings, 32 in flight)`);
  console.log(`C++      log delivery ${f(c.logsPerSecond)} entries/s to one subscriber (${f(c.logsReceived)} received)`);
  for (const [name, x] of Object.entries(c.exports)) {
    console.log(`C++ export ${name.padEnd(16)} ${f(exportMib, 1)} MiB export, ${f(x.entries)} entries: ` +
      `${f(exportMib / x.seconds, 1)} MiB/s, ${f(x.entries / x.seconds)} entries/s received, verified and decoded (${f(x.seconds * 1000)} ms)`);
  }
}
