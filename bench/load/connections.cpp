// Authenticated connection sets and one poll over them; ppoll because open-loop pacing needs
// sub-millisecond timeouts.
#include "bench/load/connections.hpp"

#include <poll.h>

#include <ctime>

namespace flake::bench {

ConnSet open_connections(const BenchTarget& t, unsigned count, Deadline deadline,
                         std::string& error) {
  ConnSet conns;
  for (unsigned i = 0; i < count; ++i) {
    auto c = std::make_unique<BenchConn>();
    if (!c->open(t.url, deadline, error) || !c->authenticate(t.token, deadline, error)) {
      error = "connection " + std::to_string(i + 1) + ": " + error;
      return {};
    }
    conns.push_back(std::move(c));
  }
  return conns;
}

std::vector<std::size_t> poll_ready(ConnSet& conns, long long timeout_ns) {
  std::vector<pollfd> fds(conns.size());
  for (std::size_t i = 0; i < conns.size(); ++i) {
    fds[i] = {conns[i]->fd(), static_cast<short>(POLLIN | (conns[i]->want_write() ? POLLOUT : 0)),
              0};
  }
  if (timeout_ns < 0) timeout_ns = 0;
  timespec ts{static_cast<time_t>(timeout_ns / 1'000'000'000),
              static_cast<long>(timeout_ns % 1'000'000'000)};
  std::vector<std::size_t> ready;
  if (::ppoll(fds.data(), fds.size(), &ts, nullptr) <= 0) return ready;
  for (std::size_t i = 0; i < fds.size(); ++i) {
    if (fds[i].revents != 0) ready.push_back(i);
  }
  return ready;
}

}  // namespace flake::bench
