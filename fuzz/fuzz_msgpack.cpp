// Target: the reference's MessagePack decoder (decode_msgpack, reference/msgpack_codec.hpp), the
// parser of every binary WebSocket message. Property: whatever it accepts, encode_msgpack writes
// back as bytes the decoder accepts again and that re-encode identically.
#include "fuzz_check.hpp"
#include "reference/codec/json_parse.hpp"
#include "reference/codec/msgpack.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace flake;
  const MsgpackDecodeResult first = decode_msgpack(fuzz::as_text(data, size), kMaxJsonDepth);
  FLAKE_FUZZ_CHECK((first.value != nullptr) == (first.error == MsgpackError::kNone));
  if (!first.value) {
    FLAKE_FUZZ_CHECK(!first.message.empty());
    return 0;
  }
  const std::string encoded = encode_msgpack(first.value.get());
  const MsgpackDecodeResult second = decode_msgpack(encoded, kMaxJsonDepth);
  FLAKE_FUZZ_CHECK(second.value != nullptr);
  FLAKE_FUZZ_CHECK(encode_msgpack(second.value.get()) == encoded);
  return 0;
}
