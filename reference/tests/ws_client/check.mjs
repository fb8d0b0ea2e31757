// Talks to a running reference sidecar with the npm `ws` client (an independent RFC 6455 / RFC 7692
// implementation): plain and permessage-deflate connections, large and pipelined requests, ping and
// pong, the closing handshake, a subscription burst, and the 1007 close for invalid UTF-8.
// Usage: node check.mjs --port N --token-file PATH [--timeout-ms N]
// (run_check.py starts the sidecar and passes its port.)
import { readFileSync } from "node:fs";
import WebSocket from "ws";

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const port = Number(arg("--port"));
const tokenFile = arg("--token-file");
const timeoutMs = Number(arg("--timeout-ms", "30000"));
if (!Number.isInteger(port) || port <= 0 || !tokenFile) {
  console.error("usage: node check.mjs --port N --token-file PATH [--timeout-ms N]");
  process.exit(2);
}
const token = readFileSync(tokenFile, "utf8").trim();
const url = `ws://127.0.0.1:${port}/rpc`;
const STEP_MS = 8000; // bound of any single wait; the whole run has timeoutMs
let lastConn = null;  // its ws errors explain a failed scenario better than a timeout does

// A hung sidecar must not hang ctest: whatever is pending, the run ends here.
const overall = setTimeout(() => {
  console.error(`FAIL: not done within ${timeoutMs} ms`);
  process.exit(1);
}, timeoutMs);

function within(promise, ms, what) {
  let timer;
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

// One client connection. Every incoming message gets an index so that ordering between responses
// and notifications can be judged after the fact, whatever batching of events node does.
class Conn {
  constructor(ws) {
    this.ws = ws;
    this.nextId = 1;
    this.pending = new Map();
    this.answered = new Set();
    this.index = 0;
    this.notifications = []; // { index, msg }
    this.problems = [];      // protocol deviations seen outside any awaited call
    this.received = 0;       // decoded bytes of data messages
    this.socket = null;      // the TCP socket, for on-the-wire byte counts
    this.extensionHeader = ""; // ws.extensions names extensions only; parameters are in here
    this.closed = new Promise((resolve) => {
      ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() }));
    });
    ws.on("message", (data, isBinary) => this.onMessage(data, isBinary));
    // ws reports what it cannot parse from the server (bad frames, bad deflate data) here.
    ws.on("error", (e) => this.problems.push(`ws error: ${e.message}`));
  }

  static open(options) {
    const ws = new WebSocket(url, "flake.v1", { handshakeTimeout: 5000, ...options });
    const conn = new Conn(ws);
    lastConn = conn;
    ws.on("upgrade", (res) => {
      conn.socket = res.socket;
      conn.extensionHeader = res.headers["sec-websocket-extensions"] ?? "";
    });
    return within(new Promise((resolve, reject) => {
      ws.once("open", () => resolve(conn));
      ws.once("error", (e) => reject(new Error(`WebSocket handshake failed: ${e.message}`)));
    }), STEP_MS, "WebSocket handshake");
  }

  onMessage(data, isBinary) {
    const index = this.index++;
    this.received += data.length;
    if (isBinary) {
      this.problems.push(`unexpected binary message (${data.length} bytes)`);
      return;
    }
    let msg;
    try { msg = JSON.parse(data.toString("utf8")); } catch {
      this.problems.push(`text message is not JSON: ${data.toString("utf8").slice(0, 200)}`);
      return;
    }
    if (msg && typeof msg === "object" && !Array.isArray(msg) && "id" in msg) {
      const done = this.pending.get(msg.id);
      if (!done) {
        this.problems.push(this.answered.has(msg.id) ? `id ${msg.id} answered twice`
          : `response with unknown id ${JSON.stringify(msg.id)}`);
        return;
      }
      this.pending.delete(msg.id);
      this.answered.add(msg.id);
      done({ msg, index });
    } else {
      this.notifications.push({ index, msg });
    }
  }

  // Sends one request and returns { msg, index } of its response.
  request(method, params) {
    const id = this.nextId++;
    const answer = new Promise((resolve) => this.pending.set(id, resolve));
    this.ws.send(JSON.stringify({ jsonrpc: "2.0", id, method, params }));
    return answer;
  }

  async call(method, params, ms = STEP_MS) {
    const { msg, index } = await within(this.request(method, params), ms, method);
    if (!("result" in msg)) throw new Error(`${method}: error answer ${JSON.stringify(msg)}`);
    return { result: msg.result, index };
  }

  checkClean() {
    if (this.problems.length) throw new Error(this.problems.slice(0, 5).join("; "));
  }

  async close(code, reason) {
    this.ws.close(code, reason);
    return within(this.closed, STEP_MS, `closing handshake (${code})`);
  }
}

// The sidecar runs on this machine with its clock untouched (no test.setClock), so `now` is close
// to ours; the bound catches a wrong unit (seconds) without being a timing test.
function checkPing(result, what) {
  if (!result || !Number.isInteger(result.now) || Math.abs(result.now - Date.now()) > 600000)
    throw new Error(`${what}: result ${JSON.stringify(result)}, ` +
      `want {"now":<ms epoch near ${Date.now()}>}`);
}

