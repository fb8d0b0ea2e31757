// RFC 6455 §5.2 header layout, written and read without the conformance decoder's checks.
#include "bench/load/wire.hpp"

#include <cstring>

namespace flake::bench {
namespace {

constexpr std::uint8_t kMask[4] = {0x37, 0xfa, 0x21, 0x3d};

void append_header(std::string& out, std::uint8_t opcode, std::size_t size, bool masked) {
  char h[14];
  std::size_t n = 0;
  h[n++] = static_cast<char>(0x80 | opcode);
  const std::uint8_t mask_bit = masked ? 0x80 : 0;
  if (size < 126) {
    h[n++] = static_cast<char>(mask_bit | size);
  } else if (size <= 0xffff) {
    h[n++] = static_cast<char>(mask_bit | 126);
    h[n++] = static_cast<char>(size >> 8);
    h[n++] = static_cast<char>(size & 0xff);
  } else {
    h[n++] = static_cast<char>(mask_bit | 127);
    for (int i = 7; i >= 0; --i)
      h[n++] = static_cast<char>((std::uint64_t{size} >> (8 * i)) & 0xff);
  }
  if (masked) {
    std::memcpy(h + n, kMask, 4);
    n += 4;
  }
  out.append(h, n);
}

}  // namespace

void append_client_frame(std::string& out, std::uint8_t opcode, std::string_view payload) {
  append_header(out, opcode, payload.size(), true);
  const std::size_t at = out.size();
  out.append(payload);
  char* p = out.data() + at;
  for (std::size_t i = 0; i < payload.size(); ++i) p[i] = static_cast<char>(p[i] ^ kMask[i & 3]);
}

void append_server_frame(std::string& out, std::uint8_t opcode, std::string_view payload) {
  append_header(out, opcode, payload.size(), false);
  out.append(payload);
}

std::optional<WireFrame> next_frame(char* bytes, std::size_t size, bool& error) {
  error = false;
  if (size < 2) return std::nullopt;
  const auto* b = reinterpret_cast<const unsigned char*>(bytes);
  const bool masked = (b[1] & 0x80) != 0;
  std::uint64_t length = b[1] & 0x7f;
  std::size_t header = 2;
  if (length == 126) {
    if (size < 4) return std::nullopt;
    length = (std::uint64_t{b[2]} << 8) | b[3];
    header = 4;
  } else if (length == 127) {
    if (size < 10) return std::nullopt;
    length = 0;
    for (int i = 0; i < 8; ++i) length = (length << 8) | b[2 + i];
    header = 10;
    if (length > (std::uint64_t{1} << 30)) {
      error = true;
      return std::nullopt;
    }
  }
  std::uint8_t key[4] = {};
  if (masked) {
    if (size < header + 4) return std::nullopt;
    std::memcpy(key, bytes + header, 4);
    header += 4;
  }
  if (size < header + length) return std::nullopt;
  char* payload = bytes + header;
  if (masked) {
    for (std::size_t i = 0; i < length; ++i)
      payload[i] = static_cast<char>(payload[i] ^ key[i & 3]);
  }
  WireFrame f;
  f.opcode = b[0] & 0x0f;
  f.fin = (b[0] & 0x80) != 0;
  f.payload = std::string_view(payload, static_cast<std::size_t>(length));
  f.size = header + static_cast<std::size_t>(length);
  return f;
}

std::int64_t scan_id(std::string_view json) {
  const std::size_t at = json.find("\"id\":");
  if (at == std::string_view::npos) return -1;
  std::size_t i = at + 5;
  while (i < json.size() && json[i] == ' ') ++i;
  if (i >= json.size() || json[i] < '0' || json[i] > '9') return -1;
  std::int64_t v = 0;
  for (; i < json.size() && json[i] >= '0' && json[i] <= '9' && v < (INT64_MAX / 10 - 10); ++i) {
    v = v * 10 + (json[i] - '0');
  }
  return v;
}

std::size_t count_of(std::string_view haystack, std::string_view needle) {
  if (needle.empty()) return 0;
  std::size_t n = 0;
  for (std::size_t at = haystack.find(needle); at != std::string_view::npos;
       at = haystack.find(needle, at + needle.size())) {
    ++n;
  }
  return n;
}

}  // namespace flake::bench
