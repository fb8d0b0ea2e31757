// The client against the reference over each path: JSON text frames, MessagePack binary frames,
// and REST (POST /api/v1/rpc, with SSE for the subscription): calls, a batch, notifications.

/**
 * Calls, a batch matched by id, and a subscription fed by test.emitLogs, over one WebSocket encoding.
 * @param {any} ctx
 * @param {"json" | "msgpack"} encoding
 */
async function overWebSocket(ctx, encoding) {
  const sidecar = await ctx.mainSidecar();
  const page = await ctx.mainPage();
  // The handshake as Chromium saw it: the selected subprotocol (§1.6) and compression (§1.7).
  const cdp = await page.createCDPSession();
  await cdp.send("Network.enable");
  const handshakes = [];
  cdp.on("Network.webSocketHandshakeResponseReceived", (e) => handshakes.push(e.response));
  const r = await page.evaluate(async (url, token, encoding) => {
    const { client } = h.recordedClient({ url, token, encoding, fallback: "never" });
    await client.connect();
    const ping = await client.call("system.ping");
    const dashboard = await client.call("vercel.getDashboard");
    const page1 = await client.call("vercel.getDeployments", { limit: 2 });
    const batch = await client.batch([
      { method: "system.ping" }, { method: "vercel.getDashboard" }, { method: "supabase.getDashboard" },
      { method: "no.such.method" }, { method: "aws.getInstances", params: { limit: 0 } },
    ]);
    // level info: entries n with n mod 4 = 0 are debug and filtered out by the sidecar (§5.9).
    const logs = await h.collectLogs(client, { service: "supabase", level: "info" });
    const emitted = await client.call("test.emitLogs", { service: "supabase", count: 400, perNotification: 10 });
    await h.waitFor(() => logs.entries.length >= 300, 5000, "300 entries");
    await logs.sub.unsubscribe();
    const stats = { ...client.stats };
    client.close();
    return {
      ping, dashboardIsObject: typeof dashboard === "object" && dashboard !== null,
      pageLength: page1.deployments.length, next: page1.pagination.next,
      batch: batch.map((o) => (o.error ? { code: o.error.code } : { ok: true })),
      emitted, seqs: logs.updates.map((u) => u.seq), ns: logs.entries.map((e) => e.n),
      levels: [...new Set(logs.entries.map((e) => e.level))].sort(), stats,
    };
  }, sidecar.wsUrl, ctx.token, encoding);

  await cdp.detach();
  const { check } = ctx;
  const headers = Object.fromEntries(Object.entries(handshakes[0]?.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  check(handshakes[0]?.status === 101 && headers["sec-websocket-protocol"] === "flake.v1",
    `handshake: ${handshakes[0]?.status}, subprotocol ${headers["sec-websocket-protocol"]}`);
  check(/permessage-deflate/.test(headers["sec-websocket-extensions"] ?? ""), `no permessage-deflate: ${headers["sec-websocket-extensions"]}`);
  check(Math.abs(r.ping.now - Date.now()) < 5000, `system.ping now ${r.ping.now} is not the current time`);
  check(r.dashboardIsObject, "vercel.getDashboard did not answer an object");
  check(r.pageLength === 2 && typeof r.next === "string", "vercel.getDeployments {limit:2} did not answer a page of 2");
  const codes = JSON.stringify(r.batch);
  check(codes === JSON.stringify([{ ok: true }, { ok: true }, { ok: true }, { code: -32601 }, { code: -32602 }]),
    `batch outcomes by id: ${codes}`);
  check(r.emitted.emitted === 400, `test.emitLogs answered ${JSON.stringify(r.emitted)}`);
  const wantN = Array.from({ length: 400 }, (_, n) => n).filter((n) => n % 4 !== 0);
  check(JSON.stringify(r.ns) === JSON.stringify(wantN), "entries are not n = 1..399 without multiples of 4, in order");
  check(r.levels.join() === "error,info,warn", `levels delivered: ${r.levels}`);
  check(r.seqs.every((s, i) => s === r.seqs[0] + i), `seq not contiguous: ${r.seqs.slice(0, 10)}…`);
  if (encoding === "json") {
    check(r.stats.binaryIn === 0 && r.stats.binaryOut === 0, `binary frames on a JSON client: ${JSON.stringify(r.stats)}`);
  } else {
    // Every answer and notification of a MessagePack client comes in binary frames (§2.4).
    check(r.stats.textIn === 0 && r.stats.textOut === 0 && r.stats.binaryIn > 0, `text frames on a MessagePack client: ${JSON.stringify(r.stats)}`);
  }
  return `flake.v1 + permessage-deflate; ${r.seqs.length} notifications, ${r.ns.length} entries, ` +
    `frames in ${r.stats.textIn} text / ${r.stats.binaryIn} binary`;
}

export const cases = {
  "JSON text frames: calls, batch by id, subscription": (ctx) => overWebSocket(ctx, "json"),
  "MessagePack binary frames: calls, batch by id, subscription": (ctx) => overWebSocket(ctx, "msgpack"),

  /** The REST path: the same client with the fallback forced; SSE carries the subscription. */
  async "REST path: calls, batch, SSE subscription, log export"(ctx) {
    const sidecar = await ctx.mainSidecar();
    const page = await ctx.mainPage();
    const r = await page.evaluate(async (url, token) => {
      const { client, events } = h.recordedClient({ url, token, fallback: "force" });
      await client.connect();
      const ping = await client.call("system.ping");
      const dashboard = await client.call("aws.getDashboard");
      const batch = await client.batch([{ method: "system.ping" }, { method: "nope.getDashboard" },
        { method: "logs.subscribe", params: { service: "vercel" } }]);
      const logs = await h.collectLogs(client, { service: "vercel", level: "warn" });
      // test.emitLogs is socket-only (§5.3): a second client on the WebSocket emits.
      const emitter = new flake.FlakeClient({ url, token, fallback: "never" });
      await emitter.connect();
      await emitter.call("test.emitLogs", { service: "vercel", count: 200, perNotification: 20 });
      await h.waitFor(() => logs.entries.length >= 100, 5000, "100 warn/error entries over SSE");
      const exported = await client.getLarge({ service: "vercel", timeRange: "1h", format: "msgpack" });
      await logs.sub.unsubscribe();
      emitter.close();
      client.close();
      return { transport: client.transport, ping, dashboardIsObject: typeof dashboard === "object",
        batch: batch.map((o) => (o.error ? { code: o.error.code } : { ok: true })),
        ids: logs.updates.map((u) => u.seq), subscription: logs.updates[0]?.subscription,
        ns: logs.entries.map((e) => e.n), exportedEntries: exported.entries.length,
        exportedLastN: exported.entries.at(-1)?.n, wsFrames: client.stats.textOut + client.stats.binaryOut,
        fallback: events.filter((e) => e.event === "fallback").length };
    }, sidecar.wsUrl, ctx.token);
    const { check } = ctx;
    check(r.transport === "http" && r.fallback === 1 && r.wsFrames === 0, "the forced fallback still used the WebSocket");
    check(Math.abs(r.ping.now - Date.now()) < 5000 && r.dashboardIsObject, "REST calls failed");
    check(JSON.stringify(r.batch) === JSON.stringify([{ ok: true }, { code: -32601 }, { code: -32601 }]),
      `REST batch outcomes: ${JSON.stringify(r.batch)} (socket-only methods get -32601 over HTTP, §5.3)`);
    check(r.subscription === "/api/v1/stream/logs/vercel", `SSE subscription is ${r.subscription}`);
    const wantN = Array.from({ length: 200 }, (_, n) => n).filter((n) => n % 4 >= 2);
    check(JSON.stringify(r.ns) === JSON.stringify(wantN), "SSE entries filtered to warn and error are not the emitted ones in order");
    check(r.ids.every((id, i) => id === r.ids[0] + i), "SSE event ids are not contiguous");
    check(r.exportedEntries >= 200 && r.exportedLastN === 199, `REST export: ${r.exportedEntries} entries, last n ${r.exportedLastN}`);
    return `${r.ids.length} SSE events, export of ${r.exportedEntries} entries`;
  },
};
