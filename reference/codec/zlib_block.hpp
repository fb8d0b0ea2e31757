// zlib streams (RFC 1950) of bytes held in memory: export chunks, and the log history's and replay
// rings' idle blocks, which are compressed once and inflated when read.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace flake {

// The zlib stream of `raw` at `level` (zlib's 0-9, or -1 for its default), no larger than it needs
// to be; nullopt only when zlib itself fails.
std::optional<std::string> zlib_compress(std::string_view raw, int level);

// Inflates `packed` into `out`, which must come out exactly `raw_size` bytes; false otherwise.
bool zlib_uncompress(std::string_view packed, size_t raw_size, std::string& out);

}  // namespace flake
