// Target: the reference's WebSocket handshake checks (check_upgrade, offered_subprotocols,
// lists_token, accept_key, RequestHead, reference/ws_handshake.hpp) and its permessage-deflate
// offer negotiation (negotiate_deflate, reference/ws_deflate.hpp), on a head built the way
// ws_takeover fills one from lws. Input: a request line (method, space, target; anything after a
// second space is ignored), then "Name: value" lines up to an empty line ("\n" or "\r\n";
// lines without ':' dropped, values trimmed, repeated headers kept apart as lws' fragments are).
// Properties: check_upgrade agrees with a naive reading of RFC 6455 §4.2.1, and so with itself on a
// copy with lower-cased names; when it passes, the one key has 24 chars and a 28-char accept key;
// get/count/joined, lists_token and offered_subprotocols agree with naive scans and splits; an
// accepted offer has parameters in range and its response negotiates again to the same parameters
// and response, and messages deflated with them inflate back in both directions.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "reference/ws/deflate.hpp"
#include "reference/ws/handshake.hpp"

namespace {

using namespace flake::ws;

// Bounds on the quadratic cross-checks, so a long input stays fast.
constexpr std::size_t kMaxNamesChecked = 16;
constexpr std::size_t kMaxTokensPerValue = 16;

constexpr std::string_view kHandshakeNames[] = {"Host",
                                                "Origin",
                                                "Upgrade",
                                                "Connection",
                                                "Sec-WebSocket-Key",
                                                "Sec-WebSocket-Version",
                                                "Sec-WebSocket-Protocol",
                                                "Sec-WebSocket-Extensions"};

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return lower(x) == lower(y); });
}

bool blank(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && blank(text.back())) text.remove_suffix(1);
  return text;
}

std::vector<std::string_view> split_list(std::string_view value) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= value.size(); ++i) {
    if (i == value.size() || value[i] == ',') {
      out.push_back(trim(value.substr(start, i - start)));
      start = i + 1;
    }
  }
  return out;
}

bool naive_lists(std::string_view value, std::string_view token) {
  const std::vector<std::string_view> elements = split_list(value);
  return std::any_of(elements.begin(), elements.end(),
                     [&](std::string_view element) { return iequals(element, token); });
}

// The head, and where it ends in the input (after its empty line, or the whole input).
struct Built {
  RequestHead head;
  std::size_t size = 0;
};

Built build_head(std::string_view input) {
  Built out;
  std::size_t pos = 0;
  bool request_line = true;
  while (pos < input.size()) {
    const std::size_t newline = input.find('\n', pos);
    const std::size_t end = newline == std::string_view::npos ? input.size() : newline;
    std::string_view line = input.substr(pos, end - pos);
    pos = newline == std::string_view::npos ? input.size() : newline + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (request_line) {
      request_line = false;
      const std::size_t space = line.find(' ');
      out.head.method = line.substr(0, space);
      const std::string_view rest =
          space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
      out.head.target = rest.substr(0, rest.find(' '));
      continue;
    }
    if (line.empty()) break;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    out.head.headers.emplace_back(std::string(line.substr(0, colon)),
                                  std::string(trim(line.substr(colon + 1))));
  }
  out.size = pos;
  return out;
}

bool same(const DeflateParams& a, const DeflateParams& b) {
  return a.server_no_context_takeover == b.server_no_context_takeover &&
         a.client_no_context_takeover == b.client_no_context_takeover &&
         a.server_max_window_bits == b.server_max_window_bits &&
         a.client_max_window_bits == b.client_max_window_bits;
}

// RFC 6455 §4.2.1 as plainly as possible: a 16-byte value in canonical padded base64 is 21
// alphabet characters, one whose low four bits are zero, and "==".
bool naive_key(std::string_view key) {
  constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  if (key.size() != 24 || key.substr(22) != "==") return false;
  for (std::size_t i = 0; i < 21; ++i) {
    if (kAlphabet.find(key[i]) == std::string_view::npos) return false;
  }
  return std::string_view("AQgw").find(key[21]) != std::string_view::npos;
}

