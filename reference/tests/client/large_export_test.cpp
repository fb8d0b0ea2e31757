// §6.7-§6.10 on the client side: an export is verified (bytes, sha256 over the raw payloads) before
// it is inflated and decoded; each wrong piece rejects it.
#include "reference/client/large_export.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include "reference/client/base64.hpp"
#include "reference/codec/json_parse.hpp"
#include "reference/codec/msgpack.hpp"

namespace flake::client {
namespace {

std::string zlib(std::string_view in) {
  uLongf n = compressBound(in.size());
  std::string out(n, '\0');
  EXPECT_EQ(compress2(reinterpret_cast<Bytef*>(out.data()), &n,
                      reinterpret_cast<const Bytef*>(in.data()), in.size(), 6),
            Z_OK);
  out.resize(n);
  return out;
}

// Two chunks of entries as MessagePack arrays, compressed or not.
std::vector<std::string> payloads(bool compressed) {
  const char* chunks[] = {
      R"([{"ts":1,"level":"info","message":"a","source":"s"},{"ts":2,"level":"warn","message":"b"}])",
      R"([{"ts":3,"level":"error","message":"c","extra":true}])"};
  std::vector<std::string> out;
  for (const char* c : chunks) {
    std::string packed = encode_msgpack(parse_json(c).value.get());
    out.push_back(compressed ? zlib(packed) : packed);
  }
  return out;
}

ExportMeta meta_for(const std::vector<std::string>& p, bool compressed) {
  std::string all;
  for (const auto& s : p) all += s;
  ExportMeta m;
  m.stream = "st-1";
  m.total_entries = 3;
  m.chunks = static_cast<int64_t>(p.size());
  m.bytes = static_cast<int64_t>(all.size());
  m.sha256 = sha256_hex(all);
  m.format = "msgpack";
  m.compressed = compressed;
  return m;
}

LargeResult assemble(const ExportMeta& m, const std::vector<std::string>& p,
                     VerifyChecks checks = {}) {
  ExportAssembly a(m, checks);
  for (size_t i = 0; i < p.size(); ++i) a.add_chunk(static_cast<int64_t>(i), p[i]);
  return a.finish();
}

TEST(LargeExport, VerifiesAndDecodesPlainAndCompressed) {
  for (bool compressed : {false, true}) {
    auto p = payloads(compressed);
    LargeResult r = assemble(meta_for(p, compressed), p);
    ASSERT_TRUE(r.verified) << r.reason;
    EXPECT_EQ(r.entry_count(), 3u);
    EXPECT_EQ(print_json(cJSON_GetArrayItem(r.entries.get(), 2)),
              R"({"ts":3,"level":"error","message":"c","extra":true})");
  }
}

TEST(LargeExport, Sha256OfTheSpecExample) {
  // §6.11: the 120-byte payload and its digest.
  auto raw = base64_decode(
      "koSidHPPAAABk2QNGAClbGV2ZWykaW5mb6dtZXNzYWdlrWJ1aWxkIHN0YXJ0ZWSmc291cmNlp2J1aWxkZXKEonRzzwAA"
      "AZNkDRj6pWxldmVspHdhcm6nbWVzc2FnZapjYWNoZSBtaXNzpnNvdXJjZadidWlsZGVy");
  ASSERT_TRUE(raw);
  EXPECT_EQ(raw->size(), 120u);
  EXPECT_EQ(sha256_hex(*raw), "2dcffc2faed856efd318fa7e464e9836ff608647e9eaf868cfc1115fc81a3a9d");
  ExportMeta m;
  m.stream = "st-1";
  m.total_entries = 2;
  m.chunks = 1;
  m.bytes = 120;
  m.sha256 = sha256_hex(*raw);
  m.format = "json";
  LargeResult r = assemble(m, {*raw});
  ASSERT_TRUE(r.verified) << r.reason;
  EXPECT_EQ(r.entry_count(), 2u);
}

TEST(LargeExport, WrongBytesIsRejectedUnlessUnchecked) {
  auto p = payloads(false);
  ExportMeta m = meta_for(p, false);
  m.bytes += 1;
  EXPECT_FALSE(assemble(m, p).verified);
  EXPECT_TRUE(assemble(m, p, VerifyChecks{false, true}).verified) << "defect bytes-unchecked";
}

TEST(LargeExport, WrongSha256IsRejectedUnlessUnchecked) {
  auto p = payloads(true);
  ExportMeta m = meta_for(p, true);
  m.sha256[0] = m.sha256[0] == '0' ? '1' : '0';
  EXPECT_FALSE(assemble(m, p).verified);
  EXPECT_TRUE(assemble(m, p, VerifyChecks{true, false}).verified) << "defect sha256-unchecked";
}

TEST(LargeExport, CorruptZlibIsRejectedEvenWithMatchingDigest) {
  auto p = payloads(true);
  p[1][p[1].size() / 2] ^= 0x55;
  p[1].pop_back();  // truncated as well: the stream cannot end cleanly
  LargeResult r = assemble(meta_for(p, true), p);
  EXPECT_FALSE(r.verified);
}

TEST(LargeExport, ChunksOutOfOrderOrMissingAreRejected) {
  auto p = payloads(false);
  ExportMeta m = meta_for(p, false);
  ExportAssembly swapped(m, {});
  swapped.add_chunk(1, p[1]);
  EXPECT_FALSE(swapped.finish().verified);
  ExportAssembly missing(m, {});
  missing.add_chunk(0, p[0]);
  EXPECT_FALSE(missing.complete());
  EXPECT_FALSE(missing.finish().verified);
}

TEST(LargeExport, TotalEntriesMustMatch) {
  auto p = payloads(false);
  ExportMeta m = meta_for(p, false);
  m.total_entries = 4;
  EXPECT_FALSE(assemble(m, p).verified);
}

TEST(LargeExport, EmptyExport) {
  ExportMeta m;
  m.sha256 = sha256_hex("");
  m.format = "json";
  LargeResult r = assemble(m, {});
  EXPECT_TRUE(r.verified) << r.reason;
  EXPECT_EQ(r.entry_count(), 0u);
}

TEST(LargeExport, MetadataParsing) {
  auto ok = parse_json(R"({"stream":"s","totalEntries":1,"chunks":1,"bytes":9,"sha256":"ab",
                           "format":"json","compressed":false,"future":1})");
  std::string error;
  auto m = parse_export_meta(ok.value.get(), error);
  ASSERT_TRUE(m) << error;
  EXPECT_EQ(m->bytes, 9);
  auto bad = parse_json(R"({"stream":"s","totalEntries":1,"chunks":"1"})");
  EXPECT_FALSE(parse_export_meta(bad.value.get(), error));
}

TEST(Base64, RoundTripAndStrictness) {
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    auto d = base64_decode(base64_encode(s));
    ASSERT_TRUE(d);
    EXPECT_EQ(*d, s);
  }
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_FALSE(base64_decode("Zm9vYmE"));   // not a multiple of 4
  EXPECT_FALSE(base64_decode("Zm9=YmFy"));  // padding inside
  EXPECT_FALSE(base64_decode("Zm9vYm-y"));  // base64url
  EXPECT_FALSE(base64_decode("Zm9vYmF="));  // non-zero bits under the padding
}

TEST(Zlib, InflateBounded) {
  const std::string big(100000, 'x');
  const std::string z = zlib(big);
  EXPECT_EQ(zlib_inflate(z, 200000).value_or(""), big);
  EXPECT_FALSE(zlib_inflate(z, 1000)) << "over the limit";
  EXPECT_FALSE(zlib_inflate(z + "x", 200000)) << "bytes after the stream";
  EXPECT_FALSE(zlib_inflate("not zlib", 200000));
}

}  // namespace
}  // namespace flake::client
