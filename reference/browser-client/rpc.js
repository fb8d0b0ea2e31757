// JSON-RPC over one WebSocket connection (§3): request ids, the table of calls awaiting answers,
// batches matched by id (§3.4), call timeouts, and the pause that -32002 retryAfterMs asks for (§8.3).
import { FlakeError } from "./errors.js";

/**
 * @typedef {object} RpcError
 * @property {number} code
 * @property {string} message
 * @property {unknown} [data]
 */

/** @typedef {{method: string, params?: unknown, notification?: boolean}} BatchMember */
/** @typedef {{result: unknown, error?: undefined} | {error: FlakeError, result?: undefined}} BatchOutcome */

/**
 * @typedef {object} Pending
 * @property {string} method
 * @property {(result: unknown) => void} resolve
 * @property {(error: FlakeError) => void} reject
 * @property {ReturnType<typeof setTimeout> | undefined} timer
 */

export class RpcChannel {
  /**
   * @param {(message: unknown, encoding: import("./codec.js").Encoding) => void} send writes one
   *   message on the connection
   * @param {{timeoutMs: number}} options timeoutMs: a call without an answer for this long fails
   *   as a timeout (§13.2 FLAKE_CALL_TIMEOUT_MS)
   */
  constructor(send, { timeoutMs }) {
    this.send = send;
    this.timeoutMs = timeoutMs;
    this.nextId = 1;
    /** @type {Map<number, Pending>} */
    this.pending = new Map();
    /** No request goes out before this time (ms epoch): the retryAfterMs of the last -32002. */
    this.notBefore = 0;
    /** @type {Array<() => void>} sends held back until notBefore */
    this.held = [];
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.heldTimer = undefined;
    this.closed = false;
  }

