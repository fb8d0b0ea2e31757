// Full history blocks rewritten as MessagePack (by an export or by pack_idle) must read back
// exactly what the text blocks gave: the same packed bytes for logs.getLarge and the same JSON
// text for the HTTP export, on hand-picked and on generated entries.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "reference/codec/msgpack.hpp"
#include "reference/state/log_history.hpp"

namespace flake {
namespace {

// What a history gives before any of its blocks changed form: the JSON export's text, the
// general path's MessagePack (a cJSON tree per entry) and the export's own packed entries.
struct Reads {
  std::string json;
  std::string tree_packed;
  PackedEntries packed;
};

Reads read_all(LogHistory& history, std::string_view service, int64_t since) {
  Reads out;
  JsonPtr entries = history.entries_since(service, since);
  out.json = print_json(entries.get());
  for (const cJSON* e = entries->child; e; e = e->next) out.tree_packed += encode_msgpack(e);
  out.packed = history.packed_since(service, since);
  return out;
}

void expect_same_reads(const Reads& before, const Reads& after) {
  EXPECT_EQ(after.json, before.json);
  EXPECT_EQ(after.packed.flat(), before.tree_packed) << "the general path's bytes";
  EXPECT_EQ(after.packed.flat(), before.packed.flat());
  EXPECT_EQ(after.packed.ends(), before.packed.ends());
}

// Entries of every shape the transcoder takes or declines, a few per block.
std::vector<std::string> awkward_entries() {
  std::vector<std::string> out = {
      R"({"ts":1,"level":"info","message":"plain","source":"test","n":1})",
      R"({"ts":2,"message":"escaped \"quote\" and \u00e9 \n"})",  // declined: escapes
      R"({"ts":3,"x":1.25,"a":1,"a":2})",                         // declined: fraction, dup key
      R"({"ts":4,"zero":-0})",                                    // declined: -0
      R"({"ts":5,"exp":2E3,"big":12345678901234567890})",         // declined: exponent, 20 digits
      "{not json",                                                // skipped by every path
      std::string(R"({"ts":7,"bad":")") + "\xff\xfe" + "\"}",     // not UTF-8
      R"({"ts":8,"nested":{"list":[1,"two",true,false,null,[],{}]},"message":"é € 😀"})",
      R"({"ts":9,"neg":[-1,-32,-33,-128,-129,-32768,-32769,-2147483648,-2147483649]})",
      R"({"ts":10,"pos":[127,128,255,256,65535,65536,4294967295,4294967296,999999999999999]})",
      " { \"ts\" : 11 , \"spaced\" : [ true ] }\n",
      std::string(64, '[') + std::string(64, ']'),
      std::string(65, '[') + std::string(65, ']'),  // deeper than parse_json allows
  };
  std::string wide = "{";
  for (int i = 0; i < 20; ++i)
    wide += (i ? ",\"" : "\"") + std::to_string(i) + "\":[" +
            std::string(300, 'x').insert(0, "\"") + "\"]";
  out.push_back(wide + "}");  // 16+ keys, str8/str16 lengths
  out.push_back(R"({"long":")" + std::string(70'000, 'l') + R"("})");  // str32, a block alone
  return out;
}

