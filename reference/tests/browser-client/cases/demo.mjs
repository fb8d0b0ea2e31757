// The demo page (page/demo.html, a live log tail) through a connection loss, photographed: the
// screenshot is written into the build tree as browser-client-demo.png.
import { join } from "node:path";

export const cases = {
  async "demo: live log tail through a connection loss, screenshot"(ctx) {
    // Live fixture entries at 25/s, so there is something to tail and something to replay.
    const sidecar = await ctx.startSidecar(["--log-rate", "25"], "demo sidecar");
    const page = await ctx.openPage(ctx.allowedOrigin, "/page/demo.html");
    try {
      await page.setViewport({ width: 1100, height: 640 });
      await page.evaluate((url, token) => window.startDemo({ url, token, service: "vercel", backoffBaseMs: 400 }),
        sidecar.wsUrl, ctx.token);
      await page.waitForFunction(() => window.demo.entries >= 8, { timeout: 10000 });
      await page.evaluate(() => window.demo.drop());
      await page.waitForFunction(() => window.demo.events.some((e) => e.startsWith("resumed")), { timeout: 10000 });
      const atResume = await page.evaluate(() => window.demo.entries);
      await page.waitForFunction((n) => window.demo.entries >= n + 6, { timeout: 10000 }, atResume);
      const shot = join(ctx.workdir, "browser-client-demo.png");
      await page.screenshot({ path: shot });
      const r = await page.evaluate(() => ({ seqs: window.demo.seqs, gaps: window.demo.gaps, events: window.demo.events,
        rows: document.querySelectorAll("#rows tr").length, replayedRows: document.querySelectorAll("#rows tr.replayed").length }));
      const { check } = ctx;
      check(r.gaps === 0 && r.seqs.every((s, i) => s === i + 1), `seq shown: ${r.seqs.join(",")}`);
      const resumed = r.events.find((e) => e.startsWith("resumed"));
      check(r.events.some((e) => e.startsWith("disconnected")) && resumed, `events: ${r.events.join("; ")}`);
      check(Number(/resumed: (\d+)/.exec(resumed)[1]) > 0, `${resumed}: nothing was replayed`);
      check(r.rows > 0, "no rows rendered");
      return `${r.seqs.length} notifications, seq 1..${r.seqs.at(-1)} without a gap, ${resumed}; screenshot ${shot}`;
    } finally {
      await page.close();
    }
  },
};
