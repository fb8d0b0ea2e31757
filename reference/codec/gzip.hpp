// gzip (RFC 1952) for HTTP response bodies (docs/protocol.md §9.6). lws 4.1's own HTTP compression
// is not built into Debian's package, so zlib is driven directly.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace flake {

// The gzip member of `data`; nullopt only when zlib fails.
std::optional<std::string> gzip_compress(std::string_view data);

}  // namespace flake
