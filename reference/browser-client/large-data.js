// logs.getLarge (§5.12, §6.7–§6.10): collects the data.chunk notifications of one stream, checks
// their count, order, `bytes` and `sha256`, inflates zlib payloads and decodes the entry arrays.
import { base64ToBytes, decodeMsgpack } from "./codec.js";

/**
 * @typedef {object} LargeMeta The metadata response of §6.7.
 * @property {string} stream
 * @property {number} totalEntries
 * @property {number} chunks
 * @property {number} bytes
 * @property {string} sha256
 * @property {"json" | "msgpack"} format
 * @property {boolean} compressed
 */

/**
 * @typedef {object} LargeExport
 * @property {LargeMeta} meta
 * @property {Array<Record<string, unknown>>} entries the log entries, in export order
 */

/** The export failed a check of §6.7–§6.10; the caller should request it again. */
export class IntegrityError extends Error {}

/** Chunks of one stream, from the metadata response until the last chunk. */
export class ChunkAssembly {
  /** @param {LargeMeta} meta */
  constructor(meta) {
    this.meta = meta;
    /** @type {Uint8Array[]} */
    this.payloads = [];
    this.received = 0;
    /** @type {(value: Uint8Array[]) => void} */
    this.resolve = () => {};
    /** @type {(reason: Error) => void} */
    this.reject = () => {};
    /** Resolves with the raw payloads once every chunk has arrived in order. */
    this.done = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    if (meta.chunks === 0) this.resolve([]);
  }

  /**
   * Takes one data.chunk's params (§6.9): a base64 string in JSON, a bin (Uint8Array) in MessagePack.
   * @param {{index: number, payload: string | Uint8Array}} params
   */
  add(params) {
    if (params.index !== this.received) {
      this.reject(new IntegrityError(`chunk ${params.index} arrived, expected ${this.received}`));
      return;
    }
    const payload = typeof params.payload === "string" ? base64ToBytes(params.payload) : params.payload;
    if (!(payload instanceof Uint8Array)) {
      this.reject(new IntegrityError(`chunk ${params.index} has no byte payload`));
      return;
    }
    this.payloads.push(payload);
    this.received++;
    if (this.received === this.meta.chunks) this.resolve(this.payloads);
  }

  /**
   * The payloads once every chunk has arrived; fails when no chunk arrives for `stallMs`.
   * @param {number} stallMs
   * @param {(stallMs: number) => Error} stalled the error to fail with
   * @returns {Promise<Uint8Array[]>}
   */
  complete(stallMs, stalled) {
    let seen = -1;
    const timer = setInterval(() => {
      if (this.received === seen) this.reject(stalled(stallMs));
      seen = this.received;
    }, stallMs);
    return this.done.finally(() => clearInterval(timer));
  }
}

/**
 * Lowercase hex SHA-256 of the concatenated payloads (§6.10), by WebCrypto. WebCrypto exists only
 * in secure contexts: https, and http on localhost names such as tauri.localhost.
 * @param {Uint8Array<ArrayBuffer>} bytes
 * @returns {Promise<string>}
 */
export async function sha256Hex(bytes) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Inflates one zlib stream (RFC 1950): the Compression Streams API calls that format "deflate".
 * @param {Uint8Array} bytes
 * @returns {Promise<Uint8Array>}
 */
export async function inflateZlib(bytes) {
  // Payloads never sit in a SharedArrayBuffer; the cast says so to the type checker.
  const stream = new Blob([/** @type {Uint8Array<ArrayBuffer>} */ (bytes)]).stream().pipeThrough(new DecompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * Checks the payloads against the metadata, then decodes them into entries.
 * @param {LargeMeta} meta
 * @param {Uint8Array[]} payloads
 * @returns {Promise<LargeExport>}
 */
export async function verifyAndDecode(meta, payloads) {
  const total = payloads.reduce((sum, p) => sum + p.length, 0);
  if (total !== meta.bytes) throw new IntegrityError(`payloads hold ${total} bytes, metadata says ${meta.bytes}`);
  const all = new Uint8Array(total);
  let offset = 0;
  for (const p of payloads) {
    all.set(p, offset);
    offset += p.length;
  }
  const digest = await sha256Hex(all);
  if (digest !== meta.sha256) throw new IntegrityError(`sha256 ${digest} does not match ${meta.sha256}`);
  /** @type {Array<Record<string, unknown>>} */
  const entries = [];
  for (const p of payloads) {
    const array = decodeMsgpack(meta.compressed ? await inflateZlib(p) : p);
    if (!Array.isArray(array)) throw new IntegrityError("a chunk is not a MessagePack array");
    for (const entry of array) entries.push(entry);
  }
  if (entries.length !== meta.totalEntries) {
    throw new IntegrityError(`${entries.length} entries decoded, metadata says ${meta.totalEntries}`);
  }
  return { meta, entries };
}
