// Reads the reference sidecar's SSE logs stream with the npm `eventsource` client (an independent
// WHATWG EventSource implementation): events, ids, and the client's own reconnection with
// Last-Event-ID after a dropped connection. Every connection attempt gets a fresh one-time ticket
// through the client's `fetch` option.
// Usage: node --experimental-websocket check.mjs --sidecar PATH [--timeout-ms N] [--defect NAME]
// (--defect runs the reference with that defect switch, to see the check fail.)
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { randomBytes } from "node:crypto";
import { EventSource } from "eventsource";

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const sidecarPath = arg("--sidecar");
const timeoutMs = Number(arg("--timeout-ms", "25000"));
const defect = arg("--defect");
if (!sidecarPath) {
  console.error("usage: node check.mjs --sidecar PATH [--timeout-ms N]");
  process.exit(2);
}

const SERVICE = "vercel";
const PATH = `/api/v1/stream/logs/${SERVICE}`;
const FIRST = 3;  // entries emitted while connected
const SECOND = 6; // entries emitted while the client is disconnected

const dir = mkdtempSync(join(tmpdir(), "flake-es-"));
const token = randomBytes(16).toString("hex");
writeFileSync(join(dir, "token"), token);
// --log-rate 0: only emitted entries reach the stream, so every id is accounted for.
const sidecar = spawn(sidecarPath, ["--port", "0", "--token-file", join(dir, "token"),
  "--conformance", "--log-rate", "0", ...(defect ? ["--defect", defect] : [])], { stdio: ["ignore", "pipe", "inherit"] });

const failures = [];
const fail = (msg) => failures.push(msg);
let finished = false;
let rpc = null;

function finish(code) {
  if (finished) return;
  finished = true;
  try { rpc?.close(); } catch { /* not open */ }
  sidecar.kill("SIGTERM");
  rmSync(dir, { recursive: true, force: true });
  for (const f of failures) console.error(`FAIL: ${f}`);
  process.exit(code);
}
const overall = setTimeout(() => {
  fail(`not done within ${timeoutMs} ms`);
  finish(1);
}, timeoutMs);
sidecar.on("exit", (code, signal) => {
  if (!finished) {
    fail(`sidecar exited early (${code ?? signal})`);
    finish(1);
  }
});

const port = await new Promise((resolve) => {
  createInterface({ input: sidecar.stdout }).on("line", (line) => {
    const m = /listening on ws:\/\/[^/ ]+:([0-9]{1,5})\/rpc\s*$/.exec(line);
    if (m) resolve(Number(m[1]));
  });
});
const base = `http://127.0.0.1:${port}`;
const auth = { Authorization: `Bearer ${token}`, "Content-Type": "application/json" };

async function ticket() {
  const r = await fetch(`${base}/api/v1/auth/ticket`, { method: "POST", headers: auth, body: "{}" });
  if (r.status !== 200) throw new Error(`ticket: HTTP ${r.status}`);
  return (await r.json()).ticket;
}

// test.emitLogs needs a WebSocket in the reference (its emit jobs run on the calling socket), so
// events are produced through one authenticated /rpc connection.
if (typeof WebSocket !== "function") {
  console.error("this node has no WebSocket; run it with --experimental-websocket (node 20)");
  process.exit(2);
}
rpc = new WebSocket(`ws://127.0.0.1:${port}/rpc`, "flake.v1");
const pending = new Map();
let nextId = 1;
rpc.addEventListener("message", (m) => {
  const msg = JSON.parse(String(m.data));
  const done = pending.get(msg.id);
  if (done) { pending.delete(msg.id); done(msg); }
});
function call(method, params) {
  const id = nextId++;
  return new Promise((resolve) => {
    pending.set(id, resolve);
    rpc.send(JSON.stringify({ jsonrpc: "2.0", id, method, params }));
  });
}
await new Promise((resolve, reject) => {
  rpc.addEventListener("open", resolve);
  rpc.addEventListener("error", () => reject(new Error("WebSocket to /rpc failed")));
});
const authAnswer = await call("auth.authenticate", { token });
if (!authAnswer.result) throw new Error(`auth.authenticate: ${JSON.stringify(authAnswer)}`);

async function emit(count) {
  const answer = await call("test.emitLogs", { service: SERVICE, count, perNotification: 1 });
  if (answer?.result?.emitted !== count) throw new Error(`test.emitLogs: ${JSON.stringify(answer)}`);
}

