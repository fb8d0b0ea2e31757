// A loopback file server for the test pages: /page/ (the pages), /client/ (the client under test)
// and /vendor/msgpack/ (the @msgpack/msgpack ESM build the import map points to). The pages are
// loaded from tauri.localhost and foreign.localhost, both mapped to 127.0.0.1 by Chromium.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";

const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".mjs": "text/javascript",
  ".css": "text/css", ".map": "application/json" };

/**
 * @param {Record<string, string>} mounts URL prefix ("/page/") to directory
 * @param {{isolated?: boolean}} [options] isolated: serve with COOP and COEP, so the page is
 *   cross-origin isolated and performance.now() has fine steps (for the benchmark)
 * @returns {Promise<{port: number, close: () => Promise<void>}>}
 */
export async function startStaticServer(mounts, { isolated = false } = {}) {
  const isolation = isolated ? { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" } : {};
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    const prefix = Object.keys(mounts).find((p) => path.startsWith(p));
    if (!prefix || req.method !== "GET") {
      res.writeHead(404).end();
      return;
    }
    const root = mounts[prefix];
    const file = normalize(join(root, path.slice(prefix.length)));
    if (!file.startsWith(root + sep)) { // no escaping the mount
      res.writeHead(403).end();
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { "Content-Type": TYPES[extname(file)] ?? "application/octet-stream",
        "Cache-Control": "no-store", ...isolation });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: server.address().port,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
