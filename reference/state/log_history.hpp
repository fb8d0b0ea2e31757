// Each service's recent log entries, the source of logs.getLarge and the HTTP log export
// (docs/protocol.md §5.12, §11.6): live entries and, in conformance mode, test.emitLogs entries.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <string_view>

#include "reference/codec/json.hpp"
#include "reference/rpc/large_export.hpp"

namespace flake {

class LogHistory {
 public:
  explicit LogHistory(size_t max_per_service) : max_per_service_(max_per_service) {}

  // `json` is one entry's JSON object text; the oldest entries go once a service holds the maximum.
  void add(std::string_view service, int64_t ts_ms, std::string_view json);
  // The entries of `service` with ts >= since_ms, oldest first, as a cJSON array.
  JsonPtr entries_since(std::string_view service, int64_t since_ms) const;
  // The same entries as MessagePack, packed back to back for logs.getLarge: transcoded from the
  // stored text without a cJSON tree (the full parse only for text the fast path declines).
  PackedEntries packed_since(std::string_view service, int64_t since_ms) const;
  size_t size(std::string_view service) const;

 private:
  struct Entry {
    int64_t ts_ms;
    std::string json;
  };
  size_t max_per_service_;
  std::map<std::string, std::deque<Entry>, std::less<>> services_;
};

}  // namespace flake
