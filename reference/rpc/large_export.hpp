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
#include "reference/rpc/packed_entries.hpp"

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
  // The streamed form (an uncompressed export from plan_large_export): `chunks` stays empty and
  // payload i is cut when it is sent, an array header then entries [chunk_ends[i-1], chunk_ends[i])
  // of `entries` (from 0 for the first), read where they lie (the history's blocks it shares).
  PackedEntries entries;
  std::vector<size_t> chunk_ends;

  size_t chunk_count() const { return chunks.empty() ? chunk_ends.size() : chunks.size(); }
};

// `entries`: the export's log entries, a cJSON array of objects in export order (null or a
// non-array is no entries). Each chunk is one MessagePack array of consecutive whole entries,
// zlib-compressed (RFC 1950) independently when params.compress; chunks are filled greedily up to
// kMaxChunkBytes. An entry that does not fit a chunk on its own has its "message" shortened (at a
// UTF-8 boundary) until it does. Format "json" uses the same bytes: its notifications carry their
// base64. Deterministic for the same input.
LargeExport build_large_export(const cJSON* entries, const LargeExportParams& params,
                               uint64_t stream_number);

// The same export from packed entries (what the overload above builds after packing each entry).
LargeExport build_large_export(const PackedEntries& entries, const LargeExportParams& params,
                               uint64_t stream_number);

// The same export, its metadata complete but, uncompressed, its payloads not yet cut: the export
// keeps `entries` and the chunk boundaries, and take_chunk_payload cuts each payload when its
// data.chunk goes out. §6.7 puts bytes, chunks and sha256 before the first chunk, so one pass over
// every payload byte (the hash) must precede the first chunk; uncompressed, sizes and boundaries
// follow from the entry sizes alone and that pass hashes the entries where they lie, so only the
// payloads in flight are ever copied. Compressed, a chunk's size is only known once zlib has run,
// so the chunks are built whole here (as build_large_export) and `entries` is released.
LargeExport plan_large_export(PackedEntries entries, const LargeExportParams& params,
                              uint64_t stream_number);
// Chunk `index`'s payload bytes (std::out_of_range past chunk_count()). A built chunk is moved out
// (each index is taken once, as each data.chunk is sent once); a streamed one is cut from entries.
std::string take_chunk_payload(LargeExport& export_, size_t index);
// Cuts every streamed payload into `chunks` and releases `entries` (a defect alters chunk bytes).
void materialize_chunks(LargeExport& export_);

// The §6.7 result: {"stream","totalEntries","chunks","bytes","sha256","format","compressed"}.
JsonPtr large_export_metadata(const LargeExport& export_);

// One data.chunk notification (§6.9), index < chunks.size() (std::out_of_range otherwise):
// JSON text with "payload" the base64 of the chunk ...
std::string data_chunk_json(const LargeExport& export_, size_t index);
// ... or a MessagePack frame with the same keys and "payload" a bin of the chunk.
std::string data_chunk_msgpack(const LargeExport& export_, size_t index);

// The same data.chunk message in two pieces, so a 1 MiB payload is never copied into a message
// string: head + tail is what data_chunk_msgpack / data_chunk_json give. MessagePack: head ends
// with the bin header, tail is `payload` itself; JSON: head ends with `"payload":"`, tail is the
// base64 of `payload` and the closing `"}}`.
struct DataChunkPieces {
  std::string head;
  std::string tail;
};
DataChunkPieces data_chunk_pieces(std::string_view stream, size_t index, std::string payload,
                                  bool msgpack);

}  // namespace flake
