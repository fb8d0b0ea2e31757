// A fresh reference ServerState for every fuzz input, so one input cannot change how the next
// behaves (replays and minimisation stay exact), over fixtures parsed only once per process.
#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "reference/state/server_state.hpp"

namespace flake::fuzz {

inline constexpr const char* kToken = "s3cret-token";

// Bounds that keep one input cheap: small histories and replay rings, test.* methods on so the
// fuzzer reaches them too.
inline Options fuzz_options() {
  Options o;
  o.fixtures_dir = FLAKE_FUZZ_FIXTURES;
  o.conformance = true;
  o.log_history = 2000;
  o.replay_ring = 200;
  o.replay_bytes = 256 * 1024;
  o.max_send_buffer_bytes = 4u << 20;
  return o;
}

class FreshState {
 public:
  FreshState() : state_(std::make_unique<ServerState>(fuzz_options(), take_store(), kToken)) {}
  // The store goes back for the next input; what the state built on it is dropped.
  ~FreshState() { shared_store() = std::move(state_->fixtures); }
  FreshState(const FreshState&) = delete;
  FreshState& operator=(const FreshState&) = delete;

  ServerState& get() { return *state_; }

 private:
  static std::optional<FixtureStore>& shared_store() {
    static std::optional<FixtureStore> store;
    return store;
  }
  static FixtureStore take_store() {
    auto& store = shared_store();
    if (!store) {
      std::string error;
      store = FixtureStore::load(FLAKE_FUZZ_FIXTURES, error);
      if (!store) throw std::runtime_error("fuzz fixtures: " + error);
    }
    FixtureStore taken = std::move(*store);
    return taken;
  }

  std::unique_ptr<ServerState> state_;
};

}  // namespace flake::fuzz
