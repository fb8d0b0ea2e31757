// A reverse proxy that forwards plain HTTP (SSE included, streamed) to the sidecar and refuses
// every WebSocket upgrade: the "port where only HTTP works" that drives the client to its REST + SSE
// fallback, as a proxy without WebSocket support would. It can also cut the open SSE streams.
import { createServer, request } from "node:http";

/**
 * @param {number} sidecarPort
 * @returns {Promise<{port: number, requests: string[], upgradesRefused: () => number,
 *                    dropStreams: () => number, close: () => Promise<void>}>}
 */
export async function startHttpOnlyProxy(sidecarPort) {
  const requests = [];
  const streams = new Set();
  let refused = 0;
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    // The sidecar checks Host against its own port (§4.3): a reverse proxy rewrites it.
    const headers = { ...req.headers, host: `127.0.0.1:${sidecarPort}` };
    const upstream = request({ host: "127.0.0.1", port: sidecarPort, method: req.method, path: req.url, headers },
      (answer) => {
        res.writeHead(answer.statusCode, answer.headers);
        if (String(answer.headers["content-type"]).startsWith("text/event-stream")) {
          const pair = { req: upstream, res };
          streams.add(pair);
          res.on("close", () => streams.delete(pair));
        }
        answer.pipe(res);
      });
    upstream.on("error", () => res.destroy());
    res.on("close", () => upstream.destroy());
    req.pipe(upstream);
  });
  server.on("upgrade", (req, socket) => {
    refused++;
    const body = '{"error":{"code":-32003,"message":"this proxy does not forward WebSocket"}}';
    socket.end(`HTTP/1.1 501 Not Implemented\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: server.address().port,
    requests,
    upgradesRefused: () => refused,
    dropStreams: () => {
      const n = streams.size;
      for (const { req, res } of streams) {
        req.destroy();
        res.destroy();
      }
      streams.clear();
      return n;
    },
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
