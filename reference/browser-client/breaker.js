// One circuit breaker per service (§7.8): opens after consecutive failed calls, fails calls locally
// while open, lets one trial call through when half-open.

/** @typedef {"closed" | "open" | "half-open"} BreakerState */

/** Error codes that count as a failed call (§7.8); transport failures and timeouts count too. */
export const FAILURE_CODES = new Set([-32003, -32006, -32603]);

/**
 * Method prefixes that name protocol namespaces, not upstream services (§5.1): calls to them never
 * go through a breaker. Every other prefix is a service (§5.2: "<service>.<method>").
 */
const NOT_SERVICES = new Set(["auth", "system", "rpc", "session", "batch", "logs", "metrics",
  "deployments", "test", "multi", "data"]);

/**
 * The service a method calls, or null when it calls none.
 * @param {string} method
 * @returns {string | null}
 */
export function serviceOf(method) {
  const dot = method.indexOf(".");
  if (dot <= 0) return null;
  const prefix = method.slice(0, dot);
  return NOT_SERVICES.has(prefix) ? null : prefix;
}

export class CircuitBreaker {
  /**
   * @param {{threshold?: number, openMs?: number, now?: () => number}} [options]
   *   threshold: consecutive failures that open it (5); openMs: how long it stays open (30,000,
   *   or §13.2 FLAKE_BREAKER_OPEN_MS).
   */
  constructor({ threshold = 5, openMs = 30000, now = () => Date.now() } = {}) {
    this.threshold = threshold;
    this.openMs = openMs;
    this.now = now;
    /** @type {BreakerState} */
    this.state = "closed";
    this.failures = 0;
    this.openedAt = 0;
    this.trialInFlight = false;
  }

  /**
   * Whether a call may be sent now. When the open period is over this admits exactly one trial
   * call (half-open); further calls fail locally until it ends.
   * @returns {boolean}
   */
  admit() {
    if (this.state === "closed") return true;
    if (this.state === "open") {
      if (this.now() - this.openedAt < this.openMs) return false;
      this.state = "half-open";
      this.trialInFlight = false;
    }
    if (this.trialInFlight) return false;
    this.trialInFlight = true;
    return true;
  }

  /**
   * Records how an admitted call ended.
   * @param {"success" | "failure" | "neutral"} outcome neutral: an error that says nothing about
   *   the service's health (e.g. -32602); it leaves the count unchanged (§7.8).
   */
  record(outcome) {
    if (this.state === "half-open") {
      this.trialInFlight = false;
      if (outcome === "success") this.#close();
      else if (outcome === "failure") this.#open();
      return;
    }
    if (outcome === "success") this.failures = 0;
    else if (outcome === "failure" && ++this.failures >= this.threshold) this.#open();
  }

  #open() {
    this.state = "open";
    this.openedAt = this.now();
    this.failures = 0;
  }

  #close() {
    this.state = "closed";
    this.failures = 0;
  }
}

/**
 * How an ended call counts for its breaker (§7.8).
 * @param {import("./errors.js").FlakeError | undefined} error undefined for a result
 * @returns {"success" | "failure" | "neutral"}
 */
export function outcomeOf(error) {
  if (!error) return "success";
  if (error.kind === "transport" || error.kind === "timeout") return "failure";
  if (error.kind === "rpc" && error.code !== undefined && FAILURE_CODES.has(error.code)) return "failure";
  return "neutral";
}
