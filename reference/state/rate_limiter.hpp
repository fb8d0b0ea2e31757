// Token-bucket rate limiting per connection (docs/protocol.md §8): -32002 with retryAfterMs.
#pragma once

#include <cstdint>

namespace flake {

// Time is passed in by the caller (the protocol clock, which test.setClock can shift), which also
// keeps the bucket deterministic under test. Only successful takes change the refill state, so
// retry_after_ms() is exact: after retry_after_ms(t, n) == r, try_take(t + r, n) succeeds and
// try_take(t + r - 1, n) fails (when nothing else was taken in between).
class TokenBucket {
 public:
  // rate_per_s <= 0 means unlimited. A limited bucket holds at least one token, so a single request
  // can always eventually pass; a cost above the burst can never be paid.
  TokenBucket(double rate_per_s, double burst);

  // Takes `n` tokens if available at `now_ms`, refilling for the time elapsed first (capped at the
  // burst). A clock that moved backwards refills nothing and restarts the refill from the new time.
  bool try_take(int64_t now_ms, double n = 1.0);

  // Milliseconds until `n` tokens are available: 0 if they are now (or the bucket is unlimited),
  // else >= 1. For n above the burst: the time until the bucket is full (at least 1), after which
  // try_take(n) still fails; callers should not charge more than the burst at once.
  int64_t retry_after_ms(int64_t now_ms, double n = 1.0) const;

  bool unlimited() const { return unlimited_; }
  double rate() const { return rate_; }
  double burst() const { return burst_; }

 private:
  double available_after(int64_t elapsed_ms) const;
  int64_t elapsed_since_last(int64_t now_ms) const;

  bool unlimited_;
  double rate_;  // tokens per second
  double burst_;
  double tokens_;  // tokens held at last_ms_
  int64_t last_ms_ = 0;
  bool started_ = false;  // the first call only sets the time origin: the bucket starts full anyway
};

}  // namespace flake
