// The plain-HTTP side of the sidecar (§9): JSON-RPC over POST /api/v1/rpc, health, SSE tickets
// and the log export, each with `Authorization: Bearer` (§4.10) and the pauses that 429 and
// -32002 ask for (§8.3).
import { FlakeError } from "./errors.js";
import { decodeMsgpack } from "./codec.js";

/**
 * The http:// base of a ws:// URL: every endpoint shares one port (§1.1).
 * @param {string} wsUrl
 * @returns {string}
 */
export function httpBaseOf(wsUrl) {
  const url = new URL(wsUrl);
  url.protocol = url.protocol === "wss:" ? "https:" : "http:";
  return url.origin;
}

export class RestClient {
  /**
   * @param {{baseUrl: string, token: string, timeoutMs: number, fetch?: typeof fetch}} options
   */
  constructor({ baseUrl, token, timeoutMs, fetch: fetchImpl = globalThis.fetch.bind(globalThis) }) {
    this.baseUrl = baseUrl;
    this.token = token;
    this.timeoutMs = timeoutMs;
    this.fetch = fetchImpl;
    this.nextId = 1;
    /** No request goes out before this time (ms epoch): Retry-After or retryAfterMs (§8.3). */
    this.notBefore = 0;
  }

  /**
   * One HTTP request; non-2xx statuses become FlakeErrors with the body's JSON-RPC code (§9.3).
   * @param {string} path
   * @param {{method?: string, body?: unknown, accept?: string, auth?: boolean}} [options]
   * @returns {Promise<Response>}
   */
  async request(path, { method = "GET", body, accept, auth = true } = {}) {
    const wait = this.notBefore - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    /** @type {Record<string, string>} */
    const headers = {};
    if (auth) headers.Authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (accept) headers.Accept = accept;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), this.timeoutMs);
    let response;
    try {
      response = await this.fetch(this.baseUrl + path, {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: abort.signal,
        cache: "no-store",
      });
    } catch (error) {
      const kind = abort.signal.aborted ? "timeout" : "transport";
      throw new FlakeError(kind, `${method} ${path}: ${/** @type {Error} */ (error).message}`);
    } finally {
      clearTimeout(timer);
    }
    if (response.ok) return response;
    const retryAfter = Number(response.headers.get("Retry-After"));
    if ((response.status === 429 || response.status === 503) && retryAfter > 0) {
      this.notBefore = Math.max(this.notBefore, Date.now() + retryAfter * 1000);
    }
    /** @type {any} */
    let payload = null;
    try {
      payload = await response.json();
    } catch {
      // no JSON body: the status alone tells
    }
    const error = payload?.error;
    throw new FlakeError("rpc", error?.message ?? `HTTP ${response.status}`,
      { code: error?.code, data: { ...(error?.data ?? {}), httpStatus: response.status } });
  }

  /** GET /api/v1/health (§9.8): needs no token; tells whether HTTP reaches the sidecar at all. */
  async health() {
    return (await this.request("/api/v1/health", { auth: false })).json();
  }

  /**
   * One JSON-RPC request over POST /api/v1/rpc (§9.7).
   * @param {string} method
   * @param {unknown} [params]
   * @returns {Promise<any>}
   */
  async call(method, params) {
    const id = this.nextId++;
    const answer = await this.#post({ jsonrpc: "2.0", id, method, ...(params === undefined ? {} : { params }) });
    if (answer?.error) throw this.#rpcError(answer.error);
    return answer?.result;
  }

  /**
   * A batch over POST /api/v1/rpc; outcomes in member order, matched by id (§3.4).
   * @param {import("./rpc.js").BatchMember[]} members
   * @returns {Promise<Array<import("./rpc.js").BatchOutcome | undefined>>}
   */
  async batch(members) {
    const ids = members.map((m) => (m.notification ? undefined : this.nextId++));
    const answer = await this.#post(members.map((m, i) => ({ jsonrpc: "2.0", method: m.method,
      ...(m.params === undefined ? {} : { params: m.params }), ...(ids[i] === undefined ? {} : { id: ids[i] }) })));
    const byId = new Map((Array.isArray(answer) ? answer : []).map((r) => [r.id, r]));
    return ids.map((id) => {
      if (id === undefined) return undefined;
      const r = byId.get(id);
      if (!r) return { error: new FlakeError("transport", `no answer for id ${id}`) };
      return r.error ? { error: this.#rpcError(r.error) } : { result: r.result };
    });
  }

  /** POST /api/v1/auth/ticket (§9.11): a one-time ticket for one SSE request. */
  async ticket() {
    const body = await (await this.request("/api/v1/auth/ticket", { method: "POST", body: {} })).json();
    return /** @type {string} */ (body.ticket);
  }

  /**
   * GET /api/v1/logs/{service}?timeRange= (§9.10), in MessagePack or JSON.
   * @param {string} service
   * @param {string} timeRange
   * @param {"json" | "msgpack"} format
   * @returns {Promise<{service: string, timeRange: string, totalEntries: number, entries: Array<Record<string, unknown>>, bytes: number}>}
   */
  async exportLogs(service, timeRange, format) {
    const response = await this.request(`/api/v1/logs/${encodeURIComponent(service)}?timeRange=${encodeURIComponent(timeRange)}`,
      { accept: format === "msgpack" ? "application/msgpack" : "application/json" });
    const bytes = new Uint8Array(await response.arrayBuffer());
    const body = /** @type {any} */ (format === "msgpack" && response.headers.get("Content-Type")?.startsWith("application/msgpack")
      ? decodeMsgpack(bytes) : JSON.parse(new TextDecoder().decode(bytes)));
    if (!Array.isArray(body?.entries) || body.entries.length !== body.totalEntries) {
      throw new FlakeError("integrity", "the export's entries do not match its totalEntries");
    }
    return { ...body, bytes: bytes.length };
  }

  /** @param {unknown} message */
  async #post(message) {
    const response = await this.request("/api/v1/rpc", { method: "POST", body: message });
    return response.status === 204 ? undefined : response.json();
  }

  /** @param {{code: number, message: string, data?: any}} error */
  #rpcError(error) {
    const retry = error.data?.retryAfterMs;
    if (error.code === -32002 && typeof retry === "number" && retry > 0) {
      this.notBefore = Math.max(this.notBefore, Date.now() + retry);
    }
    return FlakeError.fromRpc(error);
  }
}
