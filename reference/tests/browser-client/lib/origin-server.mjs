// Serves files to a page at an exact origin without a listening socket: Chromium's Fetch domain
// pauses the requests for that origin only and answers them from disk. A page can so live at
// http://tauri.localhost itself (port 80 implied), the origin every sidecar allows by default (§4.4);
// requests to the sidecar are never paused.
import { readFile } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";

const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".mjs": "text/javascript" };

/**
 * @param {import("puppeteer-core").Page} page
 * @param {string} origin e.g. "http://tauri.localhost"
 * @param {Record<string, string>} mounts URL prefix ("/page/") to directory
 */
export async function serveOrigin(page, origin, mounts) {
  const cdp = await page.createCDPSession();
  await cdp.send("Fetch.enable", { patterns: [{ urlPattern: `${origin}/*`, requestStage: "Request" }] });
  cdp.on("Fetch.requestPaused", async ({ requestId, request }) => {
    const path = decodeURIComponent(new URL(request.url).pathname);
    const prefix = Object.keys(mounts).find((p) => path.startsWith(p));
    const file = prefix ? normalize(join(mounts[prefix], path.slice(prefix.length))) : "";
    let body = null;
    if (prefix && file.startsWith(mounts[prefix] + sep)) body = await readFile(file).catch(() => null);
    await cdp.send("Fetch.fulfillRequest", body
      ? { requestId, responseCode: 200, body: body.toString("base64"),
        responseHeaders: [{ name: "Content-Type", value: TYPES[extname(file)] ?? "application/octet-stream" }] }
      : { requestId, responseCode: 404, body: "" }).catch(() => {});
  });
  return cdp;
}
