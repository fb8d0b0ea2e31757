// Reassembly of a logs.getLarge export (docs/protocol.md §6.7-6.10): checks the metadata, decodes
// each data.chunk payload as it arrives, and verifies bytes, sha256 and totalEntries at the end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "conformance/client/msgpack_depth.hpp"
#include "conformance/client/rpc_client.hpp"

namespace flake::conform {

// A rule the export broke, in the terms of a case failure: what was expected, what was seen.
struct ChunkProblem {
  std::string expected;
  std::string actual;
};

struct ChunkLimits {
  std::int64_t max_chunks = 10000;        // more is not a sane export
  std::size_t max_payload = 1u << 20;     // §6.8: raw payload bytes per chunk
  std::size_t max_inflated = 256u << 20;  // bound on one chunk's zlib output
  int max_depth = 64;                     // nesting of one chunk's MessagePack array
};

// Sender-controlled bytes all the way down: every problem is returned, nothing throws, and the
// work per chunk is bounded by the limits.
class ChunkAssembler {
 public:
  explicit ChunkAssembler(ChunkLimits limits = {});
  ~ChunkAssembler();
  ChunkAssembler(ChunkAssembler&&) noexcept;
  ChunkAssembler& operator=(ChunkAssembler&&) noexcept;

  // The logs.getLarge result (§6.7); call once, first.
  std::optional<ChunkProblem> start(const json& meta);
  // The params of the next data.chunk and the kind of message it came in (§6.8, §6.9).
  std::optional<ChunkProblem> add(const json& params, Encoding encoding);
  // Once every announced chunk was added: bytes, sha256 and totalEntries (§6.7, §6.10).
  std::optional<ChunkProblem> finish();

  const json& meta() const { return meta_; }
  std::int64_t announced_chunks() const { return announced_; }
  std::size_t chunks_added() const { return added_; }
  // Every entry of the chunks added so far, in order.
  const std::vector<json>& entries() const { return entries_; }

 private:
  struct Digest;

  ChunkLimits limits_;
  json meta_;
  bool started_ = false;
  bool json_format_ = true;
  bool compressed_ = false;
  std::int64_t announced_ = 0;
  std::size_t added_ = 0;
  std::uint64_t bytes_ = 0;
  std::unique_ptr<Digest> digest_;  // SHA-256 over the raw payloads, fed chunk by chunk
  std::vector<json> entries_;
};

}  // namespace flake::conform
