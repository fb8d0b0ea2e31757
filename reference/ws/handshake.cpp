// RFC 6455 handshake checks for the sidecar's own WebSocket handshake (see handshake.hpp).
#include "reference/ws/handshake.hpp"

#include <openssl/evp.h>

#include <array>
#include <cstddef>
#include <cstdint>

#include "reference/codec/ascii.hpp"

namespace flake::ws {

namespace {

constexpr std::string_view kWebSocketGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

template <typename Visit>
void for_each_element(std::string_view list, Visit visit) {
  while (true) {
    const size_t comma = list.find(',');
    visit(trim_ows(list.substr(0, comma)));
    if (comma == std::string_view::npos) return;
    list.remove_prefix(comma + 1);
  }
}

int base64_value(char c) {
  const size_t at = kBase64Alphabet.find(c);
  return at == std::string_view::npos ? -1 : static_cast<int>(at);
}

// Strict RFC 4648 §4 decoding: padded to a multiple of 4, no whitespace, and unused trailing bits
// zero (§3.5), so every accepted key has exactly one spelling.
std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  size_t padding = 0;
  if (!text.empty() && text.back() == '=') {
    ++padding;
    if (text[text.size() - 2] == '=') ++padding;  // size is a nonzero multiple of 4 here
  }
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    const size_t data_chars = last ? 4 - padding : 4;
    uint32_t bits = 0;
    for (size_t j = 0; j < 4; ++j) {
      int value = 0;
      if (j < data_chars) {
        value = base64_value(text[i + j]);
        if (value < 0) return std::nullopt;
      }
      bits = bits << 6 | static_cast<uint32_t>(value);
    }
    out += static_cast<char>(bits >> 16 & 0xff);
    if (data_chars >= 3) out += static_cast<char>(bits >> 8 & 0xff);
    if (data_chars == 4) out += static_cast<char>(bits & 0xff);
    if ((data_chars == 2 && (bits & 0xffff) != 0) || (data_chars == 3 && (bits & 0xff) != 0))
      return std::nullopt;
  }
  return out;
}

std::string base64_encode(const unsigned char* data, size_t size) {
  std::string out;
  out.reserve((size + 2) / 3 * 4);
  for (size_t i = 0; i < size; i += 3) {
    const size_t chunk = size - i < 3 ? size - i : 3;
    uint32_t bits = static_cast<uint32_t>(data[i]) << 16;
    if (chunk > 1) bits |= static_cast<uint32_t>(data[i + 1]) << 8;
    if (chunk > 2) bits |= data[i + 2];
    out += kBase64Alphabet[bits >> 18 & 63];
    out += kBase64Alphabet[bits >> 12 & 63];
    out += chunk > 1 ? kBase64Alphabet[bits >> 6 & 63] : '=';
    out += chunk > 2 ? kBase64Alphabet[bits & 63] : '=';
  }
  return out;
}

}  // namespace

std::optional<std::string_view> RequestHead::get(std::string_view name) const {
  for (const auto& [header, value] : headers) {
    if (iequals(header, name)) return std::string_view(value);
  }
  return std::nullopt;
}

int RequestHead::count(std::string_view name) const {
  int n = 0;
  for (const auto& header : headers) {
    if (iequals(header.first, name)) ++n;
  }
  return n;
}

std::string RequestHead::joined(std::string_view name) const {
  std::string out;
  bool first = true;
  for (const auto& [header, value] : headers) {
    if (!iequals(header, name)) continue;
    if (!first) out += ", ";
    out += value;
    first = false;
  }
  return out;
}

std::string_view RequestHead::path() const {
  return std::string_view(target).substr(0, target.find('?'));
}

bool lists_token(std::string_view value, std::string_view token) {
  bool found = false;
  for_each_element(value,
                   [&](std::string_view element) { found = found || iequals(element, token); });
  return found;
}

UpgradeProblem check_upgrade(const RequestHead& head) {
  if (!lists_token(head.joined("Connection"), "upgrade"))
    return UpgradeProblem::kNoConnectionUpgrade;
  if (head.count("Sec-WebSocket-Key") != 1) return UpgradeProblem::kBadKey;
  const auto key = base64_decode(*head.get("Sec-WebSocket-Key"));
  if (!key || key->size() != 16) return UpgradeProblem::kBadKey;
  if (head.joined("Sec-WebSocket-Version") != "13") return UpgradeProblem::kBadVersion;
  return UpgradeProblem::kNone;
}

std::string_view describe(UpgradeProblem problem) {
  switch (problem) {
    case UpgradeProblem::kNone:
      return "none";
    case UpgradeProblem::kNoConnectionUpgrade:
      return "Connection does not list upgrade";
    case UpgradeProblem::kBadKey:
      return "bad Sec-WebSocket-Key";
    case UpgradeProblem::kBadVersion:
      return "bad Sec-WebSocket-Version";
  }
  return "unknown";
}

std::string accept_key(std::string_view client_key) {
  std::string input(client_key);
  input += kWebSocketGuid;
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(input.data(), input.size(), digest.data(), &length, EVP_sha1(), nullptr) != 1)
    return {};
  return base64_encode(digest.data(), length);
}

std::vector<std::string> offered_subprotocols(const RequestHead& head) {
  std::vector<std::string> out;
  for (const auto& [name, value] : head.headers) {
    if (!iequals(name, "Sec-WebSocket-Protocol")) continue;
    for_each_element(value, [&](std::string_view element) {
      if (!element.empty()) out.emplace_back(element);
    });
  }
  return out;
}

}  // namespace flake::ws
