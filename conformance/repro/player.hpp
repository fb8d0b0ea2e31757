// Plays a flake-replay/1 script against a sidecar: the steps in recorded order, the recorded
// pauses (each capped), everything the sidecar sends back printed as it arrives; bounded overall.
#pragma once

#include "conformance/repro/script.hpp"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace flake::conform::repro {

struct PlayTarget {
  std::string host;
  std::uint16_t port = 0;
  Fill fill;  // token, Host value and WebSocket path of the target
};

struct PlayOptions {
  std::chrono::milliseconds timeout{30000};   // the whole replay
  std::chrono::milliseconds max_pause{2000};  // longest wait between two steps
  std::chrono::milliseconds linger{1000};     // reading after the last step
};

struct PlayResult {
  bool completed = false;  // every step played (sends may still have failed: that is output)
  std::string error;       // why not: unreachable target, overall timeout
};

PlayResult play(const Script& script, const PlayTarget& target, const PlayOptions& options,
                std::FILE* out);

}  // namespace flake::conform::repro
