// Reading a client case's evidence: the requests the client sent (flattened out of batches), the
// loop calls of §13.3 step 6, connection starts and ends, answers the peer sent, and the driver's
// events by name; plus short descriptions of them for expected/actual texts.
#pragma once

#include "conformance/client_cases/client_context.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace flake::conform::client {

struct SeenRequest {
  Clock::time_point at;
  int conn = 0;
  json id;
  std::string method;
  json params;
  bool in_batch = false;
};

std::vector<SeenRequest> requests(const std::vector<peer::PeerEvent>& wire);
// A call of step 6: a single (not batched) S.getDashboard or T.getDashboard.
bool is_loop_call(const SeenRequest& r);
std::size_t count_loop_calls(const std::vector<peer::PeerEvent>& wire);
// Requests of one service ("vercel." prefix), batch members included.
std::vector<SeenRequest> service_requests(const std::vector<SeenRequest>& all,
                                          std::string_view service);

std::vector<DriverEvent> named(const std::vector<DriverEvent>& events, std::string_view name);

std::optional<Clock::time_point> accepted_at(const std::vector<peer::PeerEvent>& wire, int conn);
// When the peer ended connection `conn` or refused it: its close frame, TCP close or reset.
std::optional<Clock::time_point> ended_at(const std::vector<peer::PeerEvent>& wire, int conn);
// When the peer sent the response with `id` on `conn` (a batch answer counts for its members).
std::optional<Clock::time_point> answered_at(const std::vector<peer::PeerEvent>& wire, int conn,
                                             const json& id);
int connection_count(const std::vector<peer::PeerEvent>& wire);
// The sessionId the peer issued on `conn` (from its auth result), or "".
std::string session_issued(const std::vector<peer::PeerEvent>& wire, int conn);

double ms(Clock::time_point from, Clock::time_point to);
std::string fmt_ms(double ms);
// "system.ping result, vercel.getDashboard error -32003, ..." for a list of call events.
std::string describe_calls(const std::vector<DriverEvent>& calls, std::size_t max = 12);
std::string describe_events(const std::vector<DriverEvent>& events, std::size_t max = 12);
std::string describe_requests(const std::vector<SeenRequest>& reqs, Clock::time_point start,
                              std::size_t max = 12);

// Waits until the peer has seen `n` loop calls; false at the budget or `wait`.
bool reach_loop(ClientCase& cc, std::size_t n, std::chrono::milliseconds wait);
// The case fails unless the workload reached the loop (`n` loop calls), saying how far it got.
void require_loop(ClientCase& cc, std::size_t n = 2);

// The case fails unless the driver reports the three exports of step 5 (json, msgpack, compressed
// msgpack) as verified.
void require_exports_verified(ClientCase& cc);

}  // namespace flake::conform::client
