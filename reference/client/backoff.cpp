// The §7.7 reconnect delays as pure functions, so tests check them without sleeping.
#include "reference/client/backoff.hpp"

#include <algorithm>
#include <cmath>

namespace flake::client {

Millis nominal_delay(const BackoffPolicy& p, int k) {
  if (!p.doubles) return p.base;
  const int exponent = std::clamp(k, 1, std::max(1, p.max_failed_attempts)) - 1;
  return p.base * (int64_t{1} << exponent);
}

Millis jittered_delay(const BackoffPolicy& p, int k, double unit) {
  const double d = static_cast<double>(nominal_delay(p, k).count());
  const double factor = 1.0 + p.jitter * (2.0 * std::clamp(unit, 0.0, 1.0) - 1.0);
  return Millis(static_cast<int64_t>(std::llround(d * factor)));
}

bool should_give_up(const BackoffPolicy& p, int failed_in_a_row) {
  return p.gives_up && failed_in_a_row >= p.max_failed_attempts;
}

}  // namespace flake::client
