// The reference flake.v1 browser client: what a Tauri front end imports. It connects, authenticates,
// reconnects and resumes (§7), guards each service with a breaker (§7.8), and falls back to REST
// and SSE when the WebSocket upgrade is refused but HTTP answers (§9).
import { reconnectDelay, sleep } from "./backoff.js";
import { CircuitBreaker, outcomeOf, serviceOf } from "./breaker.js";
import { Connection } from "./connection.js";
import { Emitter } from "./emitter.js";
import { FlakeError } from "./errors.js";
import { ChunkAssembly, IntegrityError, verifyAndDecode } from "./large-data.js";
import { RestClient, httpBaseOf } from "./rest.js";
import { RpcChannel } from "./rpc.js";
import { SeqTracker } from "./sequence.js";
import { SseStream } from "./sse.js";
import { Subscription, UPDATE_OF } from "./subscription.js";

export { FlakeError } from "./errors.js";
export { IntegrityError } from "./large-data.js";
export { Subscription } from "./subscription.js";

/**
 * @typedef {object} FlakeClientOptions
 * @property {string} url the WebSocket URL, ws://127.0.0.1:PORT/rpc
 * @property {string} token the sidecar's secret token (§4.1)
 * @property {import("./codec.js").Encoding} [encoding] "json" (text frames, default) or
 *   "msgpack" (binary frames) for requests and the subscriptions they create (§2.4)
 * @property {{version?: string, platform?: string}} [clientInfo] sent with auth.authenticate (§4.6)
 * @property {number} [backoffBaseMs] first reconnect delay; later ones double it (§7.7, §13.2: 1000)
 * @property {number} [maxAttempts] failed attempts in a row before giving up (§7.7: 5)
 * @property {number} [breakerOpenMs] how long a breaker stays open (§7.8, §13.2: 30000)
 * @property {number} [breakerThreshold] consecutive failures that open a breaker (§7.8: 5)
 * @property {number} [callTimeoutMs] a call without an answer this long fails (§13.2: 10000)
 * @property {"auto" | "never" | "force"} [fallback] REST + SSE: "auto" when the upgrade fails but
 *   GET /api/v1/health answers, "force" always, "never" not at all (default "auto")
 * @property {typeof WebSocket} [WebSocket]
 * @property {typeof EventSource} [EventSource]
 * @property {typeof fetch} [fetch]
 * @property {() => number} [random] the jitter's random source
 */

/**
 * @typedef {"idle" | "connecting" | "ready" | "reconnecting" | "closed" | "gave-up" | "unauthorized"} ClientState
 * ready: calls go out now, over the WebSocket or (transport "http") the REST fallback.
 */

/**
 * Events, each with a detail object, named as the driver event lines of §13.4 where one exists:
 * connected, authenticated {sessionId}, disconnected {code?}, resumed {replayed},
 * resume_failed {code}, resubscribed {method, subscription}, resubscribe_failed {method, params, code},
 * gap {expected, seq}, gave_up,
 * attempt_failed {attempt, error}, fallback {reason}, reset {path, latestId}, state {state},
 * notification {method, params} (server notifications no subscription claims).
 */

