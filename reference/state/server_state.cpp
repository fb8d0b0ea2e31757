// ServerState construction and its clocks.
#include "reference/state/server_state.hpp"

#include <algorithm>
#include <chrono>

namespace flake {

namespace {

// Members are built before the defect bits are parsed, so this one looks at the names itself.
size_t ring_items(const Options& o) {
  for (const std::string& name : o.defects) {
    if (name == "small-ring") return std::min<size_t>(o.replay_ring, 1000);
  }
  return o.replay_ring;
}

}  // namespace

ServerState::ServerState(Options opts, FixtureStore store, std::string secret)
    : options(std::move(opts)),
      fixtures(std::move(store)),
      token(std::move(secret)),
      access{0, options.allow_origins, options.allow_hosts},
      sessions(ring_items(options), options.replay_bytes),
      log_history(options.log_history) {
  for (const std::string& name : options.defects) {
    if (const DefectInfo* info = find_defect(name)) defects.set(static_cast<size_t>(info->defect));
  }
}

int64_t ServerState::mono_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

int64_t ServerState::now_ms() const {
  return mono_ms() + clock_offset_ms;
}

int64_t ServerState::epoch_ms() const {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count() +
         clock_offset_ms;
}

Connection& add_connection(ServerState& state, lws* wsi) {
  auto c = std::make_unique<Connection>();
  c->wsi = wsi;
  c->server = &state;
  c->opened_at_ms = state.now_ms();
  c->last_ping_ms = ServerState::mono_ms();
  c->bucket = TokenBucket(state.options.rate, state.options.burst);
  Connection& added = *c;
  state.connections.emplace(c.get(), std::move(c));
  return added;
}

}  // namespace flake