// The client's fetch: a fresh ticket on every attempt, the request's Last-Event-ID recorded, and
// a body we can cut to simulate a dropped connection (the client then reconnects by itself).
const attempts = [];
let cutCurrent = () => {};
async function ticketFetch(url, init) {
  const u = new URL(url);
  u.searchParams.set("ticket", await ticket());
  const headers = new Headers(init.headers);
  attempts.push({ lastEventId: headers.get("last-event-id") });
  const response = await fetch(u, init);
  if (!response.body) return response;
  const reader = response.body.getReader();
  let cut = false;
  const wrapped = new ReadableStream({
    start(controller) {
      cutCurrent = () => {
        cut = true;
        reader.cancel().catch(() => {});
        try { controller.close(); } catch { /* already closed */ }
      };
      (async () => {
        for (;;) {
          const { value, done } = await reader.read().catch(() => ({ done: true }));
          if (cut) return;
          if (done) { try { controller.close(); } catch { /* closed */ } return; }
          controller.enqueue(value);
        }
      })();
    },
    cancel() { cut = true; reader.cancel().catch(() => {}); },
  });
  return new Response(wrapped, { status: response.status, headers: response.headers });
}

const events = []; // { id, type, data }
let opens = 0;
let phase = "first";
let lastIdBeforeCut = null;

const es = new EventSource(`${base}${PATH}`, { fetch: ticketFetch });
es.addEventListener("open", async () => {
  opens += 1;
  try {
    if (opens === 1) await emit(FIRST);
  } catch (e) {
    fail(String(e));
    finish(1);
  }
});
es.addEventListener("error", (e) => {
  if (phase === "first" || phase === "done") {
    fail(`EventSource error before the planned drop: ${e.message ?? e.code ?? "unknown"}`);
    finish(1);
  }
});
es.addEventListener("reset", (e) => {
  fail(`unexpected reset event (data ${e.data}): the replay ring lost events`);
});

const testEntries = () => events.filter((e) => e.entry?.source === "test.emitLogs").length;

es.addEventListener("logs.update", async (e) => {
  let data;
  try { data = JSON.parse(e.data); } catch { fail(`data is not JSON: ${e.data}`); return; }
  const entries = Array.isArray(data.entries) ? data.entries : [];
  for (const entry of entries.length ? entries : [undefined]) {
    events.push({ id: e.lastEventId, type: e.type, data, entry });
  }
  if (phase === "first" && testEntries() >= FIRST) {
    phase = "dropped";
    lastIdBeforeCut = e.lastEventId;
    cutCurrent();
    try { await emit(SECOND); } catch (err) { fail(String(err)); finish(1); }
  } else if (phase === "dropped" && testEntries() >= FIRST + SECOND) {
    phase = "done";
    es.close();
    verify();
  }
});

function verify() {
  const ids = [...new Set(events.map((e) => e.id))];
  const all = events.map((e) => e.id);
  // Each notification carries one entry (perNotification 1), so ids are unique per event.
  if (all.length !== ids.length) fail(`duplicate event ids: ${all.join(",")}`);
  for (let i = 0; i < ids.length; i++) {
    if (!/^[0-9]+$/.test(ids[i])) fail(`id ${ids[i]} is not a decimal`);
    if (i > 0 && Number(ids[i]) !== Number(ids[i - 1]) + 1) fail(`id gap: ${ids[i - 1]} then ${ids[i]}`);
  }
  for (const e of events) {
    if (e.type !== "logs.update") fail(`event type ${e.type}`);
    if (String(e.data.seq) !== e.id) fail(`seq ${e.data.seq} differs from id ${e.id}`);
    if (e.data.subscription !== PATH) fail(`subscription ${e.data.subscription}`);
  }
  const ns = events.filter((e) => e.entry?.source === "test.emitLogs").map((e) => e.entry.n);
  const want = [...Array(FIRST).keys(), ...Array(SECOND).keys()];
  if (JSON.stringify(ns) !== JSON.stringify(want))
    fail(`test entries n = ${ns.join(",")}, want ${want.join(",")} (nothing lost or duplicated)`);
  if (opens < 2) fail(`the client opened ${opens} time(s); a reconnection was expected`);
  const reconnect = attempts[1];
  if (!reconnect) fail("no second connection attempt");
  else if (reconnect.lastEventId !== lastIdBeforeCut)
    fail(`reconnection sent Last-Event-ID ${reconnect.lastEventId}, want ${lastIdBeforeCut}`);
  if (attempts[0]?.lastEventId) fail(`first attempt sent Last-Event-ID ${attempts[0].lastEventId}`);
  if (failures.length === 0) {
    console.log(`ok: ${events.length} events (ids ${ids[0]}..${ids[ids.length - 1]}), ` +
      `${attempts.length} connections, reconnected with Last-Event-ID ${lastIdBeforeCut}`);
  }
  clearTimeout(overall);
  finish(failures.length === 0 ? 0 : 1);
}
