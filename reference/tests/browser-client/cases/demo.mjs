// The demo page (page/demo.html, a live log tail) through a connection loss (resumed, nothing lost)
// and then a sidecar restart (the session is gone: -32007, a new session subscribes again and its
// seq starts at 1), photographed: the screenshot is written into the build tree as
// browser-client-demo.png.
import { join } from "node:path";

export const cases = {
  async "demo: live log tail through a connection loss and a sidecar restart, screenshot"(ctx) {
    // Live fixture entries at 25/s, so there is something to tail and something to replay.
    const sidecar = await ctx.startSidecar(["--log-rate", "25"], "demo sidecar");
    const page = await ctx.openPage(ctx.allowedOrigin, "/page/demo.html");
    try {
      await page.setViewport({ width: 1100, height: 760 });
      await page.evaluate((url, token) => window.startDemo({ url, token, service: "vercel", backoffBaseMs: 400 }),
        sidecar.wsUrl, ctx.token);
      await page.waitForFunction(() => window.demo.entries >= 8, { timeout: 10000 });
      await page.evaluate(() => window.demo.drop());
      await page.waitForFunction(() => window.demo.events.some((e) => e.startsWith("resumed")), { timeout: 10000 });
      const atResume = await page.evaluate(() => window.demo.entries);
      await page.waitForFunction((n) => window.demo.entries >= n + 6, { timeout: 10000 }, atResume);
      // The sidecar crashes and comes back on the same port 1 s later (§10.8's restart).
      await sidecar.kill();
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await sidecar.start();
      await page.waitForFunction(() => window.demo.runs.length === 2 && window.demo.runs[1].length >= 6,
        { timeout: 20000 });
      const shot = join(ctx.workdir, "browser-client-demo.png");
      await page.screenshot({ path: shot });
      const r = await page.evaluate(() => ({ runs: window.demo.runs, gaps: window.demo.gaps, events: window.demo.events,
        rows: document.querySelectorAll("#rows tr").length, replayedRows: document.querySelectorAll("#rows tr.replayed").length }));
      const { check } = ctx;
      // Within each session seq runs from 1 without a gap or duplicate.
      const contiguous = (run) => run.every((s, i) => s === i + 1);
      check(r.gaps === 0 && r.runs.every(contiguous), `seq shown per session: ${r.runs.map((x) => x.join(",")).join(" | ")}`);
      const resumed = r.events.find((e) => e.startsWith("resumed"));
      check(r.events.some((e) => e.startsWith("disconnected")) && resumed, `events: ${r.events.join("; ")}`);
      check(Number(/resumed: (\d+)/.exec(resumed)[1]) > 0, `${resumed}: nothing was replayed`);
      check(r.events.some((e) => e.startsWith("resume failed (-32007)")), `no -32007 after the restart: ${r.events.join("; ")}`);
      check(r.rows > 0, "no rows rendered");
      return `seq 1..${r.runs[0].at(-1)} then, after the restart, 1..${r.runs[1].at(-1)}, no gap; ${resumed}; screenshot ${shot}`;
    } finally {
      await page.close();
    }
  },
};
