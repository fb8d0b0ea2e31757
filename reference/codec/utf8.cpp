// Strict UTF-8 validation. ASCII runs (most JSON traffic) are skipped eight bytes at a time; other
// bytes are checked against the RFC 3629 §4 byte-sequence table.
#include "reference/codec/utf8.hpp"

#include <cstdint>
#include <cstring>

namespace flake {

namespace {

constexpr uint64_t kHighBits = 0x8080808080808080ULL;

// Second-byte range per lead byte. RFC 3629's table makes overlongs, surrogates and values above
// U+10FFFF unrepresentable, so no code point needs decoding.
struct LeadInfo {
  int continuation_bytes;  // -1: the byte cannot start a sequence
  unsigned char second_min;
  unsigned char second_max;
};

constexpr LeadInfo lead_info(unsigned char b) {
  if (b >= 0xC2 && b <= 0xDF) return {1, 0x80, 0xBF};
  if (b == 0xE0) return {2, 0xA0, 0xBF};  // below A0 would be overlong
  if (b >= 0xE1 && b <= 0xEC) return {2, 0x80, 0xBF};
  if (b == 0xED) return {2, 0x80, 0x9F};  // A0..BF would encode surrogates
  if (b >= 0xEE && b <= 0xEF) return {2, 0x80, 0xBF};
  if (b == 0xF0) return {3, 0x90, 0xBF};  // below 90 would be overlong
  if (b >= 0xF1 && b <= 0xF3) return {3, 0x80, 0xBF};
  if (b == 0xF4) return {3, 0x80, 0x8F};  // above 8F would exceed U+10FFFF
  return {-1, 0, 0};                      // continuation bytes, C0, C1, F5..FF
}

constexpr bool is_continuation(unsigned char b) {
  return (b & 0xC0) == 0x80;
}

}  // namespace

bool is_valid_utf8(std::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t n = bytes.size();
  size_t i = 0;
  while (i < n) {
    // memcpy rather than a cast: the input has no alignment guarantee.
    while (i + 8 <= n) {
      uint64_t word;
      std::memcpy(&word, p + i, sizeof word);
      if (word & kHighBits) break;
      i += 8;
    }
    if (i >= n) break;
    const unsigned char lead = p[i];
    if (lead < 0x80) {
      ++i;
      continue;
    }
    const LeadInfo info = lead_info(lead);
    if (info.continuation_bytes < 0) return false;
    if (n - i <= static_cast<size_t>(info.continuation_bytes)) return false;  // truncated
    const unsigned char second = p[i + 1];
    if (second < info.second_min || second > info.second_max) return false;
    const auto length = 1 + static_cast<size_t>(info.continuation_bytes);
    for (size_t k = 2; k < length; ++k) {
      if (!is_continuation(p[i + k])) return false;
    }
    i += length;
  }
  return true;
}

}  // namespace flake
