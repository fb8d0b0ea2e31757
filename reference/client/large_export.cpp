// Export assembly: nothing is decoded before `bytes` and `sha256` have been checked (§6.10 "before
// it uses the data"), and every size is bounded before memory is spent on it.
#include "reference/client/large_export.hpp"

#include <openssl/evp.h>
#include <zlib.h>

#include <cmath>

#include "reference/codec/msgpack.hpp"

namespace flake::client {
namespace {

constexpr size_t kMaxInflatedChunk = size_t{256} << 20;
constexpr int kMaxDepth = 64;

std::optional<int64_t> int_member(const cJSON* o, const char* key) {
  const cJSON* v = member(o, key);
  if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble != std::floor(v->valuedouble) ||
      v->valuedouble > 9007199254740991.0)
    return std::nullopt;
  return static_cast<int64_t>(v->valuedouble);
}

// A zlib inflate stream that ends itself.
struct InflateStream {
  z_stream z{};
  bool live = false;
  InflateStream() { live = inflateInit(&z) == Z_OK; }
  ~InflateStream() {
    if (live) inflateEnd(&z);
  }
  InflateStream(const InflateStream&) = delete;
  InflateStream& operator=(const InflateStream&) = delete;
};

}  // namespace

std::optional<ExportMeta> parse_export_meta(const cJSON* result, std::string& error) {
  ExportMeta m;
  auto stream = string_member(result, "stream");
  auto total = int_member(result, "totalEntries");
  auto chunks = int_member(result, "chunks");
  auto bytes = int_member(result, "bytes");
  auto sha = string_member(result, "sha256");
  auto format = string_member(result, "format");
  const cJSON* compressed = member(result, "compressed");
  if (!stream || !total || !chunks || !bytes || !sha || !format || !cJSON_IsBool(compressed)) {
    error = "metadata incomplete";
    return std::nullopt;
  }
  m.stream = std::string(*stream);
  m.total_entries = *total;
  m.chunks = *chunks;
  m.bytes = *bytes;
  m.sha256 = std::string(*sha);
  m.format = std::string(*format);
  m.compressed = cJSON_IsTrue(compressed);
  return m;
}

size_t LargeResult::entry_count() const {
  return entries ? static_cast<size_t>(cJSON_GetArraySize(entries.get())) : 0;
}

bool ExportAssembly::add_chunk(int64_t index, std::string_view raw) {
  if (!failed_.empty()) return false;
  if (index != next_index_ || index >= meta_.chunks) {
    failed_ =
        "chunk " + std::to_string(index) + " where " + std::to_string(next_index_) + " was due";
    return false;
  }
  if (raw.size() > kMaxChunkPayload) {
    failed_ = "chunk payload over 1 MiB";
    return false;
  }
  payloads_.emplace_back(raw);
  ++next_index_;
  return true;
}

LargeResult ExportAssembly::finish() const {
  LargeResult r;
  r.format = meta_.format;
  r.compressed = meta_.compressed;
  if (!failed_.empty()) {
    r.reason = failed_;
    return r;
  }
  if (next_index_ != meta_.chunks) {
    r.reason = "missing chunks";
    return r;
  }
  std::string all;
  for (const std::string& p : payloads_) all += p;
  if (checks_.bytes && static_cast<int64_t>(all.size()) != meta_.bytes) {
    r.reason = "bytes " + std::to_string(meta_.bytes) + " announced, " +
               std::to_string(all.size()) + " received";
    return r;
  }
  if (checks_.sha256 && sha256_hex(all) != meta_.sha256) {
    r.reason = "sha256 mismatch";
    return r;
  }
  JsonPtr entries(cJSON_CreateArray());
  for (const std::string& p : payloads_) {
    std::string inflated;
    std::string_view packed = p;
    if (meta_.compressed) {
      auto out = zlib_inflate(p, kMaxInflatedChunk);
      if (!out) {
        r.reason = "chunk is not a valid zlib stream";
        return r;
      }
      inflated = std::move(*out);
      packed = inflated;
    }
    MsgpackDecodeResult d = decode_msgpack(packed, kMaxDepth);
    if (!d.value || !cJSON_IsArray(d.value.get()) || cJSON_GetArraySize(d.value.get()) == 0) {
      r.reason = "chunk is not a non-empty MessagePack array";
      return r;
    }
    while (cJSON* e = cJSON_DetachItemFromArray(d.value.get(), 0))
      cJSON_AddItemToArray(entries.get(), e);
  }
  if (cJSON_GetArraySize(entries.get()) != meta_.total_entries) {
    r.reason = "totalEntries does not match the chunks";
    return r;
  }
  r.verified = true;
  r.entries = std::move(entries);
  return r;
}

std::string sha256_hex(std::string_view bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr) != 1) return {};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

std::optional<std::string> zlib_inflate(std::string_view in, size_t limit) {
  InflateStream s;
  if (!s.live || in.size() > kMaxChunkPayload * 4) return std::nullopt;
  std::string out;
  // zlib's API is not const-correct; it never writes through next_in.
  s.z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  s.z.avail_in = static_cast<uInt>(in.size());
  char buf[16384];
  while (true) {
    s.z.next_out = reinterpret_cast<Bytef*>(buf);
    s.z.avail_out = sizeof buf;
    const int rc = inflate(&s.z, Z_NO_FLUSH);
    out.append(buf, sizeof buf - s.z.avail_out);
    if (out.size() > limit) return std::nullopt;
    if (rc == Z_STREAM_END) {
      if (s.z.avail_in != 0) return std::nullopt;
      return out;
    }
    if (rc != Z_OK) return std::nullopt;  // includes Z_BUF_ERROR: the input ended early
  }
}

}  // namespace flake::client
