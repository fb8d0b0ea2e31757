// One WebSocket to the sidecar's /rpc: opened with the flake.v1 subprotocol (§1.6), binary
// messages as ArrayBuffer, frame counters, and a promise for how it ended (§7.7 needs the code).
import { encodeMessage, decodeMessage } from "./codec.js";

/** The subprotocol the client offers (§1.6). */
export const SUBPROTOCOL = "flake.v1";

/** @typedef {{code: number | undefined, reason: string, wasClean: boolean}} CloseInfo */

/** @typedef {{textIn: number, binaryIn: number, bytesIn: number, textOut: number, binaryOut: number}} FrameStats */

export class Connection {
  /**
   * Opens a WebSocket and resolves once the upgrade succeeded. Browsers reveal nothing about a
   * refused upgrade (no status, no Retry-After), so every failure reads the same.
   * @param {string} url ws://127.0.0.1:PORT/rpc
   * @param {{WebSocket?: typeof WebSocket, onMessage: (message: unknown) => void,
   *          stats: FrameStats}} options
   * @returns {Promise<Connection>}
   */
  static open(url, { WebSocket: Impl = globalThis.WebSocket, onMessage, stats }) {
    return new Promise((resolve, reject) => {
      const socket = new Impl(url, [SUBPROTOCOL]);
      socket.binaryType = "arraybuffer";
      const connection = new Connection(socket, onMessage, stats);
      let opened = false;
      socket.addEventListener("open", () => {
        opened = true;
        resolve(connection);
      });
      socket.addEventListener("close", (event) => {
        // A socket that never opened reports 1006; §13.4 reports "no close frame" as no code.
        const info = { code: event.code === 1006 ? undefined : event.code, reason: event.reason,
          wasClean: event.wasClean };
        connection.resolveClosed(info);
        if (!opened) reject(new Error(`WebSocket to ${url} was not opened (${event.code})`));
      });
    });
  }

  /**
   * @param {WebSocket} socket
   * @param {(message: unknown) => void} onMessage
   * @param {FrameStats} stats
   */
  constructor(socket, onMessage, stats) {
    this.socket = socket;
    this.stats = stats;
    /** @type {(info: CloseInfo) => void} */
    this.resolveClosed = () => {};
    /** Resolves when the connection has ended, however it ended. */
    this.closed = new Promise((resolve) => { this.resolveClosed = resolve; });
    socket.addEventListener("message", (event) => {
      const data = event.data;
      if (typeof data === "string") {
        stats.textIn++;
        stats.bytesIn += data.length;
      } else {
        stats.binaryIn++;
        stats.bytesIn += data.byteLength;
      }
      let message;
      try {
        message = decodeMessage(data);
      } catch {
        return; // not JSON-RPC: nothing to route; the sidecar never sends such a message
      }
      onMessage(message);
    });
  }

  /** The subprotocol the sidecar selected ("" when none). */
  get protocol() {
    return this.socket.protocol;
  }

  /**
   * @param {unknown} message
   * @param {import("./codec.js").Encoding} encoding
   */
  send(message, encoding) {
    if (this.socket.readyState !== 1) return; // ended: the pending call fails through failAll
    const data = encodeMessage(message, encoding);
    if (typeof data === "string") this.stats.textOut++;
    else this.stats.binaryOut++;
    this.socket.send(data);
  }

  /**
   * Starts the closing handshake (a client-started close is not an unexpected disconnect, §7.7).
   * @param {number} [code]
   * @param {string} [reason]
   */
  close(code = 1000, reason = "") {
    try {
      this.socket.close(code, reason);
    } catch {
      // already closing
    }
  }
}
