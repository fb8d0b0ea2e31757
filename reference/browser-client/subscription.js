// What one subscribe call created, kept by the client across reconnections: the parameters to
// subscribe again with after -32007 (§7.4), and the mapping to an SSE stream in the REST fallback.

/** @typedef {(params: any, method: string) => void} NotificationHandler */

/** The notification each subscribe method produces (§6.1). */
export const UPDATE_OF = /** @type {Record<string, string>} */ ({
  "logs.subscribe": "logs.update",
  "metrics.subscribe": "metrics.update",
  "deployments.subscribe": "deployments.update",
});

const LEVELS = ["debug", "info", "warn", "error"];

export class Subscription {
  /**
   * @param {{method: string, params: Record<string, any>, handler: NotificationHandler,
   *          encoding: import("./codec.js").Encoding, unsubscribe: (sub: Subscription) => Promise<void>}} init
   */
  constructor({ method, params, handler, encoding, unsubscribe }) {
    this.method = method;
    this.params = params;
    this.handler = handler;
    this.encoding = encoding;
    /** The sidecar's subscription id; it changes when the client subscribes again after -32007. */
    this.id = "";
    /** @type {import("./sse.js").SseStream | null} the stream that carries it in the REST fallback */
    this.stream = null;
    this.unsubscribeWith = unsubscribe;
  }

  /** Ends the subscription (§5.11). */
  unsubscribe() {
    return this.unsubscribeWith(this);
  }

  /** The `*.unsubscribe` method of this subscription's family. */
  get unsubscribeMethod() {
    return this.method.replace(/\.subscribe$/, ".unsubscribe");
  }

  /**
   * The SSE endpoint that carries the same updates (§9.12), and the event name.
   * @returns {{path: string, event: string}}
   */
  ssePath() {
    const event = UPDATE_OF[this.method];
    if (this.method === "logs.subscribe") {
      return { path: `/api/v1/stream/logs/${encodeURIComponent(this.params.service)}`, event };
    }
    return { path: this.method === "metrics.subscribe" ? "/api/v1/stream/metrics" : "/api/v1/stream/deployments", event };
  }

  /**
   * SSE streams carry every level and every service (§9.12): applies this subscription's own
   * filters, as the sidecar does for WebSocket subscriptions (§5.9, §5.10).
   * @param {any} params an event's params
   * @returns {any | null} the params to deliver, or null when nothing is left
   */
  filterSse(params) {
    if (this.params.service !== undefined && params.service !== this.params.service) return null;
    if (this.method !== "logs.subscribe" || !this.params.level) return params;
    const floor = LEVELS.indexOf(this.params.level);
    const entries = params.entries.filter((/** @type {any} */ e) => LEVELS.indexOf(e.level) >= floor);
    return entries.length ? { ...params, entries } : null;
  }
}
