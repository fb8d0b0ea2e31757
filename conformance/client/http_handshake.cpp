// Client side of the opening handshake; SHA-1 and randomness come from OpenSSL's libcrypto.
#include "conformance/client/http_handshake.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace flake::conform {
namespace {

constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

bool is_token_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (std::isalnum(u)) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

}  // namespace

std::string to_lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string make_websocket_key() {
  std::array<unsigned char, 16> raw{};
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) {
    for (std::size_t i = 0; i < raw.size(); ++i) raw[i] = static_cast<unsigned char>(i * 37 + 11);
  }
  return base64_encode(std::string_view(reinterpret_cast<const char*>(raw.data()), raw.size()));
}

std::string compute_accept(std::string_view key) {
  std::string input(key);
  input.append(kGuid);
  std::array<unsigned char, SHA_DIGEST_LENGTH> digest{};
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest.data());
  return base64_encode(
      std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

std::string build_upgrade_request(UpgradeRequest& request) {
  if (request.key.empty()) request.key = make_websocket_key();
  std::string out = "GET " + request.path + " HTTP/1.1\r\n";
  if (request.host) out += "Host: " + *request.host + "\r\n";
  out += "Upgrade: websocket\r\nConnection: Upgrade\r\n";
  out += "Sec-WebSocket-Key: " + request.key + "\r\n";
  out += "Sec-WebSocket-Version: 13\r\n";
  if (request.origin) out += "Origin: " + *request.origin + "\r\n";
  if (!request.subprotocols.empty()) {
    out += "Sec-WebSocket-Protocol: ";
    for (std::size_t i = 0; i < request.subprotocols.size(); ++i) {
      if (i != 0) out += ", ";
      out += request.subprotocols[i];
    }
    out += "\r\n";
  }
  if (request.offer_deflate) {
    out += "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n";
  }
  for (const auto& [name, value] : request.extra_headers) out += name + ": " + value + "\r\n";
  out += "\r\n";
  return out;
}

std::optional<std::string> HttpResponseHead::header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return value;
  }
  return std::nullopt;
}

std::optional<std::string> HttpResponseHead::combined(std::string_view lower_name) const {
  std::optional<std::string> out;
  for (const auto& [name, value] : headers) {
    if (name != lower_name) continue;
    if (out) {
      *out += ", " + value;
    } else {
      out = value;
    }
  }
  return out;
}

ResponseHeadParser::Result ResponseHeadParser::feed(std::string_view bytes) {
  if (status_ != Status::Incomplete) return {status_, 0};
  const std::size_t old = buffer_.size();
  buffer_.append(bytes);
  const std::size_t end = buffer_.find("\r\n\r\n", old >= 3 ? old - 3 : 0);
  if (end == std::string::npos) {
    if (buffer_.size() > max_) {
      error_ = "response head longer than " + std::to_string(max_) + " bytes";
      status_ = Status::Error;
      return {status_, bytes.size()};
    }
    return {Status::Incomplete, bytes.size()};
  }
  const std::size_t head_end = end + 4;
  buffer_.resize(head_end);
  status_ = parse(std::string_view(buffer_).substr(0, end)) ? Status::Done : Status::Error;
  return {status_, head_end - old};
}

bool ResponseHeadParser::parse(std::string_view text) {
  const std::size_t line_end = text.find("\r\n");
  const std::string_view status_line = text.substr(0, line_end);
  // HTTP/1.x SP 3DIGIT [SP reason]
  if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1." ||
      !std::isdigit(static_cast<unsigned char>(status_line[7])) || status_line[8] != ' ' ||
      !std::all_of(status_line.begin() + 9, status_line.begin() + 12,
                   [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }) ||
      (status_line.size() > 12 && status_line[12] != ' ')) {
    error_ = "malformed status line: " + std::string(status_line.substr(0, 80));
    return false;
  }
  head_.status = std::stoi(std::string(status_line.substr(9, 3)));
  head_.reason = status_line.size() > 13 ? std::string(status_line.substr(13)) : std::string();
  std::string_view rest =
      line_end == std::string_view::npos ? std::string_view() : text.substr(line_end + 2);
  while (!rest.empty()) {
    const std::size_t eol = rest.find("\r\n");
    const std::string_view line = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 2);
    if (line.front() == ' ' || line.front() == '\t') {
      error_ = "obsolete header line folding";
      return false;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0 ||
        !std::all_of(line.begin(), line.begin() + static_cast<std::ptrdiff_t>(colon),
                     is_token_char)) {
      error_ = "malformed header line: " + std::string(line.substr(0, 80));
      return false;
    }
    head_.headers.emplace_back(to_lower(line.substr(0, colon)),
                               std::string(trim(line.substr(colon + 1))));
  }
  return true;
}

bool header_has_token(std::string_view value, std::string_view token) {
  const std::string wanted = to_lower(token);
  while (!value.empty()) {
    const std::size_t comma = value.find(',');
    if (to_lower(trim(value.substr(0, comma))) == wanted) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

UpgradeCheck verify_upgrade(const HttpResponseHead& head, const UpgradeRequest& request) {
  UpgradeCheck check;
  auto fail = [&](std::string why) {
    check.error = std::move(why);
    return check;
  };
  if (head.status != 101) return fail("status " + std::to_string(head.status) + ", not 101");
  const auto upgrade = head.header("upgrade");
  if (!upgrade || to_lower(*upgrade) != "websocket") return fail("missing Upgrade: websocket");
  const auto connection = head.combined("connection");
  if (!connection || !header_has_token(*connection, "upgrade")) {
    return fail("missing Connection: Upgrade");
  }
  const auto accept = head.header("sec-websocket-accept");
  const std::string expected = compute_accept(request.key);
  if (!accept || *accept != expected) {
    return fail("Sec-WebSocket-Accept is '" + accept.value_or("") + "', expected '" + expected +
                "'");
  }
  if (const auto protocol = head.header("sec-websocket-protocol")) {
    if (std::find(request.subprotocols.begin(), request.subprotocols.end(), *protocol) ==
        request.subprotocols.end()) {
      return fail("server selected subprotocol '" + *protocol + "' that was not offered");
    }
    check.subprotocol = *protocol;
  }
  if (const auto extensions = head.combined("sec-websocket-extensions")) {
    if (!request.offer_deflate) return fail("server answered extensions that were not offered");
    check.extensions = *extensions;
  }
  check.ok = true;
  return check;
}

}  // namespace flake::conform
