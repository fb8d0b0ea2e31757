// The one error type every call rejects with: a JSON-RPC error from the sidecar, or a local failure
// (transport, timeout, open breaker) that never reached an answer.

/** @typedef {"rpc" | "transport" | "timeout" | "breaker" | "integrity"} FailureKind */

export class FlakeError extends Error {
  /**
   * @param {FailureKind} kind
   * @param {string} message
   * @param {{code?: number, data?: unknown}} [details] `code` and `data` of a JSON-RPC error (§3.9)
   */
  constructor(kind, message, { code, data } = {}) {
    super(message);
    this.name = "FlakeError";
    this.kind = kind;
    /** The JSON-RPC error code (§3.10), for kind "rpc". */
    this.code = code;
    this.data = data;
  }

  /**
   * @param {{code: number, message: string, data?: unknown}} error a JSON-RPC error object
   * @returns {FlakeError}
   */
  static fromRpc(error) {
    return new FlakeError("rpc", error.message, { code: error.code, data: error.data });
  }
}
