// Builds exports from fixed entries so the expected entry count is known to the case.
#include "conformance/peer/large_export.hpp"

#include "conformance/client/data_codec.hpp"
#include "conformance/client/http_handshake.hpp"

#include <zlib.h>

#include <algorithm>

namespace flake::conform::peer {

json log_entries(int first, int count) {
  static const char* const kLevels[] = {"debug", "info", "warn", "error"};
  json out = json::array();
  for (int i = first; i < first + count; ++i) {
    out.push_back({{"ts", 1732550400000LL + 250LL * i},
                   {"level", kLevels[i % 4]},
                   {"message", "entry " + std::to_string(i)},
                   {"source", "builder"}});
  }
  return out;
}

std::string zlib_compress(const std::string& bytes) {
  uLongf size = compressBound(static_cast<uLong>(bytes.size()));
  std::string out(size, '\0');
  compress2(reinterpret_cast<Bytef*>(out.data()), &size,
            reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uLong>(bytes.size()),
            Z_BEST_COMPRESSION);
  out.resize(size);
  return out;
}

LargeExport make_export(const std::string& stream, const std::string& format, bool compressed,
                        int entries, int per_chunk) {
  LargeExport e;
  e.binary = format == "msgpack";
  std::string all;
  for (int first = 0; first < entries; first += per_chunk) {
    const json chunk = log_entries(first, std::min(per_chunk, entries - first));
    const std::vector<std::uint8_t> packed = json::to_msgpack(chunk);
    std::string payload(packed.begin(), packed.end());
    if (compressed) payload = zlib_compress(payload);
    all += payload;
    e.payloads.push_back(std::move(payload));
  }
  e.metadata = {
      {"stream", stream},        {"totalEntries", entries},   {"chunks", e.payloads.size()},
      {"bytes", all.size()},     {"sha256", sha256_hex(all)}, {"format", format},
      {"compressed", compressed}};
  return e;
}

json chunk_notification(const LargeExport& e, std::size_t index) {
  const std::string& bytes = e.payloads.at(index);
  json payload = e.binary ? json::binary(std::vector<std::uint8_t>(bytes.begin(), bytes.end()))
                          : json(base64_encode(bytes));
  return {{"jsonrpc", "2.0"},
          {"method", "data.chunk"},
          {"params",
           {{"stream", e.metadata["stream"]}, {"index", index}, {"payload", std::move(payload)}}}};
}

}  // namespace flake::conform::peer
