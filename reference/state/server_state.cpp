// ServerState construction and its clocks.
#include "reference/state/server_state.hpp"

#include "reference/defects/seams.hpp"

#include <unistd.h>

#include <chrono>

namespace flake {

void HeldDescriptor::reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

ServerState::ServerState(Options opts, FixtureStore store, std::string secret)
    : options(std::move(opts)),
      defects(parse_defects(options.defects)),
      limits(resolve_limits(options, defects)),
      fixtures(std::move(store)),
      token(std::move(secret)),
      access{0, options.allow_origins, options.allow_hosts,
             defects.test(Defect::kAllowHostBareOnly)},
      sessions(limits.session_ring_items, limits.session_ring_bytes),
      log_history(limits.log_history) {
  for (size_t t = 0; t < kTransports; ++t) {
    transport_limits[t] = resolve_limits(options, defects, static_cast<Transport>(t));
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
  c->opened_at_mono_ms = ServerState::mono_ms();
  c->last_ping_ms = ServerState::mono_ms();
  c->bucket = TokenBucket(seam::bucket_rate(state), state.options.burst);
  Connection& added = *c;
  state.connections.emplace(c.get(), std::move(c));
  return added;
}

}  // namespace flake
