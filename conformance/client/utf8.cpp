// Strict UTF-8 state machine: the first continuation byte's range depends on the lead byte,
// which is how overlongs (E0 80..9F, F0 80..8F), surrogates (ED A0..BF) and > U+10FFFF (F4 90..)
// are excluded without decoding the code point.
#include "conformance/client/utf8.hpp"

namespace flake::conform {

bool Utf8Validator::feed(std::string_view bytes) {
  if (!ok_) return false;
  for (const char c : bytes) {
    const auto b = static_cast<std::uint8_t>(c);
    if (need_ == 0) {
      lower_ = 0x80;
      upper_ = 0xBF;
      if (b <= 0x7F) {
        // ASCII
      } else if (b >= 0xC2 && b <= 0xDF) {
        need_ = 1;
      } else if (b == 0xE0) {
        need_ = 2;
        lower_ = 0xA0;
      } else if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) {
        need_ = 2;
      } else if (b == 0xED) {
        need_ = 2;
        upper_ = 0x9F;
      } else if (b == 0xF0) {
        need_ = 3;
        lower_ = 0x90;
      } else if (b >= 0xF1 && b <= 0xF3) {
        need_ = 3;
      } else if (b == 0xF4) {
        need_ = 3;
        upper_ = 0x8F;
      } else {
        ok_ = false;
      }
    } else if (b < lower_ || b > upper_) {
      ok_ = false;
    } else {
      lower_ = 0x80;
      upper_ = 0xBF;
      --need_;
    }
    if (!ok_) {
      error_offset_ = offset_;
      return false;
    }
    ++offset_;
  }
  return true;
}

std::string escape_invalid_utf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  std::size_t i = 0;
  while (i < bytes.size()) {
    const auto b = static_cast<std::uint8_t>(bytes[i]);
    const std::size_t len = b < 0x80 ? 1 : (b >= 0xF0 ? 4 : (b >= 0xE0 ? 3 : 2));
    if (b < 0x80 || (i + len <= bytes.size() && is_valid_utf8(bytes.substr(i, len)))) {
      out.append(bytes.substr(i, len));
      i += len;
      continue;
    }
    static constexpr char kHex[] = "0123456789abcdef";
    out += "\\x";
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xF]);
    ++i;
  }
  return out;
}

bool is_valid_utf8(std::string_view bytes) {
  Utf8Validator v;
  v.feed(bytes);
  return v.complete();
}

}  // namespace flake::conform
