// OpenSSL for base64 and SHA-256, zlib for inflation; all bounded and strict.
#include "conformance/client/data_codec.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <zlib.h>

#include <array>
#include <cstdio>
#include <memory>

namespace flake::conform {

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                       c == '+' || c == '/';
    const bool pad =
        c == '=' && i + 2 >= text.size() && (i + 1 == text.size() || text.back() == '=');
    if (!alpha && !pad) return std::nullopt;
  }
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock counts padding as zero bytes.
  std::size_t size = static_cast<std::size_t>(n);
  if (!text.empty() && text.back() == '=') --size;
  if (text.size() >= 2 && text[text.size() - 2] == '=') --size;
  out.resize(size);
  return out;
}

std::string sha256_hex(std::string_view bytes) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest.data());
  std::string hex;
  for (const unsigned char c : digest) {
    char buf[3];
    std::snprintf(buf, sizeof buf, "%02x", c);
    hex += buf;
  }
  return hex;
}

namespace {
struct InflateStreamEnd {
  void operator()(z_stream* z) const { inflateEnd(z); }
};

// window_bits 15 reads a zlib stream, 15 + 16 a gzip member (zlib's convention).
std::optional<std::string> inflate_stream(std::string_view data, std::size_t max_bytes,
                                          int window_bits) {
  z_stream z{};
  if (inflateInit2(&z, window_bits) != Z_OK) return std::nullopt;
  const std::unique_ptr<z_stream, InflateStreamEnd> guard(&z);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  std::string out;
  std::array<unsigned char, 65536> chunk{};
  for (;;) {
    z.next_out = chunk.data();
    z.avail_out = static_cast<uInt>(chunk.size());
    const int rc = inflate(&z, Z_NO_FLUSH);
    out.append(reinterpret_cast<const char*>(chunk.data()), chunk.size() - z.avail_out);
    if (out.size() > max_bytes) return std::nullopt;
    if (rc == Z_STREAM_END) return z.avail_in == 0 ? std::optional<std::string>(out) : std::nullopt;
    if (rc != Z_OK) return std::nullopt;
    if (z.avail_in == 0 && z.avail_out != 0) return std::nullopt;  // truncated stream
  }
}

}  // namespace

std::optional<std::string> zlib_inflate(std::string_view data, std::size_t max_bytes) {
  return inflate_stream(data, max_bytes, 15);
}

std::optional<std::string> gzip_inflate(std::string_view data, std::size_t max_bytes) {
  return inflate_stream(data, max_bytes, 15 + 16);
}

}  // namespace flake::conform
