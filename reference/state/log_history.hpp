// Each service's recent log entries, the source of logs.getLarge and the HTTP log export
// (docs/protocol.md §5.12, §11.6): live entries and, in conformance mode, test.emitLogs entries.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
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
  // The entries of `service` with since_ms <= ts <= until_ms, oldest first, as a cJSON array. An
  // export's range ends at now: entries the clock had run ahead for (test.setClock moved back) are
  // not in it.
  JsonPtr entries_since(std::string_view service, int64_t since_ms,
                        int64_t until_ms = INT64_MAX) const;
  // The same entries as MessagePack for logs.getLarge: entries of blocks kept as MessagePack are
  // referenced where they lie (the export shares the block's storage, and a compressed block's
  // inflated bytes), others transcoded from the stored text into the export's own bytes without a
  // cJSON tree (the full parse only for text the fast path declines). Not const: the service's full
  // blocks, compressed or not, are first rewritten as MessagePack where exact (and pack_idle
  // compresses them again); what each read returns is unchanged. What this returns stays valid
  // whatever the history does afterwards: a shared block's string is never modified, only replaced.
  PackedEntries packed_since(std::string_view service, int64_t since_ms,
                             int64_t until_ms = INT64_MAX);
  size_t size(std::string_view service) const;
  // Bytes reserved for the entries' text of `service` (its blocks' capacities), for tests.
  size_t reserved_bytes(std::string_view service) const;
  // Compresses the full blocks of each service, every block but the one being filled; unless
  // `force`, only of services that got no entry since the last call (a stream evicts most blocks
  // before they would be worth compressing). An idle service's block whose every entry has an
  // exact MessagePack form (json_to_msgpack) is compressed as that form, so an export inflates
  // and copies it without transcoding, and the JSON export decodes it back to the same tree.
  // Returns the bytes compressed (now freed).
  size_t pack_idle(bool force = true);

  // Entries' text is appended to blocks of this size (larger entries get a block of their own).
  static constexpr size_t kBlockBytes = 64 * 1024;

 private:
  // Entries are packed back to back in a few large blocks rather than one heap string each: the
  // history churns with every live entry, and tens of thousands of small strings interleaved with
  // short-lived frames would leave the heap fragmented well beyond what the history holds.
  struct Block {
    // packed: deflated. Modified in place only while the block is being filled with text; an
    // export may share a MessagePack block's string, so converting or compressing a block gives it
    // a new string instead.
    std::shared_ptr<std::string> text = std::make_shared<std::string>();
    size_t live = 0;  // entries of the index still pointing into this block
    size_t raw_size = 0;
    bool packed = false;
    bool msgpack = false;  // the entries are stored as MessagePack, not JSON text (only once full)
    bool stays_text = false;  // an entry has no exact MessagePack form: never converted
  };
  // The inflated text of the block a read is in, so a read inflates each block once.
  struct ReadCache {
    uint64_t block = UINT64_MAX;
    std::string raw;
  };
  struct Ref {
    int64_t ts_ms;
    uint64_t block;  // block number within the service, counted from its first block ever
    uint32_t offset;
    uint32_t size;
  };
  struct Service {
    std::deque<Ref> index;                      // ascending ts
    std::deque<std::unique_ptr<Block>> blocks;  // blocks[i] is number first_block + i; null: freed
    uint64_t first_block = 0;
    bool added = false;  // since the last pack_idle
  };
  // One entry's stored bytes: JSON text, or MessagePack when `msgpack` comes back true.
  static std::string_view bytes_of(const Service& s, const Ref& ref, ReadCache& cache,
                                   bool& msgpack);
  // Rewrites blocks [0, count) of `s` (full ones) as MessagePack where every entry allows it,
  // and moves their entries' refs to the new bytes; compressed text blocks too when `inflate`
  // (they come out uncompressed).
  static void convert_blocks(Service& s, size_t count, bool inflate);
  static Ref append_text(Service& s, int64_t ts_ms, std::string_view json);
  static void drop_oldest(Service& s);

  size_t max_per_service_;
  std::map<std::string, Service, std::less<>> services_;
};

}  // namespace flake
