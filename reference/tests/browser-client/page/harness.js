// In-page helpers the Node runner calls through page.evaluate: the client module itself, waiting
// with a deadline, and plain-data views of client events and errors (they cross to Node as JSON).
import * as flake from "/client/flake-client.js";
import * as fake from "/page/fake-socket.js";

/**
 * Polls until `predicate` holds, or fails after `ms`.
 * @param {() => boolean} predicate
 * @param {number} ms
 * @param {string} what said in the error
 */
async function waitFor(predicate, ms, what) {
  const deadline = performance.now() + ms;
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * A client whose events are recorded in order, as {event, ...detail, t} (t: ms since page load).
 * @param {import("/client/flake-client.js").FlakeClientOptions} options
 */
function recordedClient(options) {
  const client = new flake.FlakeClient(options);
  const events = [];
  for (const name of ["connected", "authenticated", "disconnected", "resumed", "resume_failed", "resubscribed",
    "gap", "gave_up", "attempt_failed", "fallback", "reset", "stream", "state"]) {
    client.on(name, (detail) => events.push({ event: name, ...detail, t: performance.now() }));
  }
  return { client, events };
}

/** An error as plain data. */
function plain(error) {
  return error ? { kind: error.kind ?? "other", code: error.code ?? null, message: String(error.message) } : null;
}

/**
 * Subscribes and collects logs.update params and their entries.
 * @param {flake.FlakeClient} client
 * @param {Record<string, unknown>} params
 */
async function collectLogs(client, params, options = {}) {
  const updates = [];
  const entries = [];
  const sub = await client.subscribe("logs.subscribe", params, (p) => {
    updates.push({ seq: p.seq, subscription: p.subscription, count: p.entries.length });
    for (const e of p.entries) entries.push(e);
  }, options);
  return { sub, updates, entries };
}

window.flake = flake;
window.h = { waitFor, recordedClient, plain, collectLogs, fake };
window.flakeReady = true;
