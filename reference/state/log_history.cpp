// Bounded per-service log history (see log_history.hpp).
#include "reference/state/log_history.hpp"

#include <algorithm>

#include "reference/codec/json_parse.hpp"
#include "reference/codec/json_to_msgpack.hpp"
#include "reference/codec/msgpack.hpp"

namespace flake {

void LogHistory::add(std::string_view service, int64_t ts_ms, std::string_view json) {
  auto it = services_.find(service);
  if (it == services_.end())
    it = services_.emplace(std::string(service), std::deque<Entry>{}).first;
  std::deque<Entry>& entries = it->second;
  // Kept in ascending ts (§5.12), also when test.setClock moved the clock back: an entry older than
  // the newest goes after the last one with its ts or an earlier one.
  if (entries.empty() || entries.back().ts_ms <= ts_ms) {
    entries.push_back(Entry{ts_ms, std::string(json)});
  } else {
    const auto at = std::upper_bound(entries.begin(), entries.end(), ts_ms,
                                     [](int64_t ts, const Entry& e) { return ts < e.ts_ms; });
    entries.insert(at, Entry{ts_ms, std::string(json)});
  }
  while (entries.size() > max_per_service_) entries.pop_front();
}

JsonPtr LogHistory::entries_since(std::string_view service, int64_t since_ms) const {
  JsonPtr array(cJSON_CreateArray());
  auto it = services_.find(service);
  if (it == services_.end()) return array;
  for (const Entry& entry : it->second) {
    if (entry.ts_ms < since_ms) continue;
    // Entries were written by the sidecar itself, so they parse; a failure would be a bug worth
    // skipping.
    if (ParseResult parsed = parse_json(entry.json); parsed.value) {
      cJSON_AddItemToArray(array.get(), parsed.value.release());
    }
  }
  return array;
}

PackedEntries LogHistory::packed_since(std::string_view service, int64_t since_ms) const {
  PackedEntries packed;
  auto it = services_.find(service);
  if (it == services_.end()) return packed;
  size_t text_bytes = 0;
  for (const Entry& entry : it->second) text_bytes += entry.json.size();
  packed.bytes.reserve(text_bytes);  // MessagePack is no larger than the JSON text it comes from
  for (const Entry& entry : it->second) {
    if (entry.ts_ms < since_ms) continue;
    if (!json_to_msgpack(entry.json, packed.bytes)) {
      // As entries_since: what does not parse is skipped.
      ParseResult parsed = parse_json(entry.json);
      if (!parsed.value) continue;
      packed.bytes += encode_msgpack(parsed.value.get());
    }
    packed.ends.push_back(packed.bytes.size());
  }
  return packed;
}

size_t LogHistory::size(std::string_view service) const {
  auto it = services_.find(service);
  return it == services_.end() ? 0 : it->second.size();
}

}  // namespace flake
