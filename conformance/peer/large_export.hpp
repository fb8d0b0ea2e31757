// A small, correct logs.getLarge export (§6.7-§6.10): entries split into chunks of MessagePack
// arrays, optionally zlib-compressed, with the metadata response and the data.chunk notifications.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace flake::conform::peer {

using json = nlohmann::json;

struct LargeExport {
  json metadata;                      // the result of logs.getLarge
  std::vector<std::string> payloads;  // raw chunk payload bytes (after compression)
  bool binary = false;                // msgpack: binary messages with bin payloads
};

// `entries` entries in chunks of at most `per_chunk` (5 in 2 chunks by default).
LargeExport make_export(const std::string& stream, const std::string& format, bool compressed,
                        int entries = 5, int per_chunk = 3);

// The data.chunk notification for chunk `index` (payload base64 in JSON, bin in MessagePack).
json chunk_notification(const LargeExport& e, std::size_t index);

// Log entries as §6.4 has them, `count` of them starting at `first` (ts ascending).
json log_entries(int first, int count);

// zlib (RFC 1950) stream of `bytes`.
std::string zlib_compress(const std::string& bytes);

}  // namespace flake::conform::peer
