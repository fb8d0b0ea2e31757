// Token bucket. The refill is recomputed from the last successful take rather than accumulated on
// every call, so repeated refused attempts cannot drift the bucket through floating-point rounding.
#include "reference/state/rate_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace flake {

namespace {

// Absorbs rounding in elapsed * rate so that "exactly enough time has passed" counts as enough.
constexpr double kEpsilon = 1e-9;

}  // namespace

TokenBucket::TokenBucket(double rate_per_s, double burst)
    : unlimited_(!(rate_per_s > 0) || std::isinf(rate_per_s)),
      rate_(unlimited_ ? 0 : rate_per_s),
      burst_(burst >= 1 && std::isfinite(burst) ? burst : 1),
      tokens_(burst_) {}

int64_t TokenBucket::elapsed_since_last(int64_t now_ms) const {
  if (!started_ || now_ms <= last_ms_) return 0;
  return now_ms - last_ms_;
}

double TokenBucket::available_after(int64_t elapsed_ms) const {
  return std::min(burst_, tokens_ + static_cast<double>(elapsed_ms) * rate_ / 1000.0);
}

bool TokenBucket::try_take(int64_t now_ms, double n) {
  if (unlimited_ || n <= 0) return true;
  if (!std::isfinite(n)) return false;
  if (!started_ || now_ms < last_ms_) {
    // Nothing accrues across a backwards jump; restarting from now keeps later refills tied to real
    // elapsed time instead of waiting for the clock to catch up with the old reading.
    started_ = true;
    last_ms_ = now_ms;
  }
  const double available = available_after(now_ms - last_ms_);
  if (available + kEpsilon < n) return false;
  tokens_ = std::max(0.0, available - n);
  last_ms_ = now_ms;
  return true;
}

int64_t TokenBucket::retry_after_ms(int64_t now_ms, double n) const {
  if (unlimited_ || n <= 0) return 0;
  const int64_t elapsed = elapsed_since_last(now_ms);
  const double target = std::isfinite(n) ? std::min(n, burst_) : burst_;
  const auto enough = [&](int64_t wait) {
    return available_after(elapsed + wait) + kEpsilon >= target;
  };
  if (enough(0)) return n <= burst_ ? 0 : 1;
  const double deficit = target - available_after(elapsed);
  const double estimate = std::ceil(deficit * 1000.0 / rate_);
  // Far beyond any real wait, yet safe to add to a timestamp without overflowing.
  constexpr auto kMax = static_cast<double>(std::numeric_limits<int64_t>::max() / 4);
  if (!(estimate < kMax)) return static_cast<int64_t>(kMax);
  // The estimate can be one off through rounding; settle it with the very predicate try_take uses.
  int64_t wait = std::max<int64_t>(1, static_cast<int64_t>(estimate));
  while (!enough(wait)) ++wait;
  while (wait > 1 && enough(wait - 1)) --wait;
  return wait;
}

}  // namespace flake