export class FlakeClient extends Emitter {
  /** @param {FlakeClientOptions} options */
  constructor(options) {
    super();
    this.options = {
      encoding: /** @type {import("./codec.js").Encoding} */ ("json"),
      clientInfo: { version: "0.1.0", platform: "browser" },
      backoffBaseMs: 1000, maxAttempts: 5, breakerOpenMs: 30000, breakerThreshold: 5,
      callTimeoutMs: 10000, fallback: /** @type {"auto" | "never" | "force"} */ ("auto"),
      random: Math.random,
      ...options,
    };
    /** @type {ClientState} */
    this.state = "idle";
    /** "websocket", or "http" once the client has fallen back to REST + SSE. */
    this.transport = /** @type {"websocket" | "http"} */ ("websocket");
    /** The session the client resumes after a disconnect (§7.3). */
    this.sessionId = "";
    /** Frame counters of every WebSocket connection so far. */
    this.stats = { textIn: 0, binaryIn: 0, bytesIn: 0, textOut: 0, binaryOut: 0 };
    this.rest = new RestClient({ baseUrl: httpBaseOf(this.options.url), token: this.options.token,
      timeoutMs: this.options.callTimeoutMs, fetch: this.options.fetch });
    this.seq = new SeqTracker();
    /** @type {Connection | null} the connection whose messages count */
    this.conn = null;
    /** @type {RpcChannel | null} */
    this.rpc = null;
    /** @type {Connection | null} the connection once authenticated: its end is a disconnect (§7.7) */
    this.authedConn = null;
    /** @type {Set<Subscription>} */
    this.subscriptions = new Set();
    /** @type {Map<string, Subscription>} */
    this.bySubscriptionId = new Map();
    /** @type {Map<string, ChunkAssembly>} */
    this.largeStreams = new Map();
    /** @type {Map<string, CircuitBreaker>} */
    this.breakers = new Map();
    /** @type {Array<{resolve: () => void, reject: (e: Error) => void}>} */
    this.readyWaiters = [];
    this.everConnected = false;
    /** @type {number | undefined} the close code of the last connection that ended */
    this.lastCloseCode = undefined;
  }

  /**
   * Connects and authenticates, or starts the REST fallback. Resolves when calls can go out.
   * @returns {Promise<void>}
   */
  async connect() {
    // After giving up, connect() starts over with a fresh count of attempts.
    const fresh = this.state === "idle" || this.state === "gave-up";
    if (this.state === "gave-up") this.#setState("idle");
    const ready = this.#whenReady();
    if (fresh) {
      if (this.options.fallback === "force") await this.#startFallback("fallback forced by the options");
      else {
        this.#setState("connecting");
        this.#establish("initial");
      }
    }
    return ready;
  }

