// The reconnect schedule of §7.7: delays base·1, 2, 4, 8, 16, each varied by up to ±20 %, and the
// count of failed attempts after which the client gives up.
#pragma once

#include <chrono>

namespace flake::client {

using Millis = std::chrono::milliseconds;

struct BackoffPolicy {
  Millis base{1000};
  int max_failed_attempts = 5;  // in a row, then give up (§7.7)
  double jitter = 0.2;          // ±20 %
  bool doubles = true;          // false: every delay is the base (defect fixed-backoff)
  bool gives_up = true;         // false: never gives up (defect no-give-up)
};

// The k-th delay (k >= 1) before jitter: base·2^(k-1), capped at k = max_failed_attempts so a
// client that never gives up does not wait for ever.
Millis nominal_delay(const BackoffPolicy& p, int k);
// The k-th delay with jitter; `unit` is a uniform random number in [0, 1) (injected for tests).
Millis jittered_delay(const BackoffPolicy& p, int k, double unit);
// Whether `failed_in_a_row` failed attempts mean giving up.
bool should_give_up(const BackoffPolicy& p, int failed_in_a_row);

}  // namespace flake::client
