// The per-service circuit breaker of §7.8, on an injected clock: closed, open after 5 consecutive
// failed calls, half-open after the open period with exactly one trial call in flight.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>

namespace flake::client {

using Clock = std::chrono::steady_clock;

enum class BreakerState { kClosed, kOpen, kHalfOpen };

// How a call ended, for the breaker (§7.8): a result resets, -32003/-32006/-32603, transport
// failures and timeouts count, other errors leave the count as it is.
enum class CallVerdict { kSuccess, kFailure, kNeutral };
CallVerdict verdict_for_error(int code);

struct BreakerPolicy {
  int threshold = 5;
  std::chrono::milliseconds open_for{30000};
  bool enabled = true;        // false: defect no-breaker
  bool half_opens = true;     // false: defect no-half-open
  bool result_resets = true;  // false: defect breaker-never-resets
};

class Breaker {
 public:
  explicit Breaker(const BreakerPolicy& policy) : policy_(policy) {}

  // May a call go out now? In the half-open state the first caller becomes the trial and every
  // other caller is refused until the trial has ended.
  bool allow(Clock::time_point now);
  // A call that allow() let through has ended.
  void record(Clock::time_point now, CallVerdict v);
  BreakerState state() const { return state_; }
  int failures() const { return failures_; }

 private:
  BreakerPolicy policy_;
  BreakerState state_ = BreakerState::kClosed;
  int failures_ = 0;
  Clock::time_point opened_at_{};
  bool trial_in_flight_ = false;
};

// The breakers of one client, keyed by service (the method name before the first '.'). Methods of
// the protocol's own namespaces (auth., system., logs., session., ...) are not service calls.
class BreakerSet {
 public:
  BreakerSet(const BreakerPolicy& policy, bool per_service)
      : policy_(policy), per_service_(per_service) {}
  // The breaker guarding `method`, or nullptr when the method is not a service call.
  Breaker* for_method(std::string_view method);

 private:
  BreakerPolicy policy_;
  bool per_service_;
  std::map<std::string, Breaker, std::less<>> breakers_;
};

std::string_view service_of(std::string_view method);  // "" for the protocol's namespaces

}  // namespace flake::client
