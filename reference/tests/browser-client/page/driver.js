// The §13.3 workload in the page, reporting the §13.4 event lines through window.emitLine (which
// driver.mjs exposes and prints): connect, subscribe, one batch, three exports, then the call loop.
import { FlakeClient } from "/client/flake-client.js";

/** @param {Record<string, unknown>} line */
const emit = (line) => window.emitLine(JSON.stringify(line));

/** A call's end as §13.4 names it. */
function outcomeOf(error) {
  if (!error) return { outcome: "result" };
  if (error.kind === "rpc") return { outcome: "error", code: error.code };
  return { outcome: error.kind === "breaker" ? "breaker" : error.kind === "timeout" ? "timeout" : "transport" };
}

/**
 * @param {{url: string, token: string, services: string[], backoffBaseMs: number,
 *          breakerOpenMs: number, callTimeoutMs: number, callIntervalMs: number}} config
 */
window.runWorkload = async (config) => {
  const [S, T] = config.services;
  const client = new FlakeClient({ url: config.url, token: config.token, backoffBaseMs: config.backoffBaseMs,
    breakerOpenMs: config.breakerOpenMs, callTimeoutMs: config.callTimeoutMs, fallback: "never",
    clientInfo: { version: "0.1.0", platform: "browser-driver" } });
  let gaveUp = false;
  client.on("connected", () => emit({ event: "connected" }));
  client.on("authenticated", ({ sessionId }) => emit({ event: "authenticated", sessionId }));
  client.on("disconnected", ({ code }) => emit(code === undefined ? { event: "disconnected" } : { event: "disconnected", code }));
  client.on("resumed", ({ replayed }) => emit({ event: "resumed", replayed }));
  client.on("resume_failed", ({ code }) => emit({ event: "resume_failed", code }));
  client.on("resubscribed", ({ method, subscription }) => emit({ event: "subscribed", method, subscription }));
  client.on("gap", ({ expected, seq }) => emit({ event: "gap", expected, seq }));
  client.on("gave_up", () => { gaveUp = true; emit({ event: "gave_up" }); });

  try {
    await client.connect(); // steps 1 and 2
  } catch {
    return; // gave up (reported) or a wrong token
  }
  const onUpdate = (params, method) => emit({ event: "notification", method, subscription: params.subscription, seq: params.seq });
  for (const method of ["logs.subscribe", "metrics.subscribe"]) { // step 3
    try {
      const sub = await client.subscribe(method, { service: S }, onUpdate);
      emit({ event: "subscribed", method, subscription: sub.id });
    } catch (error) {
      emit({ event: "call", method, ...outcomeOf(error) });
    }
  }
  const members = [{ method: "system.ping" }, { method: `${S}.getDashboard` }, { method: `${T}.getDashboard` }];
  try { // step 4
    const outcomes = await client.batch(members);
    outcomes.forEach((o, i) => emit({ event: "call", method: members[i].method, ...outcomeOf(o?.error) }));
  } catch (error) {
    for (const m of members) emit({ event: "call", method: m.method, ...outcomeOf(error) });
  }
  for (const params of [{ format: "json" }, { format: "msgpack" }, { format: "msgpack", compress: true }]) { // step 5
    const line = { event: "large", format: params.format, compressed: params.compress === true };
    try {
      const { entries } = await client.getLarge({ service: S, timeRange: "1h", ...params });
      emit({ ...line, outcome: "verified", entries: entries.length });
    } catch {
      emit({ ...line, outcome: "rejected" });
    }
  }
  for (let i = 0; !gaveUp; i++) { // step 6, until the driver is stopped
    const method = `${i % 2 === 0 ? S : T}.getDashboard`;
    const error = await client.call(method).then(() => undefined, (e) => e);
    if (gaveUp) break;
    emit({ event: "call", method, ...outcomeOf(error) });
    await new Promise((resolve) => setTimeout(resolve, config.callIntervalMs));
  }
};
window.driverReady = true;
