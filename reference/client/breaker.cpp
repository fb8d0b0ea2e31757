// The §7.8 breaker state machine. Time only enters through the `now` arguments, so tests drive it
// with a fake clock.
#include "reference/client/breaker.hpp"

#include <array>

namespace flake::client {

CallVerdict verdict_for_error(int code) {
  return code == -32003 || code == -32006 || code == -32603 ? CallVerdict::kFailure
                                                            : CallVerdict::kNeutral;
}

bool Breaker::allow(Clock::time_point now) {
  if (!policy_.enabled) return true;
  switch (state_) {
    case BreakerState::kClosed:
      return true;
    case BreakerState::kOpen:
      if (!policy_.half_opens || now - opened_at_ < policy_.open_for) return false;
      state_ = BreakerState::kHalfOpen;
      trial_in_flight_ = true;
      return true;
    case BreakerState::kHalfOpen:
      if (trial_in_flight_) return false;
      trial_in_flight_ = true;
      return true;
  }
  return false;
}

void Breaker::record(Clock::time_point now, CallVerdict v) {
  if (!policy_.enabled) return;
  switch (state_) {
    case BreakerState::kClosed:
      if (v == CallVerdict::kSuccess && policy_.result_resets) failures_ = 0;
      if (v == CallVerdict::kFailure && ++failures_ >= policy_.threshold) {
        state_ = BreakerState::kOpen;
        opened_at_ = now;
      }
      break;
    case BreakerState::kHalfOpen:
      trial_in_flight_ = false;
      if (v == CallVerdict::kSuccess) {
        state_ = BreakerState::kClosed;
        failures_ = 0;
      } else if (v == CallVerdict::kFailure) {
        state_ = BreakerState::kOpen;
        opened_at_ = now;
      }
      // kNeutral: still half-open, the next call is the next trial.
      break;
    case BreakerState::kOpen:
      // A call let through before the breaker opened ended late; the open period stands.
      break;
  }
}

std::string_view service_of(std::string_view method) {
  static constexpr std::array<std::string_view, 11> kProtocol = {
      "auth",    "system", "rpc",  "logs", "metrics", "deployments",
      "session", "batch",  "test", "data", ""};
  const size_t dot = method.find('.');
  if (dot == std::string_view::npos) return {};
  const std::string_view prefix = method.substr(0, dot);
  for (std::string_view p : kProtocol)
    if (p == prefix) return {};
  return prefix;
}

Breaker* BreakerSet::for_method(std::string_view method) {
  const std::string_view service = service_of(method);
  if (service.empty()) return nullptr;
  const std::string_view key = per_service_ ? service : std::string_view("*");
  auto it = breakers_.find(key);
  if (it == breakers_.end()) it = breakers_.emplace(std::string(key), Breaker(policy_)).first;
  return &it->second;
}

}  // namespace flake::client
