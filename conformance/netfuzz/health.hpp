// The check after every burst: the sidecar process is alive, a fresh connection authenticates and
// gets an answer to system.ping within the deadline, and its VmRSS stays under the bound.
#pragma once

#include "conformance/netfuzz/target.hpp"

#include <chrono>
#include <cstdint>
#include <string>

namespace flake::conform::netfuzz {

struct HealthResult {
  bool ok = false;
  std::string failure;
  long ping_ms = -1;                    // connect + authenticate + ping
  long rss_kib = 0;                     // 0 when the pid is unknown
  std::uint64_t max_message_bytes = 0;  // capabilities.maxMessageBytes, 0 when not advertised
};

class HealthWatch {
 public:
  HealthWatch(FuzzTarget& target, std::chrono::milliseconds timeout, std::uint64_t growth_mib)
      : target_(target), timeout_(timeout), growth_kib_(static_cast<long>(growth_mib) * 1024) {}

  // The first check: its RSS becomes the baseline.
  HealthResult baseline();
  HealthResult check();

  long baseline_kib() const { return baseline_kib_; }
  long bound_kib() const { return baseline_kib_ + growth_kib_; }
  long peak_kib() const { return peak_kib_; }

 private:
  bool alive(HealthResult& result);

  FuzzTarget& target_;
  std::chrono::milliseconds timeout_;
  long growth_kib_;
  long baseline_kib_ = 0;
  long peak_kib_ = 0;
};

std::string describe_exit(const ExitInfo& exit);

}  // namespace flake::conform::netfuzz
