// Opening a set of authenticated benchmark connections, and a poll set over them.
#pragma once

#include "bench/load/scenarios.hpp"

#include <memory>
#include <vector>

namespace flake::bench {

using ConnSet = std::vector<std::unique_ptr<BenchConn>>;

// `count` connections, each upgraded and authenticated before `deadline`; empty and `error` set
// when any fails.
ConnSet open_connections(const BenchTarget& t, unsigned count, Deadline deadline,
                         std::string& error);

// One poll over every connection (POLLOUT only where a write is pending); returns the indexes of
// ready connections. Waits at most `timeout_ns`.
std::vector<std::size_t> poll_ready(ConnSet& conns, long long timeout_ns);

}  // namespace flake::bench
