// Launches Debian's Chromium headless through puppeteer-core, with tauri.localhost and
// foreign.localhost resolved to 127.0.0.1 and nothing else reached over the network.
import { appendFileSync, existsSync } from "node:fs";
import puppeteer from "puppeteer-core";

/** Host names the pages are served from; both resolve to loopback. */
export const HOSTS = ["tauri.localhost", "foreign.localhost"];

/**
 * @param {string} executablePath
 * @returns {Promise<import("puppeteer-core").Browser>}
 */
export async function launchChromium(executablePath) {
  if (!existsSync(executablePath)) {
    throw new Error(`Chromium not found at ${executablePath}: install Debian's chromium package (scripts/install-deps.sh)`);
  }
  return puppeteer.launch({
    executablePath,
    headless: true,
    timeout: 30000,
    args: [
      "--no-sandbox", // runs as root in CI; the pages are our own
      `--host-resolver-rules=${HOSTS.map((h) => `MAP ${h} 127.0.0.1`).join(", ")}`,
      "--no-proxy-server",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-default-apps",
      "--no-first-run",
      "--disable-dev-shm-usage",
    ],
  });
}

/**
 * Opens a page; its console errors go to `logFile` (the cases provoke many on purpose: refused
 * WebSockets and fetches), uncaught page errors to stderr.
 * @param {import("puppeteer-core").Browser} browser
 * @param {string} url
 * @param {string} logFile
 */
export async function openPage(browser, url, logFile) {
  const page = await browser.newPage();
  page.on("console", (msg) => {
    if (msg.type() === "error") appendFileSync(logFile, `${new Date().toISOString()} ${url}: ${msg.text()}\n`);
  });
  page.on("pageerror", (err) => process.stderr.write(`page error (${url}): ${err.message}\n`));
  await page.goto(url, { waitUntil: "load" });
  await page.waitForFunction(() => window.flakeReady === true || window.demoReady === true, { timeout: 10000 });
  return page;
}
