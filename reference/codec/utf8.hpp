// Strict UTF-8 validation (RFC 3629) for WebSocket text messages: invalid ones close with 1007.
#pragma once

#include <string_view>

namespace flake {

// True when `bytes` is well-formed UTF-8: no overlong forms, no surrogates (U+D800..U+DFFF),
// nothing above U+10FFFF, no truncated sequences. The empty string is valid.
bool is_valid_utf8(std::string_view bytes);

}  // namespace flake
