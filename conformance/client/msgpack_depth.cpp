// msgpack_nesting_within: a skip-scan of MessagePack that counts open arrays and maps.
#include "conformance/client/msgpack_depth.hpp"

#include <cstdint>
#include <vector>

namespace flake::conform {
namespace {

std::uint64_t read_be(const std::string& bytes, std::size_t at, std::size_t width) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < width; ++i) v = (v << 8) | static_cast<unsigned char>(bytes[at + i]);
  return v;
}

}  // namespace

bool msgpack_nesting_within(const std::string& bytes, int max_depth) {
  // Items still owed by each open array/map (a map owes two per member).
  std::vector<std::uint64_t> open;
  std::size_t at = 0;
  const std::size_t size = bytes.size();
  auto skip = [&](std::uint64_t n) {
    if (n > size - at) return false;
    at += static_cast<std::size_t>(n);
    return true;
  };
  auto length = [&](std::size_t width, std::uint64_t& out) {
    if (width > size - at) return false;
    out = read_be(bytes, at, width);
    at += width;
    return true;
  };
  do {
    if (at >= size) return true;  // truncated: the decoder says so
    const auto b = static_cast<unsigned char>(bytes[at++]);
    std::uint64_t items = 0;
    bool container = false;
    std::uint64_t n = 0;
    if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) {
      // a one-byte value
    } else if (b <= 0x8f) {
      container = true, items = 2u * (b & 0x0fu);
    } else if (b <= 0x9f) {
      container = true, items = b & 0x0fu;
    } else if (b <= 0xbf) {
      if (!skip(b & 0x1fu)) return true;
    } else if (b == 0xc1) {
      return true;                        // reserved: the decoder rejects it
    } else if (b >= 0xc4 && b <= 0xc6) {  // bin 8/16/32
      if (!length(std::size_t{1} << (b - 0xc4), n) || !skip(n)) return true;
    } else if (b >= 0xc7 && b <= 0xc9) {  // ext 8/16/32: length, type, data
      if (!length(std::size_t{1} << (b - 0xc7), n) || !skip(n + 1)) return true;
    } else if (b == 0xca || b == 0xcb) {
      if (!skip(b == 0xca ? 4 : 8)) return true;
    } else if (b >= 0xcc && b <= 0xd3) {  // uint/int 8..64
      if (!skip(std::uint64_t{1} << ((b - 0xcc) & 3))) return true;
    } else if (b >= 0xd4 && b <= 0xd8) {  // fixext 1..16: type, data
      if (!skip(1 + (std::uint64_t{1} << (b - 0xd4)))) return true;
    } else if (b >= 0xd9 && b <= 0xdb) {  // str 8/16/32
      if (!length(std::size_t{1} << (b - 0xd9), n) || !skip(n)) return true;
    } else {  // 0xdc..0xdf: array 16/32, map 16/32
      const bool map = b >= 0xde;
      if (!length((b & 1) ? 4 : 2, n)) return true;
      container = true, items = map ? 2 * n : n;
    }
    if (container && items > 0) {
      if (static_cast<int>(open.size()) >= max_depth) return false;
      open.push_back(items);
      continue;
    }
    // One value complete: it fills a slot of the innermost open container, which may complete it.
    while (!open.empty() && --open.back() == 0) open.pop_back();
  } while (!open.empty());
  return true;
}

}  // namespace flake::conform
