// Standard base64 (RFC 4648 §4, padded) for data.chunk payloads (§6.9) and the handshake key.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace flake::client {

std::string base64_encode(std::string_view bytes);
// nullopt unless `text` is canonical padded standard base64 (length a multiple of 4, padding only
// at the end, no whitespace).
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace flake::client