async function authenticate(conn) {
  const { result } = await conn.call("auth.authenticate",
    { token, clientInfo: { version: "1", platform: "node" } });
  if (typeof result?.sessionId !== "string" || result?.server?.protocol !== "flake.v1")
    throw new Error(`auth.authenticate: result ${JSON.stringify(result)}`);
  return result;
}

function requireDeflate(conn, label) {
  if (!conn.ws.extensions.includes("permessage-deflate"))
    throw new Error(`${label}: permessage-deflate not negotiated ` +
      `(extensions "${conn.ws.extensions}")`);
}

// Scenarios 1 and 2: the request/response round, ping/pong, and a client-started close.
async function rpcRound(label, deflate, wantExtension) {
  const conn = await Conn.open({ perMessageDeflate: deflate });
  if (conn.ws.protocol !== "flake.v1")
    throw new Error(`subprotocol "${conn.ws.protocol}", want flake.v1`);
  if (deflate) requireDeflate(conn, label);
  else if (conn.ws.extensions !== "")
    throw new Error(`extensions "${conn.ws.extensions}" though none offered`);
  if (wantExtension) wantExtension(conn.extensionHeader);

  await authenticate(conn);
  checkPing((await conn.call("system.ping")).result, "system.ping");
  const dashboard = (await conn.call("vercel.getDashboard", {})).result;
  if (!dashboard || typeof dashboard !== "object" || Array.isArray(dashboard))
    throw new Error(`vercel.getDashboard: result ${JSON.stringify(dashboard).slice(0, 200)}`);

  const sentBefore = conn.socket?.bytesWritten ?? 0;
  checkPing((await conn.call("system.ping", { pad: "x".repeat(1 << 20) }, 15000)).result,
    "system.ping with 1 MiB params");
  const padWire = (conn.socket?.bytesWritten ?? 0) - sentBefore;

  const PIPELINED = 1000;
  const firstId = conn.nextId;
  const answers = [];
  for (let i = 0; i < PIPELINED; i++) answers.push(conn.request("system.ping"));
  const all = await within(Promise.all(answers), 15000, `${PIPELINED} pipelined system.ping`)
    .catch((e) => { throw new Error(`${e.message} (${conn.pending.size} still unanswered)`); });
  const ids = new Set();
  for (const { msg } of all) {
    if (!("result" in msg))
      throw new Error(`pipelined system.ping: error answer ${JSON.stringify(msg)}`);
    checkPing(msg.result, `pipelined system.ping id ${msg.id}`);
    ids.add(msg.id);
  }
  if (ids.size !== PIPELINED || conn.pending.size !== 0)
    throw new Error(`pipelined ids ${firstId}..: ${ids.size} distinct answers, ` +
      `${conn.pending.size} pending`);

  const pong = within(new Promise((resolve) => conn.ws.once("pong", resolve)), STEP_MS, "pong");
  conn.ws.ping("hello");
  const payload = (await pong).toString();
  if (payload !== "hello") throw new Error(`pong payload "${payload}", want "hello"`);

  // Let stray messages (a second answer to some id) arrive before judging the connection clean.
  await new Promise((resolve) => setTimeout(resolve, 100));
  conn.checkClean();
  const { code, reason } = await conn.close(4000, "bye");
  if (code !== 4000)
    throw new Error(`close event code ${code} (reason "${reason}"), want the echoed 4000`);
  return `extensions "${conn.extensionHeader}", 1 MiB request took ${padWire} bytes on the wire`;
}

