// Tracks the session's notification counter (§6.2): the last seq seen, duplicates, and jumps that
// mean notifications were lost.

export class SeqTracker {
  constructor() {
    /** The highest contiguous seq received: what session.resume sends as lastSeq (§7.3). */
    this.last = 0;
    /**
     * `last` when the latest jump was seen: a resume is replaying from there (§6.2h).
     * @type {number | null}
     */
    this.resumedFrom = null;
  }

  /**
   * Classifies a notification's seq.
   * @param {number} seq
   * @returns {{kind: "next"} | {kind: "duplicate"} | {kind: "gap", expected: number} |
   *   {kind: "lost", expected: number}}
   *   next: deliver it (and `last` moved on); duplicate: already delivered, drop it; gap: the
   *   notifications from `expected` on are missing, and `last` stays put so a resume replays them;
   *   lost: the replay after that resume jumps at the same place again, so the sidecar no longer
   *   has them: deliver it (`last` moved on) and do not resume again for that jump (§6.2h).
   */
  observe(seq) {
    if (seq === this.last + 1) {
      this.last = seq;
      return { kind: "next" };
    }
    if (seq <= this.last) return { kind: "duplicate" };
    const expected = this.last + 1;
    if (this.resumedFrom === this.last) {
      this.resumedFrom = null;
      this.last = seq;
      return { kind: "lost", expected };
    }
    this.resumedFrom = this.last;
    return { kind: "gap", expected };
  }

  /** A new session counts from 1 again (§6.2). */
  reset() {
    this.last = 0;
    this.resumedFrom = null;
  }
}
