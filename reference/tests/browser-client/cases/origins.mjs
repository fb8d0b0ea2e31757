// Origins as a browser enforces them (§4.4, §9.5): the same page served from a foreign origin is
// refused on the WebSocket and over fetch, and from the allowed origin the browser's own CORS
// checks accept the reference's preflight answers for real cross-origin requests with Authorization.
import { request } from "node:http";

/** What the sidecar itself answers to an Origin, outside the browser: status and error code. */
function probe(port, origin, upgrade) {
  return new Promise((resolve, reject) => {
    const headers = { Origin: origin };
    if (upgrade) Object.assign(headers, { Connection: "Upgrade", Upgrade: "websocket", "Sec-WebSocket-Version": "13",
      "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Protocol": "flake.v1" });
    const req = request({ host: "127.0.0.1", port, path: upgrade ? "/rpc" : "/api/v1/health", headers }, (res) => {
      let body = "";
      res.on("data", (d) => { body += d; });
      res.on("end", () => resolve({ status: res.statusCode, code: JSON.parse(body || "{}").error?.code }));
    });
    req.on("upgrade", (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode });
    });
    req.on("error", reject);
    req.end();
  });
}

export const cases = {
  async "foreign origin: WebSocket and fetch refused"(ctx) {
    const sidecar = await ctx.mainSidecar();
    const page = await ctx.openPage(ctx.foreignOrigin);
    try {
      const r = await page.evaluate(async (url, base, token) => {
        const ws = await new Promise((resolve) => {
          const s = new WebSocket(url, ["flake.v1"]);
          s.onopen = () => { s.close(); resolve("opened"); };
          s.onclose = (e) => resolve(`closed ${e.code}`);
        });
        const attempt = (path, init) => fetch(base + path, init).then((res) => `status ${res.status}`, (e) => e.name);
        const health = await attempt("/api/v1/health");
        const dashboard = await attempt("/api/v1/vercel/dashboard", { headers: { Authorization: `Bearer ${token}` } });
        // The client on this origin: the upgrade fails and so does its health probe, so no fallback.
        const { client, events } = h.recordedClient({ url, token, backoffBaseMs: 50, maxAttempts: 2 });
        const outcome = await client.connect().then(() => "connected", (e) => e.kind);
        return { origin: location.origin, ws, health, dashboard, outcome, state: client.state,
          fellBack: events.some((e) => e.event === "fallback") };
      }, sidecar.wsUrl, sidecar.httpBase, ctx.token);
      const { check } = ctx;
      check(r.origin === ctx.foreignOrigin, `page origin ${r.origin}`);
      check(r.ws === "closed 1006", `WebSocket from a foreign origin: ${r.ws}`);
      // The 403 carries no Access-Control-Allow-Origin, so the page sees only a network error.
      check(r.health === "TypeError" && r.dashboard === "TypeError", `fetch from a foreign origin: ${r.health}, ${r.dashboard}`);
      check(r.outcome === "transport" && r.state === "gave-up" && !r.fellBack, `client: ${r.outcome}, ${r.state}`);
      // The refusal is the sidecar's (§4.4), not only the browser's: the same Origin outside it.
      const upgrade = await probe(sidecar.port, ctx.foreignOrigin, true);
      const health = await probe(sidecar.port, ctx.foreignOrigin, false);
      check(upgrade.status === 403 && upgrade.code === -32008, `upgrade with the foreign Origin: ${JSON.stringify(upgrade)}`);
      check(health.status === 403 && health.code === -32008, `health with the foreign Origin: ${JSON.stringify(health)}`);
      return `browser: WebSocket ${r.ws}, fetch ${r.health}; sidecar: ${upgrade.status} -32008`;
    } finally {
      await page.close();
    }
  },

  async "allowed origin: CORS preflight accepted, Authorization fetches succeed"(ctx) {
    const sidecar = await ctx.mainSidecar();
    const page = await ctx.openPage();
    // The DevTools protocol reports the preflights Chromium sends on its own.
    const cdp = await page.createCDPSession();
    await cdp.send("Network.enable");
    const preflights = [];
    cdp.on("Network.requestWillBeSent", (e) => {
      if (e.request.method === "OPTIONS") preflights.push(new URL(e.request.url).pathname);
    });
    try {
      const r = await page.evaluate(async (base, token) => {
        const auth = { Authorization: `Bearer ${token}` };
        const dashboard = await fetch(`${base}/api/v1/vercel/dashboard`, { headers: auth });
        const rpc = await fetch(`${base}/api/v1/rpc`, { method: "POST",
          headers: { ...auth, "Content-Type": "application/json" },
          body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "system.ping" }) });
        const wrong = await fetch(`${base}/api/v1/multi/dashboard`, { headers: { Authorization: "Bearer wrong" } });
        return { origin: location.origin, dashboard: { status: dashboard.status, isObject: typeof (await dashboard.json()) === "object" },
          rpc: { status: rpc.status, body: await rpc.json() }, wrong: { status: wrong.status, body: await wrong.json() } };
      }, sidecar.httpBase, ctx.token);
      const { check } = ctx;
      check(r.dashboard.status === 200 && r.dashboard.isObject, `GET dashboard with Authorization: ${r.dashboard.status}`);
      check(r.rpc.status === 200 && typeof r.rpc.body.result?.now === "number", `POST /api/v1/rpc: ${JSON.stringify(r.rpc)}`);
      // Errors carry Access-Control-Allow-Origin too (§9.5), so the page can read the 401.
      check(r.wrong.status === 401 && r.wrong.body.error.code === -32001, `wrong token: ${JSON.stringify(r.wrong)}`);
      check(preflights.includes("/api/v1/vercel/dashboard") && preflights.includes("/api/v1/rpc"),
        `preflights seen: ${preflights.join(", ") || "none"}`);
      return `from ${r.origin}: preflights for ${preflights.length} requests accepted, 200/200/401 read`;
    } finally {
      await cdp.detach().catch(() => {});
      await page.close();
    }
  },
};
