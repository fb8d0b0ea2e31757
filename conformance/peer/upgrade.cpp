// Request head parsing and the upgrade answers; the accept key comes from the harness's own
// handshake code so that both sides share one RFC 6455 computation.
#include "conformance/peer/upgrade.hpp"

#include "conformance/client/http_handshake.hpp"

#include <charconv>

namespace flake::conform::peer {
namespace {

std::vector<std::string> split_list(std::string_view value, char sep) {
  std::vector<std::string> out;
  while (!value.empty()) {
    const std::size_t at = value.find(sep);
    const std::string_view item = trim(value.substr(0, at));
    if (!item.empty()) out.emplace_back(item);
    if (at == std::string_view::npos) break;
    value = value.substr(at + 1);
  }
  return out;
}

// Reads one permessage-deflate offer's parameters ("server_max_window_bits=10; ...").
void read_deflate_params(std::string_view params, UpgradeOffer& offer) {
  for (const std::string& item : split_list(params, ';')) {
    const std::size_t eq = item.find('=');
    const std::string name = to_lower(trim(std::string_view(item).substr(0, eq)));
    std::string_view value =
        eq == std::string::npos ? std::string_view() : trim(std::string_view(item).substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    if (name == "server_no_context_takeover") offer.server_no_context_takeover = true;
    if (name == "client_no_context_takeover") offer.client_no_context_takeover = true;
    if (name == "client_max_window_bits") offer.client_max_window_bits_offered = true;
    if (name == "server_max_window_bits") {
      int bits = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), bits);
      if (ec == std::errc() && end == value.data() + value.size() && bits >= 8 && bits <= 15) {
        offer.server_max_window_bits = bits;
      }
    }
  }
}

}  // namespace

std::optional<std::string> RequestHead::header(std::string_view lower_name) const {
  std::optional<std::string> out;
  for (const auto& [name, value] : headers) {
    if (name != lower_name) continue;
    out = out ? *out + ", " + value : value;
  }
  return out;
}

RequestHeadParser::Result RequestHeadParser::feed(std::string_view bytes) {
  if (status_ != Status::Incomplete) return {status_, 0};
  // Look for the blank line only across the new bytes and the 3 before them.
  const std::size_t before = buffer_.size();
  buffer_.append(bytes);
  const std::size_t from = before >= 3 ? before - 3 : 0;
  const std::size_t end = buffer_.find("\r\n\r\n", from);
  if (end == std::string::npos) {
    if (buffer_.size() > max_) {
      error_ = "request head larger than " + std::to_string(max_) + " bytes";
      status_ = Status::Error;
    }
    return {status_, bytes.size()};
  }
  const std::size_t head_len = end + 4;
  if (head_len > max_) {
    error_ = "request head larger than " + std::to_string(max_) + " bytes";
    status_ = Status::Error;
    return {status_, bytes.size()};
  }
  status_ = parse(std::string_view(buffer_).substr(0, end)) ? Status::Done : Status::Error;
  return {status_, head_len - before};
}

bool RequestHeadParser::parse(std::string_view text) {
  std::size_t line_end = text.find("\r\n");
  const std::string_view request_line = text.substr(0, line_end);
  const std::vector<std::string> parts = split_list(request_line, ' ');
  if (parts.size() != 3 || !parts[2].starts_with("HTTP/")) {
    error_ = "malformed request line: " + std::string(request_line.substr(0, 200));
    return false;
  }
  head_.method = parts[0];
  head_.target = parts[1];
  head_.version = parts[2];
  while (line_end != std::string_view::npos) {
    text = text.substr(line_end + 2);
    line_end = text.find("\r\n");
    const std::string_view line = text.substr(0, line_end);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      error_ = "malformed header line: " + std::string(line.substr(0, 200));
      return false;
    }
    head_.headers.emplace_back(to_lower(line.substr(0, colon)),
                               std::string(trim(line.substr(colon + 1))));
  }
  return true;
}

std::optional<UpgradeOffer> check_upgrade(const RequestHead& head, std::string& error) {
  if (head.method != "GET") {
    error = "upgrade request method is " + head.method + ", not GET";
    return std::nullopt;
  }
  const auto upgrade = head.header("upgrade");
  if (!upgrade || !header_has_token(*upgrade, "websocket")) {
    error = "no Upgrade: websocket header";
    return std::nullopt;
  }
  const auto connection = head.header("connection");
  if (!connection || !header_has_token(*connection, "upgrade")) {
    error = "no Connection: Upgrade header";
    return std::nullopt;
  }
  const auto version = head.header("sec-websocket-version");
  if (!version || *version != "13") {
    error = "Sec-WebSocket-Version is not 13";
    return std::nullopt;
  }
  const auto key = head.header("sec-websocket-key");
  // 16 bytes in base64 are 24 characters ending in "==" (RFC 6455 §4.1, item 7).
  if (!key || key->size() != 24 || !key->ends_with("==")) {
    error = "Sec-WebSocket-Key is missing or not 16 bytes in base64";
    return std::nullopt;
  }
  UpgradeOffer offer;
  offer.key = *key;
  if (const auto protocols = head.header("sec-websocket-protocol")) {
    offer.subprotocols = split_list(*protocols, ',');
    for (const auto& p : offer.subprotocols)
      offer.offers_flake = offer.offers_flake || p == "flake.v1";
  }
  if (const auto extensions = head.header("sec-websocket-extensions")) {
    for (const std::string& ext : split_list(*extensions, ',')) {
      const std::size_t semi = ext.find(';');
      if (to_lower(trim(std::string_view(ext).substr(0, semi))) != "permessage-deflate") continue;
      if (!offer.offers_deflate && semi != std::string::npos) {
        read_deflate_params(std::string_view(ext).substr(semi + 1), offer);
      }
      offer.offers_deflate = true;
      break;  // the first offer is the one the peer answers
    }
  }
  return offer;
}

std::string deflate_answer(const UpgradeOffer& offer, DeflateAgreement& agreed) {
  std::string answer = "permessage-deflate";
  agreed = DeflateAgreement{};
  if (offer.server_no_context_takeover) {
    answer += "; server_no_context_takeover";
    agreed.server_no_context_takeover = true;
  }
  if (offer.server_max_window_bits) {
    answer += "; server_max_window_bits=" + std::to_string(*offer.server_max_window_bits);
    agreed.server_window_bits = *offer.server_max_window_bits;
  }
  // The client's own parameters: it keeps its defaults unless it asked otherwise, so the peer
  // inflates with the full window (the largest the client may use).
  agreed.client_no_context_takeover = offer.client_no_context_takeover;
  return answer;
}

std::string switching_protocols(const UpgradeOffer& offer, const std::string& extension_answer) {
  std::string out =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Accept: " +
      compute_accept(offer.key) + "\r\n";
  if (offer.offers_flake) out += "Sec-WebSocket-Protocol: flake.v1\r\n";
  if (!extension_answer.empty()) out += "Sec-WebSocket-Extensions: " + extension_answer + "\r\n";
  out += "\r\n";
  return out;
}

std::string refusal_response(int status, std::string_view reason, int retry_after_s) {
  const std::string body = R"({"error":{"code":-32603,"message":")" + std::string(reason) + "\"}}";
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) + "\r\n";
  if (retry_after_s >= 0) out += "Retry-After: " + std::to_string(retry_after_s) + "\r\n";
  out += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + body;
  return out;
}

}  // namespace flake::conform::peer
