// A scripted stand-in for the browser's WebSocket, injected through the client's `WebSocket`
// option: for client rules the reference sidecar never provokes (a failing service for the
// breaker, a seq jump, close 4401 on an authenticated path). The script answers like a sidecar.

/**
 * @typedef {object} Script
 * @property {(socket: FakeSocket, index: number) => boolean} [accept] false refuses the upgrade
 * @property {(socket: FakeSocket, message: any) => void} onMessage every JSON message the client sends
 */

/**
 * @param {Script} script
 * @returns {typeof WebSocket & {sockets: FakeSocket[]}}
 */
export function fakeWebSocket(script) {
  const sockets = [];
  class FakeWebSocket extends EventTarget {
    constructor(url, protocols) {
      super();
      this.url = url;
      this.offered = protocols;
      this.protocol = "";
      this.readyState = 0;
      this.binaryType = "blob";
      this.openedAt = performance.now();
      this.index = sockets.push(this) - 1;
      const accepted = script.accept ? script.accept(this, this.index) !== false : true;
      setTimeout(() => {
        if (!accepted) return this.serverClose();
        this.readyState = 1;
        this.protocol = "flake.v1";
        this.dispatchEvent(new Event("open"));
      }, 1);
    }

    send(data) {
      const message = JSON.parse(data);
      setTimeout(() => script.onMessage(this, message), 0);
    }

    close(code = 1000, reason = "") {
      if (this.readyState >= 2) return;
      this.readyState = 3;
      setTimeout(() => this.dispatchEvent(new CloseEvent("close", { code, reason, wasClean: true })), 0);
    }

    /** The sidecar sends one JSON message. */
    serverSend(message) {
      if (this.readyState === 1) this.dispatchEvent(new MessageEvent("message", { data: JSON.stringify(message) }));
    }

    /** The sidecar ends the connection: with a close code, or without a close frame (1006). */
    serverClose(code) {
      if (this.readyState === 3) return;
      this.readyState = 3;
      this.dispatchEvent(new CloseEvent("close", { code: code ?? 1006, wasClean: code !== undefined }));
    }
  }
  FakeWebSocket.sockets = sockets;
  return FakeWebSocket;
}

/** A reply to request `message`. */
export const result = (socket, message, value) => socket.serverSend({ jsonrpc: "2.0", id: message.id, result: value });
export const error = (socket, message, code, data) =>
  socket.serverSend({ jsonrpc: "2.0", id: message.id, error: { code, message: "scripted", ...(data ? { data } : {}) } });
