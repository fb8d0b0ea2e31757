// The REST + SSE fallback provoked for real: the client is pointed at a port where only HTTP works
// (lib/http-only-proxy.mjs refuses every WebSocket upgrade with 501, as a proxy without WebSocket
// support would). The upgrade fails, GET /api/v1/health answers, so the client falls back on its
// own (no forcing option). Then its SSE stream is cut while entries are emitted: it reconnects
// with a new ticket and ?lastEventId= (§9.13) and gets every event once, in order.
import { startHttpOnlyProxy } from "../lib/http-only-proxy.mjs";

export const cases = {
  async "upgrade refused: falls back to REST + SSE, reconnects with lastEventId"(ctx) {
    const sidecar = await ctx.mainSidecar();
    const page = await ctx.mainPage();
    const proxy = await startHttpOnlyProxy(sidecar.port);
    try {
      const first = await page.evaluate(async (proxyUrl, directUrl, token) => {
        const f = h.recordedClient({ url: proxyUrl, token, backoffBaseMs: 100, fallback: "auto" });
        await f.client.connect();
        const ping = await f.client.call("system.ping");
        const logs = await h.collectLogs(f.client, { service: "vercel" });
        // test.emitLogs is socket-only: the emitter talks to the sidecar directly.
        const emitter = new flake.FlakeClient({ url: directUrl, token, fallback: "never" });
        await emitter.connect();
        await emitter.call("test.emitLogs", { service: "vercel", count: 100, perNotification: 10 });
        await h.waitFor(() => logs.entries.length >= 100, 5000, "the first 100 entries over SSE");
        window.sse = { f, logs, emitter };
        return { transport: f.client.transport, ping, lastId: logs.updates.at(-1).seq };
      }, `ws://127.0.0.1:${proxy.port}/rpc`, sidecar.wsUrl, ctx.token);

      const cut = proxy.dropStreams();

      const r = await page.evaluate(async () => {
        const { f, logs, emitter } = window.sse;
        const opens = () => f.events.filter((e) => e.event === "stream" && e.state === "open").length;
        // Emitted while the stream is down: the endpoint's replay ring keeps them (§9.13).
        await emitter.call("test.emitLogs", { service: "vercel", count: 100, perNotification: 10 });
        await h.waitFor(() => opens() >= 2, 5000, "the SSE stream to reopen");
        await emitter.call("test.emitLogs", { service: "vercel", count: 100, perNotification: 10 });
        await h.waitFor(() => logs.entries.length >= 300, 5000, "300 entries over SSE");
        await logs.sub.unsubscribe();
        emitter.close();
        f.client.close();
        return { events: f.events.filter((e) => e.event !== "state").map(({ t, ...e }) => e),
          ids: logs.updates.map((u) => u.seq), ns: logs.entries.map((e) => e.n) };
      });

      const { check } = ctx;
      check(first.transport === "http" && typeof first.ping.now === "number", `transport ${first.transport} after the refused upgrade`);
      check(proxy.upgradesRefused() >= 1, "the proxy saw no WebSocket upgrade");
      const names = r.events.map((e) => e.event);
      check(names.includes("fallback") && names.indexOf("attempt_failed") < names.indexOf("fallback"), `events: ${names.join(", ")}`);
      check(cut === 1, `${cut} SSE streams were open at the cut, want 1`);
      const want = [...Array(100).keys(), ...Array(100).keys(), ...Array(100).keys()];
      check(JSON.stringify(r.ns) === JSON.stringify(want), `entries lost, repeated or reordered: ${r.ns.length} of 300`);
      check(r.ids.every((id, i) => id === r.ids[0] + i), "event ids not contiguous across the cut");
      check(!names.includes("gap") && !names.includes("reset"), `events: ${names.join(", ")}`);
      const streams = proxy.requests.filter((q) => q.startsWith("GET /api/v1/stream/logs/vercel?"))
        .map((q) => new URLSearchParams(q.slice(q.indexOf("?") + 1)));
      check(streams.length === 2, `${streams.length} stream requests, want 2`);
      check(!streams[0].has("lastEventId") && streams[1].get("lastEventId") === String(first.lastId),
        `second request's lastEventId ${streams[1].get("lastEventId")}, want ${first.lastId}`);
      check(streams[0].get("ticket") !== streams[1].get("ticket"), "a ticket was used twice");
      return `fell back after ${names.filter((n) => n === "attempt_failed").length} refused upgrade; ` +
        `${r.ids.length} events, reconnected with lastEventId=${first.lastId} and a new ticket`;
    } finally {
      await proxy.close();
    }
  },
};
