// The log history's packed form (for logs.getLarge) must be the MessagePack of exactly the entries
// entries_since gives, so an export built from either is byte for byte the same.
#include "reference/state/log_history.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "reference/codec/json_parse.hpp"
#include "reference/codec/msgpack.hpp"
#include "reference/rpc/large_export.hpp"

namespace flake {
namespace {

std::string entry(int64_t ts, int n, std::string_view message) {
  return R"({"ts":)" + std::to_string(ts) + R"(,"level":"info","message":")" +
         std::string(message) + R"(","source":"test","n":)" + std::to_string(n) + "}";
}

// Printable and incompressible, so a big entry must be shortened even when compressed.
std::string noise(size_t size) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out(size, ' ');
  uint64_t state = 0x9E3779B97F4A7C15ULL;
  for (char& c : out) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    c = kAlphabet[state % 64];
  }
  return out;
}

// What the export saw before: every entry of entries_since, packed one by one.
PackedEntries packed_via_tree(const LogHistory& history, std::string_view service, int64_t since) {
  PackedEntries out;
  JsonPtr entries = history.entries_since(service, since);
  for (const cJSON* e = entries->child; e; e = e->next) out.add_copy(encode_msgpack(e));
  return out;
}

TEST(LogHistory, PackedEntriesMatchTheParsedOnes) {
  LogHistory history(100);
  history.add("aws", 10, entry(10, 1, "plain"));
  history.add("aws", 20, entry(20, 2, R"(escaped \"quote\" and \u00e9)"));  // the full parse
  history.add("aws", 30, R"({"ts":30,"x":1.25,"a":1,"a":2})");  // fraction, duplicate key
  history.add("aws", 40, "{not json");                          // skipped by both
  history.add("aws", 50, entry(50, 5, "é € 😀"));
  history.add("vercel", 60, entry(60, 6, "other service"));
  for (int64_t since : {0, 20, 45, 51}) {
    SCOPED_TRACE(since);
    const PackedEntries fast = history.packed_since("aws", since);
    const PackedEntries tree = packed_via_tree(history, "aws", since);
    EXPECT_EQ(fast.flat(), tree.flat());
    EXPECT_EQ(fast.ends(), tree.ends());
  }
  EXPECT_EQ(history.packed_since("aws", 0).count(), 4u);
  EXPECT_TRUE(history.packed_since("nope", 0).count() == 0);
}

TEST(LogHistory, EntriesSinceGivesTheValuesOfTheAddedText) {
  // The HTTP export's entries are what parsing the added text gives (-0 stays -0, which the
  // MessagePack form packs as the integer 0, so the text must stay the stored form).
  const std::vector<std::string> texts = {
      entry(10, 1, "plain"),
      entry(20, 2, R"(escaped \"quote\" and \u00e9 \n)"),
      R"({"ts":30,"x":1.25,"a":1,"a":2,"neg":-7,"big":12345678901234567890,"tiny":1e-300})",
      "{not json",
      R"({"ts":50,"nested":{"list":[1,"two",true,false,null,[],{}]},"message":"é € 😀"})",
      R"({"ts":60,"zero":-0,"exp":2E3,"deep":[[[[[[[[[["x"]]]]]]]]]]})",
  };
  LogHistory history(100);
  JsonPtr expected(cJSON_CreateArray());
  for (size_t i = 0; i < texts.size(); ++i) {
    history.add("aws", static_cast<int64_t>(10 * (i + 1)), texts[i]);
    if (ParseResult parsed = parse_json(texts[i]); parsed.value)
      cJSON_AddItemToArray(expected.get(), parsed.value.release());
  }
  EXPECT_EQ(history.packed_since("aws", 0).count(), 5u) << "text that does not parse";
  JsonPtr got = history.entries_since("aws", 0);
  EXPECT_EQ(print_json(got.get()), print_json(expected.get()));
  EXPECT_EQ(cJSON_GetArraySize(history.entries_since("aws", 45).get()), 2);
}

