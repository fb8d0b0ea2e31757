// Byte codecs the large-data cases need to check §6.8-6.10: strict base64 decoding, SHA-256 in
// lowercase hex, and zlib (RFC 1950) or gzip (RFC 1952) inflation with an output bound.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace flake::conform {

// Standard alphabet with padding (RFC 4648 section 4); nullopt for anything else.
std::optional<std::string> base64_decode(std::string_view text);

std::string sha256_hex(std::string_view bytes);

// nullopt when the data is not one complete zlib stream or inflates beyond max_bytes.
std::optional<std::string> zlib_inflate(std::string_view data, std::size_t max_bytes);
// The same for one complete gzip member (RFC 1952), as HTTP Content-Encoding: gzip carries.
std::optional<std::string> gzip_inflate(std::string_view data, std::size_t max_bytes);

}  // namespace flake::conform
