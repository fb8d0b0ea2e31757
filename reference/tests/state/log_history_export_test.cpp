// logs.getLarge from the log history's blocks where they lie: the export planned on packed_since's
// pieces gives the same chunks, bytes and sha256 as the whole-buffer form of the same entries, for
// every form a block takes, and keeps doing so while the history changes under an export in flight.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "reference/rpc/large_export.hpp"
#include "reference/state/log_history.hpp"

namespace flake {
namespace {

// About 100 bytes; every `escape_every`-th entry (0: none) has an escape json_to_msgpack declines,
// so its block stays text.
std::string entry(int64_t ts, int n, int escape_every = 0) {
  const bool escaped = escape_every > 0 && n % escape_every == 0;
  return R"({"ts":)" + std::to_string(ts) + R"(,"level":"info","message":"GET /api/)" +
         std::to_string(n * 7919) + (escaped ? R"( \"quoted\"",)" : R"( 200",)") +
         R"("source":"test","n":)" + std::to_string(n) + "}";
}

// The export the whole-buffer form of `packed` gives, every payload cut.
LargeExport whole_buffer_export(const PackedEntries& packed, const LargeExportParams& params) {
  return build_large_export(PackedEntries(packed.flat(), packed.ends()), params, 1);
}

void expect_same_export(LargeExport streamed, const LargeExport& whole) {
  ASSERT_TRUE(streamed.error.empty()) << streamed.error;
  ASSERT_TRUE(whole.error.empty()) << whole.error;
  EXPECT_EQ(streamed.total_entries, whole.total_entries);
  EXPECT_EQ(streamed.bytes, whole.bytes);
  EXPECT_EQ(streamed.sha256_hex, whole.sha256_hex);
  ASSERT_EQ(streamed.chunk_count(), whole.chunks.size());
  for (size_t i = 0; i < whole.chunks.size(); ++i)
    EXPECT_EQ(take_chunk_payload(streamed, i), whole.chunks[i]) << "chunk " << i;
}

// Every export form from the history's pieces against the whole-buffer form and the tree path.
void expect_exports_match(LogHistory& history, int64_t since) {
  for (bool msgpack : {true, false}) {
    for (bool compress : {false, true}) {
      SCOPED_TRACE(std::string(msgpack ? "msgpack" : "json") + (compress ? " zlib" : ""));
      const LargeExportParams params{"aws", 1000, msgpack, compress};
      const PackedEntries packed = history.packed_since("aws", since);
      const LargeExport whole = whole_buffer_export(packed, params);
      JsonPtr trees = history.entries_since("aws", since);
      EXPECT_EQ(build_large_export(trees.get(), params, 1).chunks, whole.chunks);
      expect_same_export(plan_large_export(packed, params, 1), whole);
    }
  }
}

TEST(LogHistoryExport, ConvertedBlocksAreSharedNotGathered) {
  LogHistory history(60'000);
  for (int n = 0; n < 50'000; ++n) history.add("aws", n, entry(n, n));
  const PackedEntries first = history.packed_since("aws", 0);  // converts the full blocks
  const PackedEntries packed = history.packed_since("aws", 0);
  EXPECT_EQ(packed.flat(), first.flat());
  EXPECT_EQ(packed.count(), 50'000u);
  // One piece per full block, which the export shares, and the block being filled, transcoded.
  EXPECT_GE(packed.shared_piece_count(), packed.size() / LogHistory::kBlockBytes);
  EXPECT_EQ(packed.piece_count(), packed.shared_piece_count() + 1);
  const LargeExport whole = whole_buffer_export(packed, {"aws", 1000, true, false});
  EXPECT_GE(whole.chunks.size(), 4u);
  expect_same_export(plan_large_export(packed, {"aws", 1000, true, false}, 1), whole);
}

TEST(LogHistoryExport, MixedBlocksAndMidBlockStarts) {
  LogHistory history(100'000);
  // Blocks of every form: a first export converts these to MessagePack (but those with an escaped
  // entry, which stay text) and the idle tick compresses both kinds.
  for (int n = 0; n < 20'000; ++n) history.add("aws", n, entry(n, n, n < 10'000 ? 1'500 : 0));
  (void)history.packed_since("aws", 0);
  history.pack_idle(false);
  EXPECT_GT(history.pack_idle(false), 0u);
  // Text blocks compressed during a stream (converted by the next export), then uncompressed text,
  // one of them stays text for an escape, and an entry from before a clock jump.
  for (int n = 20'000; n < 30'000; ++n) history.add("aws", n, entry(n, n));
  EXPECT_GT(history.pack_idle(true), 0u);
  for (int n = 30'000; n < 40'000; ++n) history.add("aws", n, entry(n, n, 7'001));
  history.add("aws", 12'345, entry(12'345, 40'000));
  for (int64_t since : {0, 1, 777, 12'345, 19'999, 25'000, 35'000, 39'999, 40'000}) {
    SCOPED_TRACE(since);
    expect_exports_match(history, since);
  }
  const PackedEntries packed = history.packed_since("aws", 0);
  EXPECT_GT(packed.shared_piece_count(), 0u);
  EXPECT_GT(packed.piece_count(), packed.shared_piece_count()) << "text blocks are transcoded";
}

// Chunks go out over several event-loop steps: between them, appends, evictions, conversion by
// another export and compression by the idle tick must leave the export's bytes as they were.
TEST(LogHistoryExport, HistoryChangesBetweenChunksLeaveTheExportAlone) {
  for (bool compressed_first : {false, true}) {
    SCOPED_TRACE(compressed_first ? "blocks compressed before the export" : "MessagePack blocks");
    LogHistory history(50'000);
    for (int n = 0; n < 50'000; ++n) history.add("aws", n, entry(n, n, 4'999));
    (void)history.packed_since("aws", 0);
    if (compressed_first) {
      EXPECT_GT(history.pack_idle(true), 0u);
    }
    const LargeExportParams params{"aws", 1000, true, false};
    LargeExport streamed = plan_large_export(history.packed_since("aws", 100), params, 1);
    const LargeExport whole = whole_buffer_export(streamed.entries, params);
    ASSERT_GE(whole.chunks.size(), 3u);
    ASSERT_EQ(streamed.chunk_count(), whole.chunks.size());
    int next = 50'000;
    auto add = [&](int count) {
      for (int end = next + count; next < end; ++next) history.add("aws", next, entry(next, next));
    };
    for (size_t i = 0; i < whole.chunks.size(); ++i) {
      EXPECT_EQ(take_chunk_payload(streamed, i), whole.chunks[i]) << "chunk " << i;
      switch (i % 3) {
        case 0:  // appends evicting the oldest blocks, then the idle tick
          add(20'000);
          history.pack_idle(false);
          history.pack_idle(false);
          break;
        case 1:  // another export converts the new blocks; a stream's tick compresses as text
          (void)history.packed_since("aws", 0);
          add(5'000);
          history.pack_idle(true);
          break;
        default:  // every entry the export read is evicted
          add(50'000);
          history.pack_idle(true);
          break;
      }
    }
    EXPECT_EQ(streamed.sha256_hex, whole.sha256_hex);
    add(50'000);
    materialize_chunks(streamed);  // as the defect chunk-corrupt does, after changes
    EXPECT_EQ(streamed.chunks, whole.chunks);
    // The history itself still exports what it now holds.
    expect_exports_match(history, 0);
  }
}

}  // namespace
}  // namespace flake
