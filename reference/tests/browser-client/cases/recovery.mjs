// Recovery in the browser: a dropped connection under a live subscription is resumed with no seq
// lost (§7.1–§7.3), and after a sidecar restart on the same port the client reconnects, gets
// -32007 (sessions do not survive a restart, §4.9) and subscribes again (§7.4).

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export const cases = {
  /**
   * "No loss" here is the strong kind: every emitted entry arrives exactly once, in order, with
   * contiguous seq across the drop; those emitted while the session was detached come by replay.
   */
  async "dropped connection: resume with no seq lost"(ctx) {
    const sidecar = await ctx.mainSidecar();
    const page = await ctx.mainPage();
    const PHASES = 10, PER_PHASE = 200, DROP_AT = 3;
    const r = await page.evaluate(async (url, token, PHASES, PER_PHASE, DROP_AT) => {
      const { client, events } = h.recordedClient({ url, token, backoffBaseMs: 100, fallback: "never" });
      await client.connect();
      const logs = await h.collectLogs(client, { service: "vercel" });
      const emitter = new flake.FlakeClient({ url, token, fallback: "never" });
      await emitter.connect();
      for (let phase = 0; phase < PHASES; phase++) {
        if (phase === DROP_AT) {
          const dropped = client.call("test.dropSession").then(() => "answered", (e) => e.kind);
          await h.waitFor(() => events.some((e) => e.event === "disconnected"), 3000, "the drop");
          events.push({ event: "drop call", outcome: await dropped });
        }
        // After the drop these run while the client waits out its first delay (80–120 ms):
        // the session is detached and the entries go to its replay ring (§7.1).
        await emitter.call("test.emitLogs", { service: "vercel", count: PER_PHASE, perNotification: 5 });
      }
      await h.waitFor(() => logs.entries.length >= PHASES * PER_PHASE, 10000, "every entry");
      await logs.sub.unsubscribe();
      emitter.close();
      client.close();
      return { events: events.filter((e) => e.event !== "state"), seqs: logs.updates.map((u) => u.seq),
        ns: logs.entries.map((e) => e.n), lastSeq: client.lastSeq };
    }, sidecar.wsUrl, ctx.token, PHASES, PER_PHASE, DROP_AT);

    const { check } = ctx;
    const names = r.events.map((e) => e.event);
    const want = [];
    for (let p = 0; p < PHASES; p++) for (let n = 0; n < PER_PHASE; n++) want.push(n);
    check(JSON.stringify(r.ns) === JSON.stringify(want), `entries lost, repeated or reordered: ${r.ns.length} of ${want.length}`);
    check(r.seqs.every((s, i) => s === r.seqs[0] + i), "seq not contiguous across the drop");
    check(r.lastSeq === r.seqs.at(-1), `lastSeq ${r.lastSeq} is not the last seq ${r.seqs.at(-1)}`);
    const disconnected = r.events.find((e) => e.event === "disconnected");
    check(disconnected && disconnected.code === undefined, `disconnect: ${JSON.stringify(disconnected)} (test.dropSession sends no close frame)`);
    const resumed = r.events.filter((e) => e.event === "resumed");
    check(resumed.length === 1 && resumed[0].replayed > 0, `resumes: ${JSON.stringify(resumed)}; want one that replayed the detached entries`);
    check(!names.includes("gap") && !names.includes("resume_failed"), `events: ${names.join(", ")}`);
    const delay = resumed[0].t - disconnected.t;
    return `${r.ns.length} entries in ${r.seqs.length} notifications, ${resumed[0].replayed} replayed, ` +
      `resumed ${Math.round(delay)} ms after the drop`;
  },

  /**
   * "No loss" here is weaker and says so: what was emitted before the crash all arrived, and from the
   * re-subscription on everything arrives again. The new process's log history and seq start afresh;
   * anything it produced before the re-subscription is not delivered (none is here: --log-rate 0),
   * which is why §7.4 tells the client to refetch state.
   */
  async "sidecar killed and restarted on the same port: -32007, re-subscribe, new notifications"(ctx) {
    const sidecar = await ctx.startSidecar(["--log-rate", "0"], "restarted sidecar");
    const page = await ctx.mainPage();
    const before = await page.evaluate(async (url, token) => {
      // Every method the client sends, in order, to see what precedes the first service call.
      const sent = [];
      class Logged extends WebSocket {
        send(data) { sent.push(JSON.parse(data).method); super.send(data); }
      }
      const a = h.recordedClient({ url, token, backoffBaseMs: 200, fallback: "never", WebSocket: Logged });
      const emitter = new flake.FlakeClient({ url, token, backoffBaseMs: 200, fallback: "never" });
      await Promise.all([a.client.connect(), emitter.connect()]);
      const logs = await h.collectLogs(a.client, { service: "supabase" });
      await emitter.call("test.emitLogs", { service: "supabase", count: 100, perNotification: 10 });
      await h.waitFor(() => logs.entries.length >= 100, 5000, "the first 100 entries");
      window.restart = { a, emitter, logs, sent };
      return { subscription: logs.sub.id, sessionId: a.client.sessionId, count: logs.entries.length };
    }, sidecar.wsUrl, ctx.token);

    await sidecar.kill();
    // A service call made while the sidecar is down waits for the reconnection (§13.3), and
    // after -32007 it may leave only once the subscription is back (§7.4).
    await page.evaluate(async () => {
      const { a } = window.restart;
      await h.waitFor(() => a.client.state !== "ready", 3000, "the client to notice the crash");
      window.restart.pendingCall = a.client.call("vercel.getDashboard").then(() => "result", (e) => e.kind);
    });
    await sleep(1000);
    await sidecar.start(); // --port N: the port of the first run
    const restartedAt = Date.now();

    const r = await page.evaluate(async () => {
      const { a, emitter, logs, sent, pendingCall } = window.restart;
      await h.waitFor(() => a.events.some((e) => e.event === "resubscribed") && a.client.state === "ready"
        && emitter.state === "ready", 15000, "reconnection and re-subscription");
      const readyAt = Date.now();
      const callOutcome = await pendingCall;
      const afterKill = sent.slice(sent.lastIndexOf("auth.authenticate"));
      const firstNew = logs.updates.length;
      await emitter.call("test.emitLogs", { service: "supabase", count: 100, perNotification: 10 });
      await h.waitFor(() => logs.entries.length >= 200, 5000, "100 entries after the restart");
      await logs.sub.unsubscribe();
      emitter.close();
      a.client.close();
      return { events: a.events.filter((e) => e.event !== "state").map(({ t, ...e }) => e), readyAt,
        updatesAfter: logs.updates.slice(firstNew), ns: logs.entries.map((e) => e.n),
        subscription: logs.sub.id, sessionId: a.client.sessionId, callOutcome, afterKill };
    });

    const { check } = ctx;
    const names = r.events.map((e) => e.event);
    const disconnected = r.events.find((e) => e.event === "disconnected");
    check(disconnected && disconnected.code === undefined, `disconnect: ${JSON.stringify(disconnected)} (SIGKILL sends no close frame)`);
    const failed = r.events.find((e) => e.event === "resume_failed");
    check(failed && failed.code === -32007, `resume after the restart: ${JSON.stringify(failed)}, want -32007`);
    check(names.indexOf("resume_failed") < names.indexOf("resubscribed"), `order of events: ${names.join(", ")}`);
    check(r.subscription !== before.subscription || r.sessionId !== before.sessionId, "still the old subscription and session");
    check(r.updatesAfter.length > 0 && r.updatesAfter[0].seq === 1 && r.updatesAfter.every((u, i) => u.seq === i + 1),
      `seq on the new session: ${r.updatesAfter.map((u) => u.seq)}`);
    const want = [...Array(100).keys(), ...Array(100).keys()];
    check(JSON.stringify(r.ns) === JSON.stringify(want), `entries: ${r.ns.length}, want 100 before and 100 after the restart`);
    check(!names.includes("gave_up"), "the client gave up");
    check(r.callOutcome === "result", `the call made while the sidecar was down: ${r.callOutcome}`);
    check(JSON.stringify(r.afterKill.slice(0, 4)) === JSON.stringify(["auth.authenticate", "session.resume", "logs.subscribe", "vercel.getDashboard"]),
      `sent on the new connection: ${r.afterKill.join(", ")}`);
    const attempts = names.filter((n) => n === "attempt_failed").length;
    return `${attempts} failed attempts while down, ready ${r.readyAt - restartedAt} ms after the restart's start-up line`;
  },
};
