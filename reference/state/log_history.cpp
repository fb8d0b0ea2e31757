// Bounded per-service log history (see log_history.hpp): entries' text packed in blocks, an index
// in ts order pointing into them, blocks freed once no entry of the index points into them.
#include "reference/state/log_history.hpp"

#include <zlib.h>

#include <algorithm>
#include <cassert>
#include <tuple>
#include <utility>
#include <vector>

#include "reference/codec/json_parse.hpp"
#include "reference/codec/json_to_msgpack.hpp"
#include "reference/codec/msgpack.hpp"
#include "reference/codec/utf8.hpp"
#include "reference/codec/zlib_block.hpp"

namespace flake {

std::string_view LogHistory::bytes_of(const Service& s, const Ref& ref, ReadCache& cache,
                                      bool& msgpack) {
  const Block& block = *s.blocks[static_cast<size_t>(ref.block - s.first_block)];
  msgpack = block.msgpack;
  if (!block.packed) return std::string_view(*block.text).substr(ref.offset, ref.size);
  if (cache.block != ref.block) {
    const bool inflated = zlib_uncompress(*block.text, block.raw_size, cache.raw);
    // The history compressed these bytes itself; anything else is memory corruption.
    assert(inflated);
    (void)inflated;
    cache.block = ref.block;
  }
  return std::string_view(cache.raw).substr(ref.offset, ref.size);
}

void LogHistory::convert_blocks(Service& s, size_t count, bool inflate) {
  std::vector<char> candidate(count, 0);
  bool any = false;
  for (size_t i = 0; i < count; ++i) {
    const Block* block = s.blocks[i].get();
    candidate[i] =
        block != nullptr && !block->msgpack && !block->stays_text && (inflate || !block->packed);
    any = any || candidate[i];
  }
  if (!any) return;
  // The index positions of each candidate block's entries (not always one run: the clock can
  // move back), so that blocks are converted one at a time.
  std::vector<std::vector<uint32_t>> refs(count);
  for (size_t r = 0; r < s.index.size(); ++r) {
    const auto i = static_cast<size_t>(s.index[r].block - s.first_block);
    if (i < count && candidate[i]) refs[i].push_back(static_cast<uint32_t>(r));
  }
  std::string raw;
  std::vector<std::pair<uint32_t, uint32_t>> moved;
  for (size_t i = 0; i < count; ++i) {
    if (!candidate[i]) continue;
    Block& block = *s.blocks[i];
    std::string_view text = *block.text;
    if (block.packed) {
      if (!zlib_uncompress(*block.text, block.raw_size, raw)) continue;
      text = raw;
    }
    std::string converted;
    converted.reserve(text.size() + text.size() / 64 + 16);
    moved.clear();
    bool exact = true;
    for (const uint32_t r : refs[i]) {
      const std::string_view json = text.substr(s.index[r].offset, s.index[r].size);
      const size_t start = converted.size();
      // decode_msgpack refuses a str that is not UTF-8 where parse_json may not: such an entry
      // keeps its block as text, so that the JSON export reads what it read before.
      exact = is_valid_utf8(json) && json_to_msgpack(json, converted);
      if (!exact) break;
      moved.emplace_back(static_cast<uint32_t>(start),
                         static_cast<uint32_t>(converted.size() - start));
    }
    if (!exact) {
      block.stays_text = true;  // not tried again, even once the entry at fault is evicted
      continue;
    }
    for (size_t k = 0; k < moved.size(); ++k) {
      std::tie(s.index[refs[i][k]].offset, s.index[refs[i][k]].size) = moved[k];
    }
    converted.shrink_to_fit();
    block.text = std::make_shared<std::string>(std::move(converted));
    block.msgpack = true;
    block.packed = false;  // left to the next pack_idle, which compresses it as MessagePack
    block.raw_size = 0;
  }
}

size_t LogHistory::pack_idle(bool force) {
  size_t packed = 0;
  for (auto& [name, s] : services_) {
    const bool busy = std::exchange(s.added, false);
    if (busy && !force) continue;
    // A stream's blocks are compressed as text: converting each second what the stream will
    // mostly evict would cost the stream; an export converts what it reads.
    if (!busy && s.blocks.size() > 1) convert_blocks(s, s.blocks.size() - 1, false);
    for (size_t i = 0; i + 1 < s.blocks.size(); ++i) {
      Block* block = s.blocks[i].get();
      if (block == nullptr || block->packed) continue;
      std::optional<std::string> out = zlib_compress(*block->text, Z_BEST_SPEED);
      if (!out) continue;
      packed += block->text->size();
      block->raw_size = block->text->size();
      block->text = std::make_shared<std::string>(std::move(*out));
      block->packed = true;
    }
  }
  return packed;
}

LogHistory::Ref LogHistory::append_text(Service& s, int64_t ts_ms, std::string_view json) {
  s.added = true;
  const bool fits =
      !s.blocks.empty() && s.blocks.back() && !s.blocks.back()->packed &&
      !s.blocks.back()->msgpack &&
      s.blocks.back()->text->capacity() - s.blocks.back()->text->size() >= json.size();
  if (!fits) {
    auto block = std::make_unique<Block>();
    block->text->reserve(std::max(kBlockBytes, json.size()));
    s.blocks.push_back(std::move(block));
  }
  Block& block = *s.blocks.back();
  const Ref ref{ts_ms, s.first_block + s.blocks.size() - 1,
                static_cast<uint32_t>(block.text->size()), static_cast<uint32_t>(json.size())};
  block.text->append(json);
  ++block.live;
  return ref;
}

void LogHistory::drop_oldest(Service& s) {
  const Ref ref = s.index.front();
  s.index.pop_front();
  std::unique_ptr<Block>& block = s.blocks[static_cast<size_t>(ref.block - s.first_block)];
  if (--block->live == 0) block.reset();
  while (!s.blocks.empty() && !s.blocks.front()) {
    s.blocks.pop_front();
    ++s.first_block;
  }
}

void LogHistory::add(std::string_view service, int64_t ts_ms, std::string_view json) {
  auto it = services_.find(service);
  if (it == services_.end()) it = services_.emplace(std::string(service), Service{}).first;
  Service& s = it->second;
  const Ref ref = append_text(s, ts_ms, json);
  // Kept in ascending ts (§5.12), also when test.setClock moved the clock back: an entry older than
  // the newest goes after the last one with its ts or an earlier one.
  if (s.index.empty() || s.index.back().ts_ms <= ts_ms) {
    s.index.push_back(ref);
  } else {
    const auto at = std::upper_bound(s.index.begin(), s.index.end(), ts_ms,
                                     [](int64_t ts, const Ref& r) { return ts < r.ts_ms; });
    s.index.insert(at, ref);
  }
  while (s.index.size() > max_per_service_) drop_oldest(s);
}

JsonPtr LogHistory::entries_since(std::string_view service, int64_t since_ms,
                                  int64_t until_ms) const {
  JsonPtr array(cJSON_CreateArray());
  auto it = services_.find(service);
  if (it == services_.end()) return array;
  ReadCache cache;
  for (const Ref& ref : it->second.index) {
    if (ref.ts_ms < since_ms) continue;
    if (ref.ts_ms > until_ms) break;  // the index is in ascending ts
    bool msgpack = false;
    const std::string_view bytes = bytes_of(it->second, ref, cache, msgpack);
    // Entries were written by the sidecar itself, so they parse; a failure would be a bug worth
    // skipping.
    JsonPtr value = msgpack ? decode_msgpack(bytes, kMaxJsonDepth).value : parse_json(bytes).value;
    if (value) cJSON_AddItemToArray(array.get(), value.release());
  }
  return array;
}

PackedEntries LogHistory::packed_since(std::string_view service, int64_t since_ms,
                                       int64_t until_ms) {
  PackedEntries packed;
  auto it = services_.find(service);
  if (it == services_.end()) return packed;
  Service& s = it->second;
  if (s.blocks.size() > 1) convert_blocks(s, s.blocks.size() - 1, true);
  // The index is in ascending ts.
  const auto first = std::lower_bound(s.index.begin(), s.index.end(), since_ms,
                                      [](const Ref& ref, int64_t ts) { return ref.ts_ms < ts; });
  const auto last = std::upper_bound(first, s.index.end(), until_ms,
                                     [](int64_t ts, const Ref& ref) { return ts < ref.ts_ms; });
  packed.reserve(static_cast<size_t>(last - first));
  // A compressed MessagePack block is inflated once into storage of the export's own (a map: when
  // the clock moved back, one block's entries need not be one run of the index).
  std::map<uint64_t, std::shared_ptr<const std::string>> inflated;
  uint64_t raw_block = UINT64_MAX;
  const std::string* raw = nullptr;
  std::shared_ptr<const std::string>* raw_owner = nullptr;
  ReadCache cache;
  for (auto r = first; r != last; ++r) {
    const Ref& ref = *r;
    const Block& block = *s.blocks[static_cast<size_t>(ref.block - s.first_block)];
    if (block.msgpack && !block.packed) {
      packed.add_shared(block.text, ref.offset, ref.size);
      continue;
    }
    if (block.msgpack) {
      if (raw_block != ref.block) {
        raw_owner = &inflated[ref.block];
        if (!*raw_owner) {
          auto bytes = std::make_shared<std::string>();
          const bool ok = zlib_uncompress(*block.text, block.raw_size, *bytes);
          // The history compressed these bytes itself; anything else is memory corruption.
          assert(ok);
          if (!ok) bytes->clear();
          *raw_owner = std::move(bytes);
        }
        raw = raw_owner->get();
        raw_block = ref.block;
      }
      if (raw->size() >= size_t{ref.offset} + ref.size)
        packed.add_shared(*raw_owner, ref.offset, ref.size);
      continue;
    }
    bool msgpack = false;
    const std::string_view json = bytes_of(s, ref, cache, msgpack);
    if (!json_to_msgpack(json, packed.own())) {
      // As entries_since: what does not parse is skipped.
      ParseResult parsed = parse_json(json);
      if (!parsed.value) continue;
      packed.own() += encode_msgpack(parsed.value.get());
    }
    packed.end_own();
  }
  return packed;
}

size_t LogHistory::size(std::string_view service) const {
  auto it = services_.find(service);
  return it == services_.end() ? 0 : it->second.index.size();
}

size_t LogHistory::reserved_bytes(std::string_view service) const {
  auto it = services_.find(service);
  if (it == services_.end()) return 0;
  size_t bytes = 0;
  for (const auto& block : it->second.blocks) bytes += block ? block->text->capacity() : 0;
  return bytes;
}

}  // namespace flake
