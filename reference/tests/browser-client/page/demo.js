// The live log tail of demo.html: subscribes to one service's logs, shows the newest rows and the
// connection's events, and counts seq gaps itself (independently of the client's own detection).
// A session that could not be resumed (the sidecar restarted, §4.9) starts a new run of seq at 1.
import { FlakeClient } from "/client/flake-client.js";

const MAX_ROWS = 18;
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

/** What the test reads back: the seqs shown, one run per session; gaps counted here; events in order. */
const demo = { runs: [[]], gaps: 0, entries: 0, events: [], client: null, drop: null };
window.demo = demo;

function logEvent(text) {
  demo.events.push(text);
  const li = document.createElement("li");
  li.textContent = `${new Date().toISOString().slice(11, 23)} ${text}`;
  $("events").append(li);
}

/**
 * @param {{url: string, token: string, service: string, backoffBaseMs?: number}} config
 */
window.startDemo = async ({ url, token, service, backoffBaseMs = 1000 }) => {
  const client = new FlakeClient({ url, token, backoffBaseMs, clientInfo: { version: "demo", platform: "browser" } });
  demo.client = client;
  $("service").textContent = service;
  let replaying = 0; // rows that arrive through a resume's replay are tinted
  client.on("state", ({ state }) => {
    $("state").textContent = state;
    $("state").className = `pill ${state}`;
  });
  client.on("connected", () => logEvent("connected"));
  client.on("authenticated", ({ sessionId }) => logEvent(`authenticated (new session ${sessionId.slice(0, 8)}…)`));
  client.on("disconnected", ({ code }) => logEvent(`disconnected${code ? ` (close ${code})` : " (no close frame)"}`));
  client.on("resumed", ({ replayed }) => {
    replaying = replayed;
    $("resumes").textContent = String(Number($("resumes").textContent) + 1);
    logEvent(`resumed: ${replayed} notifications replayed (session ${client.sessionId.slice(0, 8)}…)`);
  });
  client.on("resume_failed", ({ code }) => {
    demo.runs.push([]); // a new session: its notifications start again at seq 1 (§6.2)
    logEvent(`resume failed (${code}): new session, subscribing again`);
  });
  client.on("gap", ({ expected, seq }) => logEvent(`gap: expected seq ${expected}, got ${seq}`));
  client.on("fallback", ({ reason }) => logEvent(`REST + SSE fallback: ${reason}`));
  await client.connect();
  await client.subscribe("logs.subscribe", { service }, (params) => {
    const run = /** @type {number[]} */ (demo.runs.at(-1));
    const expected = run.length === 0 ? (demo.runs.length > 1 ? 1 : params.seq) : /** @type {number} */ (run.at(-1)) + 1;
    if (params.seq !== expected) {
      demo.gaps++;
      $("gaps").textContent = String(demo.gaps);
      $("gaps").className = "bad";
    }
    run.push(params.seq);
    $("seq").textContent = String(params.seq);
    $("session").textContent = `${client.sessionId.slice(0, 8)}…`;
    const replayed = replaying > 0;
    if (replaying > 0) replaying--;
    for (const entry of params.entries) {
      demo.entries++;
      const tr = document.createElement("tr");
      if (replayed) tr.className = "replayed";
      for (const [text, cls] of [[String(params.seq), ""], [new Date(entry.ts).toISOString().slice(11, 23), ""],
        [entry.level, entry.level], [entry.source ?? "", ""], [entry.message, "msg"]]) {
        const td = document.createElement("td");
        td.textContent = text;
        if (cls) td.className = cls;
        tr.append(td);
      }
      $("rows").prepend(tr);
    }
    while ($("rows").children.length > MAX_ROWS) $("rows").lastElementChild?.remove();
  });
  $("session").textContent = `${client.sessionId.slice(0, 8)}…`;
  logEvent(`subscribed to ${service} logs`);
  // For the test: lose the connection the way the sidecar's test method does (no close frame).
  demo.drop = () => client.call("test.dropSession").catch(() => undefined);
};
window.demoReady = true;
