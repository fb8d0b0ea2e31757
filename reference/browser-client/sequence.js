// Tracks the session's notification counter (§6.2): the last seq seen, duplicates, and jumps that
// mean notifications were lost.

export class SeqTracker {
  constructor() {
    /** The highest contiguous seq received: what session.resume sends as lastSeq (§7.3). */
    this.last = 0;
  }

  /**
   * Classifies a notification's seq.
   * @param {number} seq
   * @returns {{kind: "next"} | {kind: "duplicate"} | {kind: "gap", expected: number}}
   *   next: deliver it (and `last` moved on); duplicate: already delivered, drop it; gap: the
   *   notifications from `expected` on are missing, and `last` stays put so a resume replays them.
   */
  observe(seq) {
    if (seq === this.last + 1) {
      this.last = seq;
      return { kind: "next" };
    }
    if (seq <= this.last) return { kind: "duplicate" };
    return { kind: "gap", expected: this.last + 1 };
  }

  /** A new session counts from 1 again (§6.2). */
  reset() {
    this.last = 0;
  }
}