// Scenario 3: a 5,000-entry burst arrives whole, in seq order, before the emitLogs response.
async function subscriptionBurst(label, deflate) {
  const conn = await Conn.open({ perMessageDeflate: deflate });
  if (deflate) requireDeflate(conn, label);
  await authenticate(conn);
  const sub = (await conn.call("logs.subscribe", { service: "vercel" })).result?.subscription;
  if (typeof sub !== "string") throw new Error(`logs.subscribe: no subscription id`);
  const COUNT = 5000, PER = 50;
  const readBefore = conn.socket?.bytesRead ?? 0, decodedBefore = conn.received;
  const { result, index } = await conn.call("test.emitLogs",
    { service: "vercel", count: COUNT, perNotification: PER }, 20000);
  if (result?.emitted !== COUNT) throw new Error(`test.emitLogs: result ${JSON.stringify(result)}`);
  const wire = (conn.socket?.bytesRead ?? 0) - readBefore;
  const ratio = wire / Math.max(1, conn.received - decodedBefore);

  // Live fixture entries (--log-rate) share the subscription and the seq counter; test entries are
  // told apart by their source.
  const seqs = [], ns = [];
  for (const { index: at, msg } of conn.notifications) {
    if (msg.method !== "logs.update") continue;
    const p = msg.params ?? {};
    if (p.subscription !== sub)
      throw new Error(`logs.update for subscription ${p.subscription}, want ${sub}`);
    seqs.push(p.seq);
    const mine = (p.entries ?? []).filter((e) => e?.source === "test.emitLogs");
    if (mine.length === 0) continue;
    if (at > index)
      throw new Error(`test entries n=${mine[0].n}.. arrived after the emitLogs response`);
    if (mine.length !== PER)
      throw new Error(`a logs.update carries ${mine.length} test entries, want ${PER}`);
    for (const e of mine) ns.push(e.n);
  }
  for (let i = 0; i < seqs.length; i++) {
    if (seqs[i] !== i + 1)
      throw new Error(`seq ${JSON.stringify(seqs[i])} at position ${i}, ` +
        `want ${i + 1} (contiguous from 1)`);
  }
  if (ns.length !== COUNT)
    throw new Error(`${ns.length} test entries before the response, want ${COUNT}`);
  for (let n = 0; n < COUNT; n++) {
    if (ns[n] !== n)
      throw new Error(`test entry ${n} is n=${ns[n]} (lost, duplicated or out of order)`);
  }
  conn.checkClean();
  const { code } = await conn.close(1000, "done");
  if (code !== 1000) throw new Error(`close event code ${code}, want 1000`);
  return `${seqs.length} notifications, seq 1..${seqs.length}` +
    (deflate ? `, wire/decoded bytes ${(ratio * 100).toFixed(1)}%` : "");
}

// Scenario 4: ws sends a Buffer as a text frame without validating it, so 0xff reaches the sidecar
// as a text message that is not UTF-8 (§2.7: close 1007, no response).
async function invalidUtf8(label, deflate) {
  const conn = await Conn.open({ perMessageDeflate: deflate });
  if (deflate) requireDeflate(conn, label);
  await authenticate(conn);
  const before = conn.index;
  const answered = new Promise((resolve) => conn.ws.once("message", (data) => resolve(data)));
  conn.ws.send(Buffer.from([0xff]), { binary: false });
  const outcome = await within(Promise.race([conn.closed, answered]), STEP_MS,
    "close after invalid UTF-8");
  if (!("code" in outcome))
    throw new Error(`answered invalid UTF-8 with ${outcome.toString().slice(0, 200)} ` +
      "instead of closing 1007");
  const { code, reason } = outcome;
  if (code !== 1007) throw new Error(`close code ${code} (reason "${reason}"), want 1007`);
  if (conn.index !== before)
    throw new Error(`${conn.index - before} message(s) sent in answer to invalid UTF-8`);
  conn.checkClean();
  return `closed with 1007 "${reason}"`;
}

function noTakeoverParams(extensions) {
  // RFC 7692 §7.1.1.1 / §7.1.2.1: accepting the offer means echoing these two parameters.
  if (!/server_no_context_takeover/.test(extensions))
    throw new Error(`server_no_context_takeover requested but not in "${extensions}"`);
  const bits = /server_max_window_bits=(\d+)/.exec(extensions);
  if (!bits || Number(bits[1]) > 10)
    throw new Error(`server_max_window_bits=10 requested, response "${extensions}"`);
}

const NO_TAKEOVER = {
  serverNoContextTakeover: true, clientNoContextTakeover: true,
  serverMaxWindowBits: 10, clientMaxWindowBits: 9, threshold: 0,
};
const scenarios = [
  ["1 plain: rpc, 1 MiB, 1000 pipelined, ping, close 4000", () => rpcRound("plain", false)],
  ["2a deflate: rpc, 1 MiB, 1000 pipelined, ping, close 4000",
    () => rpcRound("deflate", { threshold: 0 })],
  ["2b deflate no takeover, window 10/9: same",
    () => rpcRound("no-takeover", NO_TAKEOVER, noTakeoverParams)],
  ["3a plain: 5000-entry logs burst", () => subscriptionBurst("plain", false)],
  ["3b deflate: 5000-entry logs burst", () => subscriptionBurst("deflate", { threshold: 0 })],
  ["4a plain: invalid UTF-8 text closes 1007", () => invalidUtf8("plain", false)],
  ["4b deflate: invalid UTF-8 text closes 1007", () => invalidUtf8("deflate", { threshold: 0 })],
];

let failed = 0;
for (const [name, run] of scenarios) {
  const started = Date.now();
  lastConn = null;
  try {
    const detail = await run();
    console.log(`ok   ${name} (${Date.now() - started} ms): ${detail}`);
  } catch (e) {
    failed += 1;
    const seen = lastConn?.problems.length
      ? ` [also seen: ${lastConn.problems.slice(0, 3).join("; ")}]` : "";
    console.log(`FAIL ${name} (${Date.now() - started} ms): ${e.message}${seen}`);
    lastConn?.ws.terminate();
  }
}
clearTimeout(overall);
console.log(failed ? `${failed} of ${scenarios.length} scenarios failed`
  : `all ${scenarios.length} scenarios passed`);
process.exit(failed ? 1 : 0);
