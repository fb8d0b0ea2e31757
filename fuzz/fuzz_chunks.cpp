// Target: the harness's reassembly of logs.getLarge exports (ChunkAssembler,
// conformance/chunk_assembler.hpp): base64, zlib and MessagePack from a sidecar, checked per
// §6.7-6.10. Input: one flag byte (bit 0: the rest is MessagePack, else JSON; bit 1: the chunks
// arrived in the other kind of message), then one array [metadata, data.chunk params...]. Property:
// every input ends in a reported problem or a complete export whose entries match totalEntries;
// nothing throws.
#include <vector>

#include "conformance/client/chunk_assembler.hpp"
#include "conformance/client/msgpack_depth.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace flake::conform;
  if (size == 0) return 0;
  const bool msgpack = (data[0] & 1) != 0;
  const bool flip = (data[0] & 2) != 0;
  const std::string bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  json doc;
  if (msgpack) {
    // The harness's own outer decode has the same recursion limit as the assembler's inner one.
    if (!msgpack_nesting_within(bytes, 64)) return 0;
    doc = json::from_msgpack(bytes, true, false);
  } else {
    doc = json::parse(bytes, nullptr, false);
  }
  if (doc.is_discarded() || !doc.is_array() || doc.empty()) return 0;
  const Encoding encoding = (msgpack != flip) ? Encoding::MsgPack : Encoding::Json;

  ChunkLimits limits;
  limits.max_inflated = 1u << 20;  // keeps one input cheap; the bound itself is what is tested
  ChunkAssembler assembler(limits);
  if (assembler.start(doc[0])) return 0;
  for (std::size_t i = 1; i < doc.size(); ++i) {
    if (const auto problem = assembler.add(doc[i], encoding)) {
      FLAKE_FUZZ_CHECK(!problem->expected.empty());
      return 0;
    }
    FLAKE_FUZZ_CHECK(assembler.chunks_added() == i);
  }
  if (!assembler.finish()) {
    FLAKE_FUZZ_CHECK(static_cast<std::int64_t>(assembler.entries().size()) ==
                     assembler.meta()["totalEntries"].get<std::int64_t>());
  }
  return 0;
}
