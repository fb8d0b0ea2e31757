// ChunkAssembler against exports built here per §6.7-6.10: valid JSON, MessagePack and compressed
// exports assemble; each broken rule is reported as a problem (never an exception).
#include "conformance/client/chunk_assembler.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <zlib.h>

#include <string>
#include <vector>

#include "conformance/client/data_codec.hpp"

namespace flake::conform {
namespace {

std::string base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string deflate(const std::string& bytes) {
  uLongf size = compressBound(static_cast<uLong>(bytes.size()));
  std::string out(size, '\0');
  EXPECT_EQ(
      compress2(reinterpret_cast<Bytef*>(out.data()), &size,
                reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uLong>(bytes.size()), 6),
      Z_OK);
  out.resize(size);
  return out;
}

std::string msgpack(const json& value) {
  const std::vector<std::uint8_t> v = json::to_msgpack(value);
  return std::string(v.begin(), v.end());
}

json entry(int n) {
  return {{"ts", 1000 + n}, {"level", "info"}, {"message", "m"}, {"n", n}};
}

struct Built {
  json meta;
  std::vector<json> chunks;
  Encoding encoding = Encoding::Json;
};

// An export of `per_chunk` entries per chunk, in the given format.
Built build(const std::vector<int>& per_chunk, bool json_format, bool compressed) {
  Built b;
  b.encoding = json_format ? Encoding::Json : Encoding::MsgPack;
  std::string all;
  int n = 0;
  for (std::size_t i = 0; i < per_chunk.size(); ++i) {
    json items = json::array();
    for (int k = 0; k < per_chunk[i]; ++k) items.push_back(entry(n++));
    std::string payload = msgpack(items);
    if (compressed) payload = deflate(payload);
    all += payload;
    json c = {{"stream", "s1"}, {"index", i}};
    if (json_format) {
      c["payload"] = base64(payload);
    } else {
      c["payload"] = json::binary(std::vector<std::uint8_t>(payload.begin(), payload.end()));
    }
    b.chunks.push_back(c);
  }
  b.meta = {{"stream", "s1"},
            {"totalEntries", n},
            {"chunks", per_chunk.size()},
            {"bytes", all.size()},
            {"sha256", sha256_hex(all)},
            {"format", json_format ? "json" : "msgpack"},
            {"compressed", compressed}};
  return b;
}

// The first problem met while assembling `b`, or nullopt.
std::optional<ChunkProblem> assemble(const Built& b, ChunkAssembler& a) {
  if (auto p = a.start(b.meta)) return p;
  for (const json& c : b.chunks) {
    if (auto p = a.add(c, b.encoding)) return p;
  }
  return a.finish();
}

TEST(ChunkAssembler, AssemblesEveryFormat) {
  for (const bool json_format : {true, false}) {
    for (const bool compressed : {false, true}) {
      const Built b = build({3, 1, 2}, json_format, compressed);
      ChunkAssembler a;
      const auto p = assemble(b, a);
      EXPECT_FALSE(p) << p->expected << " / " << p->actual;
      ASSERT_EQ(a.entries().size(), 6u);
      for (int n = 0; n < 6; ++n) EXPECT_EQ(a.entries()[static_cast<std::size_t>(n)], entry(n));
      EXPECT_EQ(a.chunks_added(), 3u);
    }
  }
}

TEST(ChunkAssembler, EmptyExport) {
  const Built b = build({}, true, false);
  ChunkAssembler a;
  EXPECT_FALSE(assemble(b, a));
  EXPECT_TRUE(a.entries().empty());
}

TEST(ChunkAssembler, ReportsChunksOutOfOrder) {
  Built b = build({1, 1}, true, false);
  std::swap(b.chunks[0], b.chunks[1]);
  ChunkAssembler a;
  const auto p = assemble(b, a);
  ASSERT_TRUE(p);
  EXPECT_NE(p->expected.find("index 0"), std::string::npos) << p->expected;
}

TEST(ChunkAssembler, ReportsCorruptPayloadBySha256) {
  Built b = build({2}, false, false);
  // Other entries of the same size: still a valid chunk, but not the bytes the sha256 covers.
  const std::string other = msgpack(json::array({entry(5), entry(6)}));
  ASSERT_EQ(other.size(), b.chunks[0]["payload"].get_binary().size());
  b.chunks[0]["payload"] = json::binary(std::vector<std::uint8_t>(other.begin(), other.end()));
  ChunkAssembler a;
  const auto p = assemble(b, a);
  ASSERT_TRUE(p);
  EXPECT_NE(p->expected.find("sha256"), std::string::npos) << p->expected;
}

TEST(ChunkAssembler, ReportsMissingAndExtraChunks) {
  Built b = build({1, 1}, true, false);
  ChunkAssembler missing;
  ASSERT_FALSE(missing.start(b.meta));
  ASSERT_FALSE(missing.add(b.chunks[0], b.encoding));
  ASSERT_TRUE(missing.finish());

  ChunkAssembler extra;
  ASSERT_FALSE(assemble(b, extra));
  json again = b.chunks[1];
  again["index"] = 2;
  EXPECT_TRUE(extra.add(again, b.encoding));
}

TEST(ChunkAssembler, ReportsWrongBytesAndTotals) {
  Built b = build({2}, true, true);
  b.meta["bytes"] = b.meta["bytes"].get<int>() + 1;
  ChunkAssembler a;
  auto p = assemble(b, a);
  ASSERT_TRUE(p);
  EXPECT_NE(p->expected.find("bytes"), std::string::npos) << p->expected;

  Built t = build({2}, true, false);
  t.meta["totalEntries"] = 3;
  ChunkAssembler a2;
  p = assemble(t, a2);
  ASSERT_TRUE(p);
  EXPECT_NE(p->expected.find("totalEntries"), std::string::npos) << p->expected;
}

TEST(ChunkAssembler, ReportsMalformedValuesWithoutThrowing) {
  const Built b = build({1}, true, false);
  const json bad_chunks[] = {
      json("not an object"),
      {{"stream", 7}, {"index", 0}, {"payload", ""}},
      {{"stream", "s1"}, {"index", "0"}, {"payload", ""}},
      {{"stream", "s1"}, {"index", 0.5}, {"payload", ""}},
      {{"stream", "s1"}, {"index", 0}, {"payload", 5}},
      {{"stream", "s1"}, {"index", 0}, {"payload", "@@@@"}},
      {{"stream", "s1"}, {"index", 0}, {"payload", ""}},  // no MessagePack array at all
      {{"stream", "s1"}, {"index", 0}, {"payload", base64(msgpack(json::array()))}},
      {{"stream", "s1"}, {"index", 0}, {"seq", 1}, {"payload", b.chunks[0]["payload"]}},
  };
  for (const json& c : bad_chunks) {
    ChunkAssembler a;
    ASSERT_FALSE(a.start(b.meta));
    EXPECT_TRUE(a.add(c, Encoding::Json)) << c.dump();
  }
  ChunkAssembler binary;
  ASSERT_FALSE(binary.start(b.meta));
  EXPECT_TRUE(binary.add(b.chunks[0], Encoding::MsgPack));  // a JSON export chunk must be text

  const json bad_meta[] = {json::array(), json({{"stream", "s"}}),
                           json({{"stream", "s"},
                                 {"sha256", ""},
                                 {"format", "xml"},
                                 {"totalEntries", 0},
                                 {"chunks", 0},
                                 {"bytes", 0},
                                 {"compressed", false}})};
  for (const json& m : bad_meta) {
    ChunkAssembler a;
    EXPECT_TRUE(a.start(m)) << m.dump();
    EXPECT_TRUE(a.add(b.chunks[0], Encoding::Json));  // no chunk before accepted metadata
  }
}

TEST(ChunkAssembler, RefusesDeepNestingBeforeDecoding) {
  // 100,000 nested one-element arrays would recurse 100,000 deep in from_msgpack.
  std::string deep(100000, '\x91');
  deep += '\x01';
  EXPECT_FALSE(msgpack_nesting_within(deep, 64));
  Built b = build({1}, false, false);
  b.chunks[0]["payload"] = json::binary(std::vector<std::uint8_t>(deep.begin(), deep.end()));
  ChunkAssembler a;
  ASSERT_FALSE(a.start(b.meta));
  const auto p = a.add(b.chunks[0], b.encoding);
  ASSERT_TRUE(p);
  EXPECT_NE(p->expected.find("nested"), std::string::npos) << p->expected;
}

}  // namespace
}  // namespace flake::conform