  /**
   * Sends one request and resolves with its result.
   * @param {string} method
   * @param {unknown} params
   * @param {{encoding: import("./codec.js").Encoding, timeoutMs?: number,
   *          onResult?: (result: any) => void}} options onResult runs synchronously when the
   *   answer is read, before any later message is handled (logs.getLarge registers its stream there)
   * @returns {Promise<any>}
   */
  call(method, params, { encoding, timeoutMs = this.timeoutMs, onResult }) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.closed) {
        reject(new FlakeError("transport", "the connection has ended"));
        return;
      }
      /** @type {Pending} */
      const entry = {
        method,
        resolve: (result) => {
          if (onResult) onResult(result);
          resolve(result);
        },
        reject,
        timer: undefined,
      };
      this.pending.set(id, entry);
      this.#whenAllowed(() => {
        if (this.pending.get(id) !== entry) return; // failed while held back
        if (timeoutMs > 0) entry.timer = setTimeout(() => this.#timeout(id), timeoutMs);
        this.send(request(id, method, params), encoding);
      });
    });
  }

  /**
   * Sends a client notification: no id, no answer (§3.5).
   * @param {string} method
   * @param {unknown} params
   * @param {import("./codec.js").Encoding} encoding
   */
  notify(method, params, encoding) {
    this.#whenAllowed(() => {
      if (!this.closed) this.send(request(undefined, method, params), encoding);
    });
  }

  /**
   * Sends members as one batch (§3.4) and resolves with one outcome per member, in member order;
   * notification members get undefined. Responses are matched by id, whatever their order.
   * @param {BatchMember[]} members
   * @param {{encoding: import("./codec.js").Encoding, timeoutMs?: number}} options
   * @returns {Promise<Array<BatchOutcome | undefined>>}
   */
  batch(members, { encoding, timeoutMs = this.timeoutMs }) {
    const ids = members.map((m) => (m.notification ? undefined : this.nextId++));
    const message = members.map((m, i) => request(ids[i], m.method, m.params));
    const waits = ids.map((id, i) => id === undefined ? Promise.resolve(undefined)
      : new Promise((resolve) => {
        /** @type {Pending} */
        const entry = {
          method: members[i].method,
          resolve: (result) => resolve({ result }),
          reject: (error) => resolve({ error }),
          timer: undefined,
        };
        this.pending.set(id, entry);
      }));
    if (this.closed) this.failAll("the connection has ended");
    else {
      this.#whenAllowed(() => {
        for (const id of ids) {
          const entry = id === undefined ? undefined : this.pending.get(id);
          if (entry && timeoutMs > 0) entry.timer = setTimeout(() => this.#timeout(id ?? 0), timeoutMs);
        }
        if (!this.closed) this.send(message, encoding);
      });
    }
    return Promise.all(waits);
  }

  /**
   * Takes one decoded message. Responses settle their calls; server notifications are returned
   * for the caller to route. A batch answer is an array of responses (§3.4).
   * @param {unknown} message
   * @returns {Array<{method: string, params: any}>} the notifications the message carried
   */
  handle(message) {
    const items = Array.isArray(message) ? message : [message];
    /** @type {Array<{method: string, params: any}>} */
    const notifications = [];
    for (const item of items) {
      if (item === null || typeof item !== "object") continue;
      if (typeof item.method === "string" && !("id" in item)) {
        notifications.push({ method: item.method, params: item.params ?? {} });
        continue;
      }
      const entry = typeof item.id === "number" ? this.pending.get(item.id) : undefined;
      if (!entry) continue; // an answer nobody waits for (id null, or a call that timed out)
      this.pending.delete(item.id);
      clearTimeout(entry.timer);
      if (item.error && typeof item.error === "object") {
        this.#noteRateLimit(item.error);
        entry.reject(FlakeError.fromRpc(item.error));
      } else {
        entry.resolve(item.result);
      }
    }
    return notifications;
  }

  /**
   * Fails every call still waiting, as a transport failure: the connection ended first (§13.4).
   * @param {string} reason
   */
  failAll(reason) {
    this.closed = true;
    clearTimeout(this.heldTimer);
    this.held = [];
    const entries = [...this.pending.values()];
    this.pending.clear();
    for (const entry of entries) {
      clearTimeout(entry.timer);
      entry.reject(new FlakeError("transport", reason));
    }
  }

  /** @param {number} id */
  #timeout(id) {
    const entry = this.pending.get(id);
    if (!entry) return;
    this.pending.delete(id);
    entry.reject(new FlakeError("timeout", `${entry.method}: no answer within ${this.timeoutMs} ms`));
  }

  /**
   * §8.3: after -32002 with retryAfterMs n, the next request waits n ms from the error's arrival.
   * @param {RpcError} error
   */
  #noteRateLimit(error) {
    const data = /** @type {{retryAfterMs?: unknown}} */ (error.data ?? {});
    if (error.code === -32002 && typeof data.retryAfterMs === "number" && data.retryAfterMs > 0) {
      this.notBefore = Math.max(this.notBefore, Date.now() + data.retryAfterMs);
    }
  }

  /**
   * Runs `send` now, or after the rate-limit pause, keeping the order of sends.
   * @param {() => void} send
   */
  #whenAllowed(send) {
    const wait = this.notBefore - Date.now();
    if (wait <= 0 && this.held.length === 0) {
      send();
      return;
    }
    this.held.push(send);
    if (this.heldTimer === undefined) this.heldTimer = setTimeout(() => this.#flushHeld(), Math.max(wait, 0));
  }

  #flushHeld() {
    this.heldTimer = undefined;
    const wait = this.notBefore - Date.now();
    if (wait > 0) {
      this.heldTimer = setTimeout(() => this.#flushHeld(), wait);
      return;
    }
    const held = this.held;
    this.held = [];
    for (const send of held) send();
  }
}

/**
 * @param {number | undefined} id
 * @param {string} method
 * @param {unknown} params
 */
function request(id, method, params) {
  /** @type {Record<string, unknown>} */
  const message = { jsonrpc: "2.0", method };
  if (params !== undefined) message.params = params;
  if (id !== undefined) message.id = id;
  return message;
}