UpgradeProblem naive_check(const RequestHead& head) {
  std::string connection;
  std::vector<std::string_view> keys;
  std::string version;
  bool first_version = true;
  for (const auto& [name, value] : head.headers) {
    if (iequals(name, "connection")) connection += value + ",";
    if (iequals(name, "sec-websocket-key")) keys.push_back(value);
    if (iequals(name, "sec-websocket-version")) {
      if (!first_version) version += ", ";
      version += value;
      first_version = false;
    }
  }
  if (!naive_lists(connection, "upgrade")) return UpgradeProblem::kNoConnectionUpgrade;
  if (keys.size() != 1 || !naive_key(keys[0])) return UpgradeProblem::kBadKey;
  if (version != "13") return UpgradeProblem::kBadVersion;
  return UpgradeProblem::kNone;
}

void check_upgrade_checks(const RequestHead& head) {
  const UpgradeProblem problem = check_upgrade(head);
  FLAKE_FUZZ_CHECK(check_upgrade(RequestHead(head)) == problem);
  FLAKE_FUZZ_CHECK(problem == naive_check(head));
  FLAKE_FUZZ_CHECK(!describe(problem).empty() && describe(problem) != "unknown");
  if (problem == UpgradeProblem::kNone) {
    FLAKE_FUZZ_CHECK(head.count("sec-websocket-key") == 1);
    const std::string_view key = *head.get("Sec-WebSocket-Key");
    FLAKE_FUZZ_CHECK(key.size() == 24);
    const std::string accept = accept_key(key);
    FLAKE_FUZZ_CHECK(accept.size() == 28 && accept.back() == '=');
    FLAKE_FUZZ_CHECK(accept_key(key) == accept);
  }

  // Header names compare case-insensitively everywhere.
  RequestHead lowered = head;
  for (auto& header : lowered.headers) {
    std::transform(header.first.begin(), header.first.end(), header.first.begin(), lower);
  }
  FLAKE_FUZZ_CHECK(check_upgrade(lowered) == problem);
  FLAKE_FUZZ_CHECK(offered_subprotocols(lowered) == offered_subprotocols(head));
}

void check_accessors(const RequestHead& head) {
  std::vector<std::string_view> names(std::begin(kHandshakeNames), std::end(kHandshakeNames));
  for (std::size_t i = 0; i < head.headers.size() && i < kMaxNamesChecked; ++i) {
    names.push_back(head.headers[i].first);
  }
  for (const std::string_view name : names) {
    int count = 0;
    std::optional<std::string_view> first;
    std::string joined;
    for (const auto& [header, value] : head.headers) {
      if (!iequals(header, name)) continue;
      if (!first) first = value;
      joined += (count > 0 ? ", " : "") + value;
      ++count;
    }
    FLAKE_FUZZ_CHECK(head.count(name) == count);
    FLAKE_FUZZ_CHECK(head.get(name) == first);
    FLAKE_FUZZ_CHECK(head.joined(name) == joined);
  }
  const std::string_view path = head.path();
  FLAKE_FUZZ_CHECK(head.target.starts_with(path));
  FLAKE_FUZZ_CHECK(path.find('?') == std::string_view::npos);
  FLAKE_FUZZ_CHECK(path.size() == head.target.size() || head.target[path.size()] == '?');
}

