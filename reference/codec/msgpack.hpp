// MessagePack <-> cJSON for binary WebSocket frames (docs/protocol.md §2.3, §8.8). Decoding is our
// own validating single pass, because msgpack-c's unpacker allocates for a declared array length
// before it knows the bytes exist and caps nesting at 32; encoding uses msgpack-c's packer.
#pragma once

#include <string>
#include <string_view>

#include "reference/codec/json.hpp"

namespace flake {

enum class MsgpackError {
  kNone,
  kTruncated,      // a declared length or fixed-size value runs past the end of the frame
  kTooDeep,        // more than max_depth nested arrays/maps
  kReservedByte,   // 0xc1
  kBadUtf8,        // a str that is not UTF-8, or holds a NUL byte
  kTrailingBytes,  // more than one value in the frame
  kExtType,        // ext / fixext: not a JSON-RPC value (answered -32600, not -32700)
  kNonStringKey,   // a map key that is not a str (answered -32600)
};

struct MsgpackDecodeResult {
  JsonPtr value;  // null on failure
  MsgpackError error = MsgpackError::kNone;
  std::string message;
};

// Deliberate breaches of §2.3 and §8.8 for the reference's defect switches (defects/defects.hpp);
// all off in a conforming run.
struct MsgpackLeniency {
  bool ignore_trailing = false;  // bytes after the first value are dropped
  bool ext_as_string = false;    // an ext value decodes as the base64 text of its data
  bool clamp_lengths = false;    // a declared length beyond the frame is cut to the bytes left
  bool float32_as_bits = false;  // a float 32 reads as the integer value of its 4 bytes
  bool bin_as_hex = false;       // a bin decodes as the hex text of its bytes, not base64
  bool mark_floats = false;      // float 32 and float 64 numbers carry kNumberWrittenAsFloat
};

// Exactly one value; every length is checked against the bytes left before anything is built, so a
// frame of n bytes never makes more than O(n) memory. bin values become base64 strings.
MsgpackDecodeResult decode_msgpack(std::string_view bytes, int max_depth,
                                   const MsgpackLeniency& leniency = {});

// The same keys and values as `value`; integral numbers within int64 are packed as integers.
std::string encode_msgpack(const cJSON* value);

}  // namespace flake
