// driver.mjs, the §13 driver of the browser client, run as the suite would run it (a process with
// the §13.2 variables, stopped with SIGTERM) against the reference: its event lines must follow the
// §13.3 workload in order and carry the §13.4 members.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";

export const cases = {
  async "§13 driver: workload event lines against the reference"(ctx) {
    const sidecar = await ctx.mainSidecar();
    const env = { ...process.env, FLAKE_URL: sidecar.wsUrl, FLAKE_TOKEN: ctx.token, FLAKE_SERVICES: "vercel,supabase",
      FLAKE_BACKOFF_BASE_MS: "100", FLAKE_BREAKER_OPEN_MS: "600", FLAKE_CALL_TIMEOUT_MS: "1500", FLAKE_CALL_INTERVAL_MS: "20" };
    const driver = spawn(process.execPath, [join(ctx.workdir, "driver.mjs"), "--chromium", ctx.chromium],
      { cwd: ctx.workdir, env, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    driver.stderr.on("data", (d) => { stderr += d; });
    const lines = [];
    const loopCalls = () => lines.filter((l) => l.event === "call").length - 3;
    const enough = new Promise((resolve) => {
      createInterface({ input: driver.stdout }).on("line", (text) => {
        lines.push(JSON.parse(text)); // anything but one JSON object per line fails the case here
        if (loopCalls() >= 20) resolve();
      });
      driver.on("exit", resolve);
    });
    const deadline = new Promise((resolve) => setTimeout(resolve, 15000));
    await Promise.race([enough, deadline]);
    const stoppedAt = performance.now();
    const exited = new Promise((resolve) => driver.on("exit", resolve));
    driver.kill("SIGTERM");
    const exitTimer = setTimeout(() => driver.kill("SIGKILL"), 2000);
    await exited;
    clearTimeout(exitTimer);
    const stopMs = performance.now() - stoppedAt;

    const { check } = ctx;
    const events = lines.map((l) => l.event);
    check(lines.length > 0, `no event lines; stderr: ${stderr.slice(0, 500)}`);
    check(events[0] === "connected" && events[1] === "authenticated" && typeof lines[1].sessionId === "string",
      `first lines: ${events.slice(0, 2)}`);
    const subscribed = lines.filter((l) => l.event === "subscribed");
    check(subscribed.map((l) => l.method).join() === "logs.subscribe,metrics.subscribe" && subscribed.every((l) => l.subscription),
      `subscribed lines: ${JSON.stringify(subscribed)}`);
    const calls = lines.filter((l) => l.event === "call");
    check(calls.slice(0, 3).map((l) => `${l.method}:${l.outcome}`).join()
      === "system.ping:result,vercel.getDashboard:result,supabase.getDashboard:result", `batch lines: ${JSON.stringify(calls.slice(0, 3))}`);
    const large = lines.filter((l) => l.event === "large");
    check(large.length === 3 && large.every((l) => l.outcome === "verified" && l.entries >= 0)
      && large.map((l) => `${l.format}/${l.compressed}`).join() === "json/false,msgpack/false,msgpack/true", `large lines: ${JSON.stringify(large)}`);
    const fourthCall = lines.indexOf(calls[3]);
    check(loopCalls() >= 20 && events.lastIndexOf("large") < fourthCall,
      `${loopCalls()} call-loop lines within 15 s, the first at line ${fourthCall} after the exports`);
    const loop = calls.slice(3);
    check(loop.every((l, i) => l.method === (i % 2 === 0 ? "vercel" : "supabase") + ".getDashboard" && l.outcome === "result"),
      `call loop: ${JSON.stringify(loop.slice(0, 4))}`);
    const notes = lines.filter((l) => l.event === "notification");
    check(notes.every((l, i) => l.seq === i + 1 && typeof l.subscription === "string"), "notification seq not 1, 2, 3, …");
    check(!events.includes("gap") && !events.includes("gave_up"), `events: ${[...new Set(events)]}`);
    check(stopMs < 2000, `the driver took ${Math.round(stopMs)} ms to stop on SIGTERM`);
    return `${lines.length} lines: ${subscribed.length} subscribed, ${large.length} large verified, ${loop.length} loop calls, ` +
      `${notes.length} notifications; stopped ${Math.round(stopMs)} ms after SIGTERM`;
  },
};