// Random entries within the transcoder's exact subset and, when `odd`, now and then one outside it
// (which keeps its whole block as text).
std::string generated_entry(std::mt19937_64& rng, int n, bool odd = false) {
  auto pick = [&](uint64_t bound) { return rng() % bound; };
  std::string out = R"({"ts":)" + std::to_string(n) + R"(,"level":")";
  out += std::vector<std::string>{"debug", "info", "warn", "error"}[pick(4)];
  out += R"(","message":")" + std::string(pick(300), static_cast<char>('a' + pick(26)));
  out += R"(","n":)";
  static const int64_t kInts[] = {0,    1,      -1,           31,           -32,   127,
                                  128,  255,    256,          65535,        65536, -33,
                                  -129, -32769, 4294967296LL, -2147483649LL};
  out += std::to_string(kInts[pick(std::size(kInts))] * (pick(2) ? 1 : 7));
  if (pick(3) == 0) {
    out += R"(,"fields":[)";
    const uint64_t count = pick(40);
    for (uint64_t i = 0; i < count; ++i) out += (i ? "," : "") + std::to_string(pick(100'000));
    out += "]";
  }
  if (odd && pick(500) == 0) out += R"(,"odd":-0)";
  if (odd && pick(600) == 0) out += R"(,"f":0.5)";
  return out + "}";
}

TEST(LogHistoryMsgpack, AwkwardEntriesReadBackTheSameAfterTheExportConverts) {
  LogHistory history(10'000);
  const std::vector<std::string> entries = awkward_entries();
  for (int round = 0; round < 400; ++round) {
    // Now and then an entry from before a clock jump, so an index run crosses back into blocks.
    const int64_t ts = round % 37 == 0 ? round - 100 : round;
    history.add("aws", ts, entries[static_cast<size_t>(round) % entries.size()]);
  }
  for (int64_t since : {0, 150, 399}) {
    SCOPED_TRACE(since);
    LogHistory copy(10'000);  // the same entries, read first as text blocks
    for (int round = 0; round < 400; ++round) {
      const int64_t ts = round % 37 == 0 ? round - 100 : round;
      copy.add("aws", ts, entries[static_cast<size_t>(round) % entries.size()]);
    }
    JsonPtr tree = copy.entries_since("aws", since);
    const Reads before{print_json(tree.get()), {}, {}};
    const Reads first = read_all(history, "aws", since);  // converts the full blocks
    const Reads second = read_all(history, "aws", since);
    EXPECT_EQ(first.json, before.json);
    expect_same_reads(first, second);
    EXPECT_EQ(first.packed.flat(), first.tree_packed);
  }
}

TEST(LogHistoryMsgpack, GeneratedEntriesReadBackTheSameThroughEveryForm) {
  std::mt19937_64 rng(20261207);
  LogHistory history(30'000);
  for (int n = 0; n < 40'000; ++n) history.add("aws", n, generated_entry(rng, n, true));
  for (int64_t since : {0, 25'000, 39'990}) {
    SCOPED_TRACE(since);
    const Reads text = read_all(history, "aws", since);        // as the text blocks give it
    expect_same_reads(text, read_all(history, "aws", since));  // MessagePack blocks
    history.pack_idle();
    expect_same_reads(text, read_all(history, "aws", since));  // compressed MessagePack
  }
  // New entries after the conversion go into text blocks again, and old ones are evicted.
  for (int n = 40'000; n < 50'000; ++n) history.add("aws", n, generated_entry(rng, n, true));
  EXPECT_EQ(history.size("aws"), 30'000u);
  const Reads mixed = read_all(history, "aws", 0);
  EXPECT_EQ(mixed.packed.flat(), mixed.tree_packed);
  EXPECT_EQ(mixed.packed.ends().size(), 30'000u);
}

TEST(LogHistoryMsgpack, IdlePackConvertsBeforeItCompresses) {
  std::mt19937_64 rng(7);
  LogHistory history(20'000);
  LogHistory text(20'000);
  for (int n = 0; n < 20'000; ++n) {
    const std::string e = generated_entry(rng, n);
    history.add("aws", n, e);
    text.add("aws", n, e);
  }
  const std::string json_before = print_json(text.entries_since("aws", 0).get());
  EXPECT_EQ(history.pack_idle(false), 0u);  // just added to
  EXPECT_GT(history.pack_idle(false), 0u);  // idle: converted, then compressed
  // Compressed MessagePack blocks take no more room than compressed text would.
  EXPECT_LT(history.reserved_bytes("aws"), text.reserved_bytes("aws") / 3);
  EXPECT_EQ(print_json(history.entries_since("aws", 0).get()), json_before);
  const Reads after = read_all(history, "aws", 0);
  EXPECT_EQ(after.packed.flat(), after.tree_packed);
  EXPECT_EQ(after.packed.ends().size(), 20'000u);
}

TEST(LogHistoryMsgpack, AnExportConvertsTextBlocksCompressedDuringAStream) {
  std::mt19937_64 rng(11);
  LogHistory history(20'000);
  for (int n = 0; n < 20'000; ++n) history.add("aws", n, generated_entry(rng, n));
  const Reads text = read_all(history, "aws", 0);  // converts: start again from text
  LogHistory streamed(20'000);
  std::mt19937_64 again(11);
  for (int n = 0; n < 20'000; ++n) streamed.add("aws", n, generated_entry(again, n));
  const size_t raw = streamed.reserved_bytes("aws");
  EXPECT_GT(streamed.pack_idle(true), 0u);  // still streaming: compressed as text
  const size_t compressed = streamed.reserved_bytes("aws");
  EXPECT_LT(compressed, raw / 3);
  expect_same_reads(text, read_all(streamed, "aws", 0));  // inflated and converted
  EXPECT_GT(streamed.reserved_bytes("aws"), compressed) << "converted blocks wait uncompressed";
  expect_same_reads(text, read_all(streamed, "aws", 0));
  EXPECT_GT(streamed.pack_idle(false), 0u);  // idle now: compressed as MessagePack
  EXPECT_LT(streamed.reserved_bytes("aws"), raw / 3);
  expect_same_reads(text, read_all(streamed, "aws", 0));
  EXPECT_EQ(print_json(streamed.entries_since("aws", 10'000).get()),
            print_json(history.entries_since("aws", 10'000).get()));
}

}  // namespace
}  // namespace flake