TEST(LogHistory, KeepsTheNewestWithinItsBound) {
  LogHistory history(3);
  for (int n = 0; n < 5; ++n) history.add("aws", n, entry(n, n, "m"));
  EXPECT_EQ(history.size("aws"), 3u);
  const PackedEntries packed = history.packed_since("aws", 0);
  ASSERT_EQ(packed.ends().size(), 3u);
  MsgpackDecodeResult first = decode_msgpack(packed.entry(0), 8);
  ASSERT_TRUE(first.value);
  EXPECT_EQ(cJSON_GetObjectItemCaseSensitive(first.value.get(), "n")->valuedouble, 2);
}

TEST(LogHistory, FreesTheBlocksOfEvictedEntries) {
  // Entries of ~1 KiB, 1,000 kept: whatever was evicted, the blocks reserved stay those of about
  // 1,000 entries (plus the block being filled and one a straddling entry keeps).
  LogHistory history(1000);
  const std::string message(1000, 'm');
  for (int n = 0; n < 50'000; ++n) history.add("aws", n, entry(n, n, message));
  EXPECT_EQ(history.size("aws"), 1000u);
  const size_t text = 1000 * entry(0, 49'999, message).size();
  EXPECT_LE(history.reserved_bytes("aws"), text + 2 * LogHistory::kBlockBytes);
  const PackedEntries packed = history.packed_since("aws", 0);
  ASSERT_EQ(packed.ends().size(), 1000u);
  MsgpackDecodeResult first = decode_msgpack(packed.entry(0), 8);
  ASSERT_TRUE(first.value);
  EXPECT_EQ(cJSON_GetObjectItemCaseSensitive(first.value.get(), "n")->valuedouble, 49'000);
}

TEST(LogHistory, KeepsAnEntryLargerThanABlockWhole) {
  LogHistory history(2);
  const std::string big = noise(3 * LogHistory::kBlockBytes);
  history.add("aws", 1, entry(1, 1, "small"));
  history.add("aws", 2, entry(2, 2, big));
  history.add("aws", 3, entry(3, 3, "after"));
  JsonPtr entries = history.entries_since("aws", 0);
  ASSERT_EQ(cJSON_GetArraySize(entries.get()), 2);
  const cJSON* message = cJSON_GetObjectItemCaseSensitive(entries->child, "message");
  ASSERT_TRUE(cJSON_IsString(message));
  EXPECT_EQ(std::string(message->valuestring), big);
  history.add("aws", 4, entry(4, 4, "last"));  // evicts the big entry and frees its block
  EXPECT_LT(history.reserved_bytes("aws"), 2 * LogHistory::kBlockBytes);
}

TEST(LogHistory, CompressedBlocksReadBackTheSameEntries) {
  LogHistory history(20'000);
  LogHistory plain(20'000);
  for (int n = 0; n < 30'000; ++n) {
    // Now and then an entry from before a clock jump, so reads go back to earlier blocks.
    const int64_t ts = n % 997 == 0 ? n - 5000 : n;
    const std::string e = entry(ts, n, "entry " + std::to_string(n * 7919));
    history.add("aws", ts, e);
    plain.add("aws", ts, e);
    if (n % 5000 == 0) history.pack_idle(false);  // just added to: left alone
  }
  const size_t before = history.reserved_bytes("aws");
  EXPECT_EQ(history.pack_idle(false), 0u);  // added to since the last call
  EXPECT_GT(history.pack_idle(false), 0u);
  EXPECT_LT(history.reserved_bytes("aws"), before / 3);
  EXPECT_EQ(history.pack_idle(), 0u);  // nothing left to compress
  for (int64_t since : {0, 12'345, 29'999}) {
    SCOPED_TRACE(since);
    const PackedEntries a = history.packed_since("aws", since);
    const PackedEntries b = plain.packed_since("aws", since);
    EXPECT_EQ(a.flat(), b.flat());
    EXPECT_EQ(a.ends(), b.ends());
  }
  JsonPtr a = history.entries_since("aws", 0);
  JsonPtr b = plain.entries_since("aws", 0);
  EXPECT_EQ(print_json(a.get()), print_json(b.get()));
  for (int n = 30'000; n < 60'000; ++n) history.add("aws", n, entry(n, n, "later"));
  EXPECT_EQ(history.size("aws"), 20'000u);  // compressed blocks are evicted like the others
  EXPECT_EQ(history.packed_since("aws", 0).count(), 20'000u);
}

TEST(LogHistory, ExportFromPackedEntriesEqualsExportFromTrees) {
  LogHistory history(30'000);
  for (int n = 0; n < 20'000; ++n) {
    history.add(
        "aws", n,
        entry(n, n, n % 7 == 0 ? "with \\\"escape\\\"" : "entry " + std::to_string(n * 7919)));
  }
  history.add("aws", 20'000, entry(20'000, 20'000, noise(3 * kMaxChunkBytes)));
  for (bool msgpack : {false, true}) {
    for (bool compress : {false, true}) {
      SCOPED_TRACE(std::to_string(msgpack) + std::to_string(compress));
      const LargeExportParams params{"aws", 1000, msgpack, compress};
      JsonPtr trees = history.entries_since("aws", 0);
      const LargeExport a = build_large_export(trees.get(), params, 1);
      const LargeExport b = build_large_export(history.packed_since("aws", 0), params, 1);
      ASSERT_TRUE(a.error.empty()) << a.error;
      ASSERT_TRUE(b.error.empty()) << b.error;
      EXPECT_EQ(a.chunks, b.chunks);
      EXPECT_EQ(a.sha256_hex, b.sha256_hex);
      EXPECT_EQ(a.total_entries, 20'001u);
      EXPECT_EQ(b.shortened_entries, 1u);
    }
  }
}

// The "n" of each entry, in the order given.
std::vector<double> entry_numbers(const JsonPtr& entries) {
  std::vector<double> ns;
  for (const cJSON* e = entries->child; e; e = e->next)
    ns.push_back(cJSON_GetObjectItemCaseSensitive(e, "n")->valuedouble);
  return ns;
}

TEST(LogHistory, KeepsAscendingTsWhenTheClockMovedBack) {
  // test.setClock moved ahead, then back: later entries carry smaller ts and go before the bigger
  // ones, after those with the same ts (§5.12: ascending ts, equal ts in production order).
  LogHistory history(10);
  history.add("aws", 100, entry(100, 0, "a"));
  history.add("aws", 900, entry(900, 1, "shifted"));
  history.add("aws", 200, entry(200, 2, "b"));
  history.add("aws", 200, entry(200, 3, "c"));
  const std::vector<double> ns = entry_numbers(history.entries_since("aws", 0));
  EXPECT_EQ(ns, (std::vector<double>{0, 2, 3, 1}));
}

// An export's range ends at now (§5.12a): entries logged while the clock ran ahead, then moved
// back, lie beyond it and are left out of both forms, whose bounds are inclusive.
TEST(LogHistory, RangeEndsAtItsUpperBoundInBothForms) {
  LogHistory history(10);
  history.add("aws", 100, entry(100, 0, "a"));
  history.add("aws", 900, entry(900, 1, "ahead"));
  history.add("aws", 200, entry(200, 2, "b"));
  history.add("aws", 300, entry(300, 3, "c"));
  const std::vector<double> ns = entry_numbers(history.entries_since("aws", 200, 300));
  EXPECT_EQ(ns, (std::vector<double>{2, 3}));
  const PackedEntries packed = history.packed_since("aws", 200, 300);
  ASSERT_EQ(packed.count(), 2u);
  for (size_t i = 0; i < packed.count(); ++i) {
    JsonPtr value = decode_msgpack(packed.entry(i), kMaxJsonDepth).value;
    ASSERT_NE(value, nullptr);
    EXPECT_EQ(cJSON_GetObjectItemCaseSensitive(value.get(), "n")->valuedouble, ns[i]);
  }
  EXPECT_EQ(history.packed_since("aws", 0).count(), 4u);  // no upper bound given: all of them
}

TEST(LogHistory, EvictsByTsOrderWhenTheClockMovedBack) {
  LogHistory history(3);
  history.add("aws", 900, entry(900, 0, "shifted"));
  history.add("aws", 100, entry(100, 1, "a"));
  history.add("aws", 200, entry(200, 2, "b"));
  history.add("aws", 300, entry(300, 3, "c"));  // the oldest ts (n 1) goes, not the first added
  const std::vector<double> ns = entry_numbers(history.entries_since("aws", 0));
  EXPECT_EQ(ns, (std::vector<double>{2, 3, 0}));
}

}  // namespace
}  // namespace flake