void check_lists(const RequestHead& head) {
  std::size_t checked = 0;
  for (const auto& [name, value] : head.headers) {
    if (++checked > kMaxNamesChecked) break;
    std::vector<std::string_view> tokens = {"upgrade", "websocket", "", value};
    const std::vector<std::string_view> elements = split_list(value);
    tokens.insert(tokens.end(), elements.begin(),
                  elements.begin() +
                      static_cast<std::ptrdiff_t>(std::min(elements.size(), kMaxTokensPerValue)));
    for (const std::string_view token : tokens) {
      FLAKE_FUZZ_CHECK(lists_token(value, token) == naive_lists(value, token));
    }
  }

  std::vector<std::string> offered;
  for (const auto& [name, value] : head.headers) {
    if (!iequals(name, "sec-websocket-protocol")) continue;
    for (const std::string_view element : split_list(value)) {
      if (!element.empty()) offered.emplace_back(element);
    }
  }
  const std::vector<std::string> protocols = offered_subprotocols(head);
  for (const std::string& protocol : protocols) {
    FLAKE_FUZZ_CHECK(!protocol.empty() && trim(protocol) == protocol);
    FLAKE_FUZZ_CHECK(protocol.find(',') == std::string::npos);
  }
  FLAKE_FUZZ_CHECK(protocols == offered);
}

// The same agreement as the client applies it: its compressor follows the client_* parameters,
// its decompressor the server_* ones.
DeflateParams mirrored(const DeflateParams& params) {
  DeflateParams out;
  out.server_no_context_takeover = params.client_no_context_takeover;
  out.client_no_context_takeover = params.server_no_context_takeover;
  out.server_max_window_bits = std::max(params.client_max_window_bits, 9);  // zlib's least
  out.client_max_window_bits = params.server_max_window_bits;
  return out;
}

// Two messages, so context takeover (or its absence) is exercised on both sides.
void round_trip(Deflater deflater, Inflater inflater, std::string_view sample) {
  for (int i = 0; i < 2; ++i) {
    const std::string compressed = deflater.compress(sample);
    FLAKE_FUZZ_CHECK(!compressed.empty());
    std::string out;
    const std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(compressed.data()),
                                         compressed.size());
    FLAKE_FUZZ_CHECK(inflater.feed(bytes, out, sample.size()) == InflateStatus::kOk);
    FLAKE_FUZZ_CHECK(inflater.finish(out, sample.size()) == InflateStatus::kOk);
    FLAKE_FUZZ_CHECK(out == sample);
  }
}

// An accepted offer: sane parameters, a response that is itself an acceptable offer of the same
// parameters, and zlib streams that work with them.
void check_negotiation(std::string_view offers, std::string_view sample) {
  const std::optional<DeflateAgreement> agreement = negotiate_deflate(offers);
  if (!agreement) return;
  const DeflateParams& params = agreement->params;
  FLAKE_FUZZ_CHECK(params.server_max_window_bits >= 9 && params.server_max_window_bits <= 15);
  FLAKE_FUZZ_CHECK(params.client_max_window_bits >= 8 && params.client_max_window_bits <= 15);
  FLAKE_FUZZ_CHECK(agreement->response.starts_with("permessage-deflate"));
  const std::optional<DeflateAgreement> again = negotiate_deflate(agreement->response);
  FLAKE_FUZZ_CHECK(again.has_value());
  FLAKE_FUZZ_CHECK(same(again->params, params) && again->response == agreement->response);

  round_trip(Deflater(params), Inflater(mirrored(params)), sample);  // server to client
  round_trip(Deflater(mirrored(params)), Inflater(params), sample);  // client to server
}

void check_deflate_offers(const RequestHead& head, std::string_view sample) {
  check_negotiation(head.joined("sec-websocket-extensions"), sample);
  // Every other value too, as if it were an offer: more syntax for the offer parser to meet.
  for (const auto& header : head.headers) {
    const std::optional<DeflateAgreement> agreement = negotiate_deflate(header.second);
    if (agreement) {
      const std::optional<DeflateAgreement> again = negotiate_deflate(agreement->response);
      FLAKE_FUZZ_CHECK(again && same(again->params, agreement->params));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = flake::fuzz::as_text(data, size);
  const Built built = build_head(input);
  check_upgrade_checks(built.head);
  check_accessors(built.head);
  check_lists(built.head);
  // The head's own bytes are the message to compress.
  check_deflate_offers(built.head, input.substr(0, built.size));
  return 0;
}