  /**
   * Calls a method and resolves with its result; rejects with a FlakeError. While the client
   * reconnects, the call waits until it is connected again (§13.3).
   * @param {string} method
   * @param {unknown} [params]
   * @param {{encoding?: import("./codec.js").Encoding, timeoutMs?: number}} [options]
   * @returns {Promise<any>}
   */
  async call(method, params, options = {}) {
    await this.#whenReady();
    return this.#guarded(method, () => this.transport === "http" ? this.rest.call(method, params)
      : /** @type {RpcChannel} */ (this.rpc).call(method, params, { encoding: options.encoding ?? this.options.encoding,
        timeoutMs: options.timeoutMs }));
  }

  /**
   * Sends a client notification (no answer, §3.5).
   * @param {string} method
   * @param {unknown} [params]
   */
  async notify(method, params) {
    await this.#whenReady();
    if (this.transport === "http") await this.rest.batch([{ method, params, notification: true }]);
    else this.rpc?.notify(method, params, this.options.encoding);
  }

  /**
   * Sends one batch (§3.4); resolves with {result} or {error} per member, in member order.
   * Members for a service whose breaker is open fail locally and are not sent.
   * @param {import("./rpc.js").BatchMember[]} members
   * @param {{encoding?: import("./codec.js").Encoding}} [options]
   * @returns {Promise<Array<import("./rpc.js").BatchOutcome | undefined>>}
   */
  async batch(members, options = {}) {
    await this.#whenReady();
    // Notifications get no answer, so they neither pass through nor inform a breaker.
    const admitted = members.map((m) => m.notification || (this.#breakerOf(m.method)?.admit() ?? true));
    const sent = members.filter((_, i) => admitted[i]);
    /** @type {Array<import("./rpc.js").BatchOutcome | undefined>} */
    let outcomes = [];
    try {
      if (sent.length > 0) {
        outcomes = this.transport === "http" ? await this.rest.batch(sent)
          : await /** @type {RpcChannel} */ (this.rpc).batch(sent, { encoding: options.encoding ?? this.options.encoding });
      }
    } catch (error) {
      // The whole batch failed (HTTP refused it, or the transport): each admitted call failed so.
      for (const m of sent) if (!m.notification) this.#breakerOf(m.method)?.record(outcomeOf(/** @type {FlakeError} */ (error)));
      throw error;
    }
    let next = 0;
    return members.map((m, i) => {
      if (!admitted[i]) return { error: new FlakeError("breaker", `${serviceOf(m.method)}: circuit open`) };
      const outcome = outcomes[next++];
      if (outcome) this.#breakerOf(m.method)?.record(outcomeOf(outcome.error));
      return outcome;
    });
  }

  /**
   * Subscribes (logs.subscribe, metrics.subscribe, deployments.subscribe) and calls `handler`
   * with each update's params, in seq order, across reconnections.
   * @param {string} method
   * @param {Record<string, any>} params
   * @param {import("./subscription.js").NotificationHandler} handler
   * @param {{encoding?: import("./codec.js").Encoding}} [options]
   * @returns {Promise<Subscription>}
   */
  async subscribe(method, params, handler, options = {}) {
    if (!UPDATE_OF[method]) throw new FlakeError("rpc", `${method} is not a subscribe method`);
    await this.#whenReady();
    const sub = new Subscription({ method, params, handler, encoding: options.encoding ?? this.options.encoding,
      unsubscribe: (s) => this.#unsubscribe(s) });
    if (this.transport === "http") await this.#openStream(sub);
    else await this.#subscribeOnSocket(sub);
    this.subscriptions.add(sub);
    return sub;
  }

  /**
   * logs.getLarge (§5.12): requests the export, assembles its chunks, checks `bytes` and `sha256`
   * (§6.10), inflates and decodes. In the REST fallback the export comes from GET /api/v1/logs.
   * A lost connection fails it (chunks are never replayed, §6.9): request it again.
   * @param {{service: string, timeRange: string, format?: "json" | "msgpack", compress?: boolean}} params
   * @returns {Promise<import("./large-data.js").LargeExport>}
   */
  async getLarge(params) {
    await this.#whenReady();
    if (this.transport === "http") {
      const body = await this.rest.exportLogs(params.service, params.timeRange, params.format ?? "json");
      return { meta: { stream: "", totalEntries: body.totalEntries, chunks: 0, bytes: body.bytes, sha256: "",
        format: params.format ?? "json", compressed: false }, entries: body.entries };
    }
    const rpc = /** @type {RpcChannel} */ (this.rpc);
    /** @type {ChunkAssembly | undefined} */
    let assembly;
    // Registered while the answer is read, so no chunk that follows it can be missed.
    const meta = await rpc.call("logs.getLarge", params, { encoding: this.options.encoding,
      onResult: (m) => {
        assembly = new ChunkAssembly(m);
        this.largeStreams.set(m.stream, assembly);
      } });
    const target = /** @type {ChunkAssembly} */ (assembly);
    try {
      const payloads = await target.complete(this.options.callTimeoutMs,
        (ms) => new FlakeError("timeout", `no data.chunk for ${ms} ms`));
      return await verifyAndDecode(meta, payloads);
    } catch (error) {
      if (error instanceof IntegrityError) throw new FlakeError("integrity", error.message);
      throw error;
    } finally {
      this.largeStreams.delete(meta.stream);
    }
  }

  /** The last seq received on the current session (§6.2), what a resume would send. */
  get lastSeq() {
    return this.seq.last;
  }

  /**
   * The breaker of a service, for inspection.
   * @param {string} service
   */
  breaker(service) {
    return this.#breakerOf(`${service}.x`);
  }

  /** Ends everything; no reconnection follows. */
  close() {
    const conn = this.conn;
    this.#setState("closed");
    this.conn = null;
    this.authedConn = null;
    conn?.close(1000, "client closed");
    for (const sub of this.subscriptions) sub.stream?.close();
    this.#rejectWaiters(new FlakeError("transport", "the client was closed"));
  }

  // --- connection life cycle ------------------------------------------------------------------

  /**
   * Attempts until one succeeds, with the delays of §7.7, or gives up after maxAttempts failures.
   * @param {"initial" | "disconnect" | "gap"} reason initial and gap try at once; a disconnect
   *   waits the first delay first
   */
  async #establish(reason) {
    for (let failures = 0; ;) {
      const immediate = reason !== "disconnect" && failures === 0;
      if (!immediate) {
        await sleep(reconnectDelay(reason === "disconnect" ? failures : failures - 1,
          this.options.backoffBaseMs, this.options.random));
      }
      if (this.#stopped()) return;
      this.lastCloseCode = undefined;
      try {
        await this.#attempt();
        return;
      } catch (error) {
        if (this.#stopped()) return;
        // A wrong token (-32001), or close 4401 after failed attempts: reconnecting cannot help (§7.7).
        const wrongToken = error instanceof FlakeError && error.kind === "rpc" && error.code === -32001;
        if (wrongToken || this.lastCloseCode === 4401) {
          this.#setState("unauthorized");
          this.#rejectWaiters(wrongToken ? error : new FlakeError("rpc", "closed with 4401", { code: -32001 }));
          return;
        }
        failures++;
        this.emit("attempt_failed", { attempt: failures, error: String(error) });
        // A refused upgrade and a sidecar that is down look alike to a page; health tells them apart.
        if (!this.everConnected && this.options.fallback === "auto" && await this.#httpAnswers()) {
          await this.#startFallback("the WebSocket upgrade failed while HTTP answers");
          return;
        }
        if (failures >= this.options.maxAttempts) {
          this.#setState("gave-up");
          this.emit("gave_up", {});
          this.#rejectWaiters(new FlakeError("transport", `no connection after ${failures} attempts`));
          return;
        }
      }
    }
  }

  /** One attempt (§7.7): open, authenticate, resume or start a session. */
  async #attempt() {
    /** @type {Connection | null} */
    let conn = null;
    /** @type {RpcChannel | null} */
    let rpc = null;
    conn = await Connection.open(this.options.url, { WebSocket: this.options.WebSocket, stats: this.stats,
      onMessage: (message) => this.#onMessage(/** @type {Connection} */ (conn), message) });
    const opened = conn;
    rpc = new RpcChannel((message, encoding) => opened.send(message, encoding), { timeoutMs: this.options.callTimeoutMs });
    const channel = rpc;
    this.conn = conn;
    this.rpc = rpc;
    opened.closed.then((info) => this.#onClosed(opened, channel, info));
    this.emit("connected", {});
    try {
      /** @type {{sessionId: string}} */
      const auth = await rpc.call("auth.authenticate", { token: this.options.token, clientInfo: this.options.clientInfo },
        { encoding: this.options.encoding });
      this.emit("authenticated", { sessionId: auth.sessionId });
      if (this.sessionId) await this.#resume(rpc, auth.sessionId);
      else this.#startSession(auth.sessionId);
      if (this.conn !== opened) throw new FlakeError("transport", "the connection ended during set-up");
    } catch (error) {
      // A failed attempt leaves no connection behind (a timed-out answer would keep it open).
      opened.close(1000, "set-up failed");
      throw error;
    }
    this.authedConn = opened;
    this.everConnected = true;
    this.#setState("ready");
    for (const waiter of this.readyWaiters.splice(0)) waiter.resolve();
  }

  /**
   * session.resume with the old session and the last seq (§7.3); after -32007, subscribe again
   * with the same parameters on the fresh session (§7.4) before any call goes out.
   * @param {RpcChannel} rpc
   * @param {string} freshSessionId
   */
  async #resume(rpc, freshSessionId) {
    try {
      const result = await rpc.call("session.resume", { sessionId: this.sessionId, lastSeq: this.seq.last },
        { encoding: this.options.encoding });
      this.emit("resumed", { replayed: result.replayed });
      return;
    } catch (error) {
      if (!(error instanceof FlakeError) || error.kind !== "rpc") throw error;
      this.emit("resume_failed", { code: error.code });
    }
    this.#startSession(freshSessionId);
    for (const sub of [...this.subscriptions]) {
      this.bySubscriptionId.delete(sub.id);
      try {
        await this.#subscribeOnSocket(sub);
        this.emit("resubscribed", { method: sub.method, subscription: sub.id });
      } catch (error) {
        // The sidecar refused it this time (an error, not a lost connection): report and drop it.
        if (!(error instanceof FlakeError) || error.kind !== "rpc") throw error;
        this.subscriptions.delete(sub);
        this.emit("resubscribe_failed", { method: sub.method, params: sub.params, code: error.code });
      }
    }
  }

  /** @param {string} sessionId a session whose seq counter starts again at 1 (§6.2) */
  #startSession(sessionId) {
    this.sessionId = sessionId;
    this.seq.reset();
  }

  /**
   * @param {Connection} conn
   * @param {RpcChannel} rpc
   * @param {import("./connection.js").CloseInfo} info
   */
  #onClosed(conn, rpc, info) {
    this.lastCloseCode = info.code; // read by #establish when an attempt fails
    rpc.failAll("the connection ended");
    if (this.conn === conn) this.#failLarge("the connection ended");
    const wasAuthed = this.authedConn === conn;
    if (this.conn === conn) this.conn = null;
    if (!wasAuthed) return; // an attempt that failed, or a connection abandoned for a gap
    this.authedConn = null;
    this.emit("disconnected", info.code === undefined ? {} : { code: info.code });
    if (this.#stopped()) return;
    if (info.code === 4401) { // the token is wrong: reconnecting cannot help (§7.7)
      this.#setState("unauthorized");
      this.#rejectWaiters(new FlakeError("rpc", "closed with 4401", { code: -32001 }));
      return;
    }
    this.#setState("reconnecting");
    this.#establish("disconnect");
  }

  /**
   * A seq jump (§6.2): ignore the rest of this connection, end it, resume at once on a new one
   * with lastSeq the last seq before the jump. The replay brings the missing notifications.
   * @param {Connection} conn
   */
  #onGap(conn) {
    this.conn = null;
    this.authedConn = null;
    this.#failLarge("the connection showed a seq gap");
    conn.close(1000, "seq gap");
    this.#setState("reconnecting");
    this.#establish("gap");
  }

  // --- incoming messages ----------------------------------------------------------------------

  /**
   * @param {Connection} conn
   * @param {unknown} message
   */
  #onMessage(conn, message) {
    if (conn !== this.conn || !this.rpc) return;
    for (const { method, params } of this.rpc.handle(message)) {
      if (conn !== this.conn) return; // a gap above abandoned the connection
      if (method === "data.chunk") {
        this.largeStreams.get(params.stream)?.add(params);
        continue;
      }
      if (typeof params.seq !== "number") {
        this.emit("notification", { method, params });
        continue;
      }
      const seen = this.seq.observe(params.seq);
      if (seen.kind === "duplicate") continue;
      if (seen.kind === "gap") {
        this.emit("gap", { expected: seen.expected, seq: params.seq });
        this.#onGap(conn);
        return;
      }
      if (seen.kind === "lost") this.emit("gap", { expected: seen.expected, seq: params.seq });
      const sub = this.bySubscriptionId.get(params.subscription);
      if (sub) deliver(sub, params, method);
      else this.emit("notification", { method, params });
    }
  }

  // --- subscriptions --------------------------------------------------------------------------

  /** @param {Subscription} sub */
  async #subscribeOnSocket(sub) {
    const rpc = /** @type {RpcChannel} */ (this.rpc);
    // Registered while the answer is read: the first update may follow in the next message.
    await rpc.call(sub.method, sub.params, { encoding: sub.encoding, onResult: (result) => {
      sub.id = result.subscription;
      this.bySubscriptionId.set(sub.id, sub);
    } });
  }

  /** @param {Subscription} sub */
  async #openStream(sub) {
    const { path, event } = sub.ssePath();
    sub.id = path;
    sub.stream = new SseStream({
      rest: this.rest, path, events: [event], backoffBaseMs: this.options.backoffBaseMs,
      maxAttempts: this.options.maxAttempts, random: this.options.random, EventSource: this.options.EventSource,
      onEvent: (name, params) => {
        const kept = sub.filterSse(params);
        if (kept) deliver(sub, kept, name);
      },
      onReset: (latestId) => this.emit("reset", { path, latestId }),
      onGap: (expected, id) => this.emit("gap", { expected, seq: id, path }),
      onState: (state, detail) => this.emit("stream", { path, state, detail }),
    });
    await sub.stream.open();
  }

  /** @param {Subscription} sub */
  async #unsubscribe(sub) {
    this.subscriptions.delete(sub);
    if (sub.stream) {
      sub.stream.close();
      return;
    }
    const id = sub.id;
    try {
      if (this.state === "ready") await this.call(sub.unsubscribeMethod, { subscription: id });
    } finally {
      // Only after the answer: until then updates of this subscription still arrive in seq order.
      this.bySubscriptionId.delete(id);
    }
  }

  // --- fallback -------------------------------------------------------------------------------

  /** Whether GET /api/v1/health answers: the sidecar runs, only the upgrade fails. */
  async #httpAnswers() {
    try {
      const health = await this.rest.health();
      return health?.protocol === "flake.v1";
    } catch {
      return false;
    }
  }

  /** @param {string} reason */
  async #startFallback(reason) {
    this.transport = "http";
    this.emit("fallback", { reason });
    for (const sub of this.subscriptions) await this.#openStream(sub);
    this.#setState("ready");
    for (const waiter of this.readyWaiters.splice(0)) waiter.resolve();
  }

  // --- helpers --------------------------------------------------------------------------------

  /**
   * Runs one call through its service's breaker (§7.8).
   * @template T
   * @param {string} method
   * @param {() => Promise<T>} send
   * @returns {Promise<T>}
   */
  async #guarded(method, send) {
    const breaker = this.#breakerOf(method);
    if (breaker && !breaker.admit()) throw new FlakeError("breaker", `${serviceOf(method)}: circuit open`);
    try {
      const result = await send();
      breaker?.record("success");
      return result;
    } catch (error) {
      breaker?.record(outcomeOf(/** @type {FlakeError} */ (error)));
      throw error;
    }
  }

  /** @param {string} method */
  #breakerOf(method) {
    const service = serviceOf(method);
    if (!service) return null;
    let breaker = this.breakers.get(service);
    if (!breaker) {
      breaker = new CircuitBreaker({ threshold: this.options.breakerThreshold, openMs: this.options.breakerOpenMs });
      this.breakers.set(service, breaker);
    }
    return breaker;
  }

  /** @param {string} reason */
  #failLarge(reason) {
    for (const assembly of this.largeStreams.values()) assembly.reject(new FlakeError("transport", reason));
    this.largeStreams.clear();
  }

  /** @returns {Promise<void>} */
  #whenReady() {
    if (this.state === "ready") return Promise.resolve();
    if (this.#stopped()) return Promise.reject(new FlakeError("transport", `the client is ${this.state}`));
    return new Promise((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
  }

  /** @param {Error} error */
  #rejectWaiters(error) {
    for (const waiter of this.readyWaiters.splice(0)) waiter.reject(error);
  }

  #stopped() {
    return this.state === "closed" || this.state === "gave-up" || this.state === "unauthorized";
  }

  /** @param {ClientState} state */
  #setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.emit("state", { state });
  }
}

/**
 * Calls a subscription's handler; one that throws is logged, and the notifications after it are
 * still delivered (the seq has already been counted).
 * @param {Subscription} sub
 * @param {any} params
 * @param {string} method
 */
function deliver(sub, params, method) {
  try {
    sub.handler(params, method);
  } catch (error) {
    console.error(`flake-client: the ${sub.method} handler threw`, error);
  }
}
