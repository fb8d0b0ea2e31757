// logs.getLarge on the client side (§6.7-§6.10): the metadata response, chunk assembly, the
// integrity checks on `bytes` and `sha256` over the raw payloads, zlib inflation and MessagePack
// decoding of each chunk into entries.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reference/codec/json.hpp"

namespace flake::client {

struct ExportMeta {
  std::string stream;
  int64_t total_entries = 0;
  int64_t chunks = 0;
  int64_t bytes = 0;
  std::string sha256;  // lowercase hex
  std::string format;  // "json" or "msgpack"
  bool compressed = false;
};
// nullopt (with `error`) when a member is missing or of the wrong type.
std::optional<ExportMeta> parse_export_meta(const cJSON* result, std::string& error);

inline constexpr size_t kMaxChunkPayload = 1048576;  // §6.8, raw bytes

struct VerifyChecks {
  bool bytes = true;   // compare the raw byte count with `bytes`
  bool sha256 = true;  // compare the SHA-256 of the raw bytes with `sha256`
};

struct LargeResult {
  bool verified = false;
  std::string reason;  // why not
  std::string format;
  bool compressed = false;
  JsonPtr entries;  // an array, when verified
  size_t entry_count() const;
};

// One export in progress: chunk payloads as raw bytes (base64 already decoded, or the bin bytes).
class ExportAssembly {
 public:
  ExportAssembly(ExportMeta meta, VerifyChecks checks) : meta_(std::move(meta)), checks_(checks) {}
  const ExportMeta& meta() const { return meta_; }
  // false: the export is broken (index out of order, payload over §6.8's bound); finish() then
  // reports why.
  bool add_chunk(int64_t index, std::string_view raw);
  bool complete() const { return failed_.empty() && next_index_ == meta_.chunks; }
  // The checks, then inflation and decoding.
  LargeResult finish() const;

 private:
  ExportMeta meta_;
  VerifyChecks checks_;
  std::vector<std::string> payloads_;
  int64_t next_index_ = 0;
  std::string failed_;
};

std::string sha256_hex(std::string_view bytes);
// The zlib stream (RFC 1950) inflated; nullopt if corrupt, truncated, followed by other bytes, or
// larger than `limit`.
std::optional<std::string> zlib_inflate(std::string_view in, size_t limit);

}  // namespace flake::client
