// The "Client:" rules of the spec, checked in the browser: reconnect delays and giving up (§7.7),
// no reconnection after a wrong token or close 4401 (§7.7), the retryAfterMs pause (§8.3) against
// the reference; the per-service breaker (§7.8) and the seq-gap resume (§6.2) against a scripted
// socket (page/fake-socket.js), since the reference has no failing service and never skips a seq.
import { createServer } from "node:net";

/** A loopback port nothing listens on: bound, then released. */
async function closedPort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export const cases = {
  async "reconnect delays 1,2,4,8 × base ±20 % and give-up after 5 failed attempts (§7.7)"(ctx) {
    const page = await ctx.mainPage();
    const BASE = 100;
    const r = await page.evaluate(async (url, BASE) => {
      const starts = [];
      const ends = [];
      class Timed extends WebSocket {
        constructor(u, p) {
          super(u, p);
          starts.push(performance.now());
          this.addEventListener("close", () => ends.push(performance.now()));
        }
      }
      const { client, events } = h.recordedClient({ url, token: "t", WebSocket: Timed, backoffBaseMs: BASE, fallback: "never" });
      const outcome = await client.connect().then(() => "connected", (e) => e.kind);
      await new Promise((resolve) => setTimeout(resolve, 4 * BASE)); // no attempt after giving up
      return { outcome, state: client.state, starts, ends, gaveUp: events.filter((e) => e.event === "gave_up").length };
    }, `ws://127.0.0.1:${await closedPort()}/rpc`, BASE);
    const { check } = ctx;
    check(r.outcome === "transport" && r.state === "gave-up" && r.gaveUp === 1, `outcome ${r.outcome}, state ${r.state}`);
    check(r.starts.length === 5, `${r.starts.length} attempts, want 5`);
    const delays = r.starts.slice(1).map((s, i) => s - r.ends[i]);
    // The first attempt fails at once; then the k-th delay is base·2^(k-1), ±20 %, from the failure.
    delays.forEach((d, i) => {
      const nominal = BASE * 2 ** i;
      check(d >= nominal * 0.8 - 2 && d <= nominal * 1.2 + 60, // + timer and event latency of a busy page
         `delay ${i + 1}: ${d.toFixed(0)} ms, want ${nominal} ms ±20 %`);
    });
    return `delays ${delays.map((d) => d.toFixed(0)).join(", ")} ms (base ${BASE}), then gave up`;
  },

  async "no reconnection after a wrong token or close 4401 (§7.7)"(ctx) {
    const sidecar = await ctx.mainSidecar();
    const page = await ctx.mainPage();
    const r = await page.evaluate(async (url) => {
      let opened = 0;
      class Counted extends WebSocket {
        constructor(u, p) { super(u, p); opened++; }
      }
      const wrong = h.recordedClient({ url, token: "not-the-token", WebSocket: Counted, backoffBaseMs: 50, fallback: "never" });
      const wrongOutcome = await wrong.client.connect().then(() => null, (e) => h.plain(e));
      // An authenticated connection that the sidecar closes with 4401.
      const Fake = h.fake.fakeWebSocket({ onMessage(s, m) {
        if (m.method === "auth.authenticate") {
          h.fake.result(s, m, { sessionId: "s1" });
          setTimeout(() => s.serverClose(4401), 20);
        }
      } });
      const closed = h.recordedClient({ url: "ws://fake/rpc", token: "t", WebSocket: Fake, backoffBaseMs: 50, fallback: "never" });
      await closed.client.connect();
      await new Promise((resolve) => setTimeout(resolve, 400));
      return { wrongOutcome, wrongState: wrong.client.state, opened, closedState: closed.client.state,
        fakeSockets: Fake.sockets.length, disconnected: closed.events.find((e) => e.event === "disconnected") };
    }, sidecar.wsUrl);
    const { check } = ctx;
    check(r.wrongOutcome?.code === -32001 && r.wrongState === "unauthorized", `wrong token: ${JSON.stringify(r.wrongOutcome)}, ${r.wrongState}`);
    check(r.opened === 1, `${r.opened} connections with a wrong token, want 1`);
    check(r.disconnected?.code === 4401 && r.closedState === "unauthorized" && r.fakeSockets === 1,
      `after 4401: state ${r.closedState}, ${r.fakeSockets} connections`);
    return "one connection each, state unauthorized";
  },

  async "retryAfterMs of -32002 delays the next request (§8.3)"(ctx) {
    const sidecar = await ctx.startSidecar(["--rate", "4", "--burst", "3", "--log-rate", "0"], "rate-limited sidecar");
    const page = await ctx.mainPage();
    const r = await page.evaluate(async (url, token) => {
      const sends = [];
      class Timed extends WebSocket {
        send(data) { sends.push(performance.now()); super.send(data); }
      }
      const client = new flake.FlakeClient({ url, token, WebSocket: Timed, fallback: "never" });
      await client.connect(); // costs a token (§8.2)
      const outcomes = await Promise.all(Array.from({ length: 4 }, () => client.call("system.ping")
        .then(() => ({ ok: true }), (e) => ({ code: e.code, retryAfterMs: e.data?.retryAfterMs, at: performance.now() }))));
      const limited = outcomes.filter((o) => o.code === -32002).at(-1);
      const index = sends.length;
      const next = await client.call("system.ping").then(() => "result", (e) => e.code);
      client.close();
      return { outcomes, limited, next, waited: sends[index] - (limited?.at ?? 0) };
    }, sidecar.wsUrl, ctx.token);
    const { check } = ctx;
    check(r.limited && r.limited.retryAfterMs > 0, `no -32002 among ${JSON.stringify(r.outcomes)}`);
    check(r.waited >= r.limited.retryAfterMs - 2, `next request sent ${r.waited.toFixed(1)} ms after -32002, retryAfterMs ${r.limited.retryAfterMs}`);
    check(r.next === "result", `the request after the pause got ${r.next}`);
    return `retryAfterMs ${r.limited.retryAfterMs}, next request sent after ${r.waited.toFixed(0)} ms and answered`;
  },

  async "circuit breaker per service: opens after 5 failures, half-open trial (§7.8)"(ctx) {
    const page = await ctx.mainPage();
    const r = await page.evaluate(async () => {
      const state = { failing: true, slow: false, served: {} };
      const Fake = h.fake.fakeWebSocket({ onMessage(s, m) {
        if (m.method === "auth.authenticate") return h.fake.result(s, m, { sessionId: "s1" });
        const service = m.method.split(".")[0];
        state.served[service] = (state.served[service] ?? 0) + 1;
        const reply = () => (state.failing && service === "vercel"
          ? h.fake.error(s, m, -32003, { service: "vercel", retryAfterMs: 1000 }) : h.fake.result(s, m, { ok: true }));
        if (state.slow) setTimeout(reply, 100);
        else reply();
      } });
      const client = new flake.FlakeClient({ url: "ws://fake/rpc", token: "t", WebSocket: Fake, breakerOpenMs: 300, fallback: "never" });
      await client.connect();
      const outcome = (p) => p.then(() => "result", (e) => (e.kind === "rpc" ? e.code : e.kind));
      const dash = () => outcome(client.call("vercel.getDashboard"));
      const first = [];
      for (let i = 0; i < 5; i++) first.push(await dash());
      const sixth = await dash();
      const servedWhileOpen = state.served.vercel;
      const otherService = await outcome(client.call("supabase.getDashboard"));
      await new Promise((resolve) => setTimeout(resolve, 320));
      state.failing = false;
      state.slow = true;
      const [trial, duringTrial] = await Promise.all([dash(), dash()]);
      const afterTrial = await dash();
      // A failed trial opens it again for the whole open time.
      state.failing = true;
      state.slow = false;
      for (let i = 0; i < 5; i++) await dash();
      await new Promise((resolve) => setTimeout(resolve, 320));
      const failedTrial = await dash();
      const reopened = await dash();
      client.close();
      return { first, sixth, servedWhileOpen, otherService, trial, duringTrial, afterTrial, failedTrial, reopened };
    });
    const { check } = ctx;
    check(r.first.every((o) => o === -32003), `first five: ${r.first}`);
    check(r.sixth === "breaker" && r.servedWhileOpen === 5, `sixth call: ${r.sixth}, ${r.servedWhileOpen} reached the sidecar`);
    check(r.otherService === "result", `another service while vercel's breaker is open: ${r.otherService}`);
    check(r.trial === "result" && r.duringTrial === "breaker" && r.afterTrial === "result",
      `half-open: trial ${r.trial}, beside it ${r.duringTrial}, after it ${r.afterTrial}`);
    check(r.failedTrial === -32003 && r.reopened === "breaker", `failed trial ${r.failedTrial}, then ${r.reopened}`);
    return "open after 5 × -32003, local failure while open, one trial when half-open";
  },

  async "seq jump: resume on a new connection with the last seq before it (§6.2)"(ctx) {
    const page = await ctx.mainPage();
    const r = await page.evaluate(async () => {
      const resumes = [];
      const update = (s, seq) => s.serverSend({ jsonrpc: "2.0", method: "logs.update", futureMember: true,
        params: { subscription: "sub-1", service: "vercel", seq, unknown: { x: 1 },
          entries: [{ ts: 1, level: "info", message: `entry ${seq}`, extra: "ignored" }] } });
      const Fake = h.fake.fakeWebSocket({ onMessage(s, m) {
        if (m.method === "auth.authenticate") return h.fake.result(s, m, { sessionId: `s${s.index + 1}` });
        if (m.method === "logs.subscribe") {
          h.fake.result(s, m, { subscription: "sub-1" });
          for (const seq of [1, 2, 4]) update(s, seq); // 3 is missing
        } else if (m.method === "session.resume") {
          resumes.push({ params: m.params, at: performance.now() });
          h.fake.result(s, m, { resumed: true, replayed: 3 });
          for (const seq of [3, 4, 5]) update(s, seq);
        }
      } });
      const { client, events } = h.recordedClient({ url: "ws://fake/rpc", token: "t", WebSocket: Fake, fallback: "never" });
      await client.connect();
      const seqs = [];
      await client.subscribe("logs.subscribe", { service: "vercel" }, (p) => seqs.push(p.seq));
      await h.waitFor(() => seqs.length >= 5, 3000, "seq 1..5");
      const gap = events.find((e) => e.event === "gap");
      client.close();
      return { seqs, resumes, gap, delay: resumes[0].at - gap.t, sockets: Fake.sockets.length,
        firstState: Fake.sockets[0].readyState, sessionId: client.sessionId };
    });
    const { check } = ctx;
    check(JSON.stringify(r.seqs) === "[1,2,3,4,5]", `delivered seq ${r.seqs}`);
    check(r.gap?.expected === 3 && r.gap?.seq === 4, `gap event ${JSON.stringify(r.gap)}`);
    check(r.resumes.length === 1 && r.resumes[0].params.sessionId === "s1" && r.resumes[0].params.lastSeq === 2,
      `resume ${JSON.stringify(r.resumes)}`);
    check(r.delay < 1000 && r.sockets === 2 && r.firstState === 3, `resume ${r.delay.toFixed(0)} ms after the gap on connection ${r.sockets}`);
    check(r.sessionId === "s1", `session after the resume: ${r.sessionId}`);
    return `resumed with lastSeq 2 on a new connection ${r.delay.toFixed(0)} ms after the jump; unknown members ignored`;
  },
};
