// resolve_limits: the options and the number-changing defect switches, read once at start-up.
#include "reference/defects/limits.hpp"

#include <algorithm>
#include <limits>

#include "reference/codec/json_parse.hpp"
#include "reference/rpc/pagination.hpp"
#include "reference/state/tickets.hpp"

namespace flake {

Limits resolve_limits(const Options& o, const DefectSet& defects,
                      std::optional<Transport> transport) {
  const auto on = [&](Defect d) {
    return transport ? defects.test(d, *transport) : defects.test(d);
  };
  constexpr size_t kUnbounded = std::numeric_limits<size_t>::max();
  constexpr int kUncounted = std::numeric_limits<int>::max();
  Limits l{};
  l.max_batch = on(Defect::kNoBatchLimit)         ? kUnbounded
                : on(Defect::kBatchLimitOffByOne) ? kMaxBatch - 1
                                                  : kMaxBatch;
  l.max_operations = on(Defect::kBatchExecuteNoLimit) ? kUnbounded : kMaxOperations;
  l.default_page_limit = on(Defect::kDefaultLimit10) ? 10 : kDefaultPageLimit;
  // Deep enough to let the suite's nesting cases through, shallow enough for the recursive parser.
  l.max_json_depth = on(Defect::kNoDepthLimit) ? 900 : kMaxJsonDepth;
  l.max_ws_message_bytes = on(Defect::kNoSizeLimit) ? kUnbounded : o.max_message_bytes;
  l.max_ws_connections =
      static_cast<size_t>(o.max_connections) + (on(Defect::kCapOffByOne) ? 1 : 0);
  l.max_failed_auths = on(Defect::kNoAuthLockout) ? kUncounted : kMaxFailedAuths;
  l.auth_timeout_ms = on(Defect::kNoAuthTimeout) ? kNever : o.auth_timeout_ms;
  l.ping_interval_ms = on(Defect::kNoPings) ? kNever : o.ping_interval_ms;
  l.max_unanswered_pings = on(Defect::kNoPingTimeout) ? kUncounted : kMaxUnansweredPings;
  l.resume_grace_ms = o.resume_grace_ms / (on(Defect::kShortGrace) ? 2 : 1);
  l.session_ring_items =
      on(Defect::kSmallRing) ? std::min<size_t>(o.replay_ring, 1000) : o.replay_ring;
  l.session_ring_bytes = on(Defect::kSmallRingBytes)
                             ? std::min<size_t>(o.replay_bytes, size_t{2} << 20)
                             : o.replay_bytes;
  // lws counts whole seconds; 60 s is far beyond any case's patience.
  l.header_timeout_s =
      on(Defect::kNoHeaderTimeout) ? 60 : static_cast<unsigned>((o.header_timeout_ms + 999) / 1000);
  l.max_head_bytes = on(Defect::kSmallHeadLimit) ? 4096 : kMaxHeadBytes;
  l.body_timeout_s = on(Defect::kNoBodyTimeout) ? 60 : 5;
  l.ticket_random_bytes = on(Defect::kTicketShort) ? 4 : 16;
  l.ticket_lifetime_ms = on(Defect::kTicketNoExpiry) ? kNever : kTicketLifetimeMs;
  l.ticket_announced_ms = on(Defect::kTicketExpiry) ? 2 * kTicketLifetimeMs : kTicketLifetimeMs;
  l.ballast_bytes = on(Defect::kMemoryHog) ? size_t{64} << 20 : 0;
  l.log_history =
      on(Defect::kHistoryKeeps10000) ? std::min<size_t>(o.log_history, 10000) : o.log_history;
  return l;
}

}  // namespace flake
