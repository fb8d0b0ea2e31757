// One SSE stream of the REST fallback (§9.12–§9.14): a fresh one-time ticket for every connection
// (§4.11), the last event id passed back as ?lastEventId= (§9.13; the browser's own reconnect
// would reuse the spent ticket), duplicates dropped, gaps and resets reported.
import { reconnectDelay, sleep } from "./backoff.js";

/**
 * @typedef {object} SseHandlers
 * @property {(name: string, params: any, id: number) => void} onEvent an event in id order
 * @property {(latestId: number) => void} onReset the sidecar could not replay from our last id:
 *   what was missed is gone, so the caller refetches state (§9.13)
 * @property {(expected: number, id: number) => void} onGap ids jumped without a reset
 * @property {(state: "open" | "retrying" | "gave-up", detail?: unknown) => void} onState
 */

export class SseStream {
  /**
   * @param {{rest: import("./rest.js").RestClient, path: string, events: string[],
   *          backoffBaseMs: number, maxAttempts: number, random?: () => number,
   *          EventSource?: typeof EventSource} & SseHandlers} options
   */
  constructor(options) {
    this.options = options;
    /** The id of the last event delivered, or null before the first (§9.13). */
    this.lastId = /** @type {number | null} */ (null);
    this.closed = false;
    /** @type {EventSource | null} */
    this.source = null;
    this.failures = 0;
    this.reconnects = 0;
  }

  /** Opens the stream; resolves once the first connection is open. */
  async open() {
    await this.#connect();
  }

  /** Ends the stream for good. */
  close() {
    this.closed = true;
    this.source?.close();
    this.source = null;
  }

  /** @returns {Promise<void>} */
  async #connect() {
    const { rest, path, events, EventSource: Impl = globalThis.EventSource } = this.options;
    const ticket = await rest.ticket();
    const query = new URLSearchParams({ ticket });
    if (this.lastId !== null) query.set("lastEventId", String(this.lastId));
    const source = new Impl(`${rest.baseUrl}${path}?${query}`);
    this.source = source;
    let opened = false;
    await new Promise((resolve, reject) => {
      source.addEventListener("open", () => {
        opened = true;
        this.options.onState("open");
        resolve(undefined);
      });
      source.addEventListener("error", () => {
        // The browser would retry with the same URL and so the spent ticket: stop it, and
        // reconnect with a new ticket and our last id.
        source.close();
        if (this.source !== source || this.closed) return;
        this.source = null;
        if (opened) this.#retry();
        else reject(new Error(`SSE ${path} was refused`));
      });
      for (const name of events) source.addEventListener(name, (event) => this.#onEvent(name, /** @type {MessageEvent} */ (event)));
      source.addEventListener("reset", (event) => {
        const latest = Number(/** @type {MessageEvent} */ (event).lastEventId);
        this.lastId = latest;
        this.options.onReset(latest);
      });
    });
  }

  /** Reconnects after the stream ended: the delays of §7.7, giving up after maxAttempts failures. */
  async #retry() {
    const { backoffBaseMs, maxAttempts, random } = this.options;
    for (this.failures = 0; !this.closed; this.failures++) {
      if (this.failures >= maxAttempts) {
        this.options.onState("gave-up");
        return;
      }
      this.options.onState("retrying", { attempt: this.failures + 1 });
      await sleep(reconnectDelay(this.failures, backoffBaseMs, random));
      if (this.closed) return;
      this.reconnects++;
      try {
        await this.#connect();
        return;
      } catch {
        // a refused ticket request or stream: one failed attempt
      }
    }
  }

  /**
   * @param {string} name
   * @param {MessageEvent} event
   */
  #onEvent(name, event) {
    const id = Number(event.lastEventId);
    if (this.lastId !== null && id <= this.lastId) return; // replayed twice: already delivered
    if (this.lastId !== null && id !== this.lastId + 1) this.options.onGap(this.lastId + 1, id);
    this.lastId = id;
    let params;
    try {
      params = JSON.parse(event.data);
    } catch {
      return;
    }
    this.options.onEvent(name, params, id);
  }
}
