// Strict UTF-8 validation (Unicode Table 3-7): no overlongs, no surrogates, nothing above U+10FFFF.
// Incremental, because a code point may be split across WebSocket fragments.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace flake::conform {

class Utf8Validator {
 public:
  // False as soon as the bytes seen so far cannot start a valid sequence; stays false.
  bool feed(std::string_view bytes);
  // True when everything fed is valid and no code point is left half-finished.
  bool complete() const { return ok_ && need_ == 0; }
  bool ok() const { return ok_; }
  // Offset (over all bytes fed) of the first byte found invalid.
  std::size_t error_offset() const { return error_offset_; }
  void reset() { *this = Utf8Validator{}; }

 private:
  bool ok_ = true;
  int need_ = 0;
  std::uint8_t lower_ = 0x80;
  std::uint8_t upper_ = 0xBF;
  std::size_t offset_ = 0;
  std::size_t error_offset_ = 0;
};

bool is_valid_utf8(std::string_view bytes);

// Valid sequences copied, every byte of an invalid one written as \xNN: safe for XML and JSON.
std::string escape_invalid_utf8(std::string_view bytes);

}  // namespace flake::conform
