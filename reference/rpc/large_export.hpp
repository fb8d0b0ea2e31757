// The socket-free part of logs.getLarge (docs/protocol.md §5.12, §6.7-§6.10): parameters, chunking
// into MessagePack arrays, per-chunk zlib, integrity, and the metadata and data.chunk messages.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "reference/codec/json.hpp"

namespace flake {

// §6.8: a chunk payload's raw bytes (after compression, before base64).
inline constexpr size_t kMaxChunkBytes = 1'048'576;

struct LargeExportParams {
  std::string service;
  int64_t range_ms = 0;  // the timeRange duration
  bool msgpack = false;  // format "msgpack"; false is "json"
  bool compress = false;
  bool drop_unfitting = false;  // defect long-entry-dropped: leave out what §6.8 says to shorten
};

struct ParamError {
  std::string field;  // for -32602 data {"field"}: params, service, timeRange, format or compress
  std::string message;
};

// {"service","timeRange","format"?:"json"|"msgpack","compress"?:bool}; absent params count as {}
// (§3.6). Checks members in that order and reports the first at fault. The service is only
// type-checked: whether it is served is the caller's -32004, after parameter errors (§3.7).
std::variant<LargeExportParams, ParamError> parse_large_export_params(const cJSON* params);

// `^[1-9][0-9]{0,8}(s|m|h|d)$` as milliseconds (§5.12); also the grammar of the log export URL
// (§9.10).
std::optional<int64_t> parse_time_range_ms(std::string_view text);

struct LargeExport {
  std::string stream;  // "lg-<stream_number>"
  uint64_t total_entries = 0;
  std::vector<std::string>
      chunks;              // raw payload bytes per data.chunk, in order, each <= kMaxChunkBytes
  uint64_t bytes = 0;      // sum of chunk sizes
  std::string sha256_hex;  // over the concatenated chunk bytes, lowercase hex
  bool msgpack = false, compressed = false;
  uint64_t shortened_entries =
      0;              // entries whose message was cut to fit a chunk on their own (§6.8)
  std::string error;  // non-empty: no export (an entry cannot fit even with an empty message,
                      // or zlib failed); chunks is then empty and the caller answers -32603
};

// `entries`: the export's log entries, a cJSON array of objects in export order (null or a
// non-array is no entries). Each chunk is one MessagePack array of consecutive whole entries,
// zlib-compressed (RFC 1950) independently when params.compress; chunks are filled greedily up to
// kMaxChunkBytes. An entry that does not fit a chunk on its own has its "message" shortened (at a
// UTF-8 boundary) until it does. Format "json" uses the same bytes: its notifications carry their
// base64. Deterministic for the same input.
LargeExport build_large_export(const cJSON* entries, const LargeExportParams& params,
                               uint64_t stream_number);

// Entries already packed, each one MessagePack value, back to back: entry i is
// bytes[ends[i-1], ends[i]) (from 0 for the first). The log history gives them in this form, so an
// export needs no cJSON tree per entry.
struct PackedEntries {
  std::string bytes;
  std::vector<size_t> ends;
};
// The same export from packed entries (what the overload above builds after packing each entry).
LargeExport build_large_export(const PackedEntries& entries, const LargeExportParams& params,
                               uint64_t stream_number);

// The §6.7 result: {"stream","totalEntries","chunks","bytes","sha256","format","compressed"}.
JsonPtr large_export_metadata(const LargeExport& export_);

// One data.chunk notification (§6.9), index < chunks.size() (std::out_of_range otherwise):
// JSON text with "payload" the base64 of the chunk ...
std::string data_chunk_json(const LargeExport& export_, size_t index);
// ... or a MessagePack frame with the same keys and "payload" a bin of the chunk.
std::string data_chunk_msgpack(const LargeExport& export_, size_t index);

}  // namespace flake
