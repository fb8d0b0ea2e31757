// One-time SSE tickets (docs/protocol.md §4.11, §9.11): random, valid 30 s on the sidecar clock,
// consumed by the first SSE request they authenticate.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>

namespace flake {

inline constexpr int64_t kTicketLifetimeMs = 30'000;

class TicketStore {
 public:
  // Outstanding unused tickets beyond this are discarded oldest first (§8.12 allows >= 64).
  explicit TicketStore(size_t max_outstanding = 1024) : max_(max_outstanding) {}

  // A fresh ticket (2 hex chars per random byte: 32 chars, 128 bits by default); empty only if
  // the CSPRNG fails.
  std::string issue(int64_t now_ms, size_t random_bytes = 16,
                    int64_t lifetime_ms = kTicketLifetimeMs);
  // True once per issued ticket, while now_ms is before its expiry; the ticket is gone afterwards.
  bool consume(std::string_view ticket, int64_t now_ms);
  // Whether the ticket is issued and unexpired, leaving it in place (the ticket-reuse defect).
  bool valid(std::string_view ticket, int64_t now_ms) const;
  size_t size() const { return expiry_.size(); }

 private:
  size_t max_;
  std::unordered_map<std::string, int64_t> expiry_;
  std::deque<std::string> order_;  // issue order, for discarding the oldest
};

}  // namespace flake
