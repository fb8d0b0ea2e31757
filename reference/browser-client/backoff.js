// Reconnection delays of §7.7: base, 2·base, 4·base, … each varied by up to ±20 %, and the
// Retry-After floor a refused attempt may set.

/** How far each delay may be varied, as a fraction of it (§7.7: ±20 %). */
export const JITTER = 0.2;

/**
 * The delay before reconnect attempt `attempt` (0 for the first attempt after a disconnect).
 * @param {number} attempt 0-based attempt index
 * @param {number} baseMs the first delay (§13.2 FLAKE_BACKOFF_BASE_MS, 1000 by default)
 * @param {() => number} [random] uniform in [0, 1); injectable so tests can pin the jitter
 * @returns {number} milliseconds
 */
export function reconnectDelay(attempt, baseMs, random = Math.random) {
  const nominal = baseMs * 2 ** attempt;
  return Math.round(nominal * (1 + (random() * 2 - 1) * JITTER));
}

/**
 * The delay to wait, given our own delay and a server's Retry-After (seconds, §7.7, §9.3): the
 * larger of the two. Retry-After is never scaled by the backoff base (§13.2).
 * @param {number} ownDelayMs
 * @param {string | null | undefined} retryAfterHeader
 * @returns {number}
 */
export function withRetryAfter(ownDelayMs, retryAfterHeader) {
  const seconds = Number(retryAfterHeader);
  if (!retryAfterHeader || !Number.isFinite(seconds) || seconds <= 0) return ownDelayMs;
  return Math.max(ownDelayMs, seconds * 1000);
}

/** @param {number} ms @returns {Promise<void>} */
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
