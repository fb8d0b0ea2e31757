// Reconnection delays of §7.7: base, 2·base, 4·base, … each varied by up to ±20 %. (A page never
// sees the Retry-After of a refused upgrade, so none applies here; rest.js honours it over HTTP.)

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

/** @param {number} ms @returns {Promise<void>} */
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
