// Target: the reference's own HTTP request-head parser and WebSocket handshake checks
// (parse_request_head, check_upgrade, offered_subprotocols, reference/ws_handshake.hpp) and its
// permessage-deflate offer negotiation (negotiate_deflate, reference/ws_deflate.hpp). Input: what a
// client sends first, a request head and maybe more (a first frame).
// Properties: over growing prefixes of the input (all of them, or about 200 that include every line
// end) the status goes from kIncomplete to kMalformed or kComplete and stays there; once complete,
// the size and the parsed head no longer change, and the head ends at the first prefix holding its
// blank line; parsed fields obey the syntax the parser promises; an accepted offer's response
// negotiates again to the same parameters, and a message deflated with them inflates back.
#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "fuzz_check.hpp"
#include "ws_deflate.hpp"
#include "ws_handshake.hpp"

namespace {

using namespace flake::ws;

constexpr std::size_t kMaxParses = 200;

bool same(const RequestHead& a, const RequestHead& b) {
  return a.method == b.method && a.target == b.target && a.version == b.version &&
         a.headers == b.headers && a.size == b.size;
}

bool same(const DeflateParams& a, const DeflateParams& b) {
  return a.server_no_context_takeover == b.server_no_context_takeover &&
         a.client_no_context_takeover == b.client_no_context_takeover &&
         a.server_max_window_bits == b.server_max_window_bits &&
         a.client_max_window_bits == b.client_max_window_bits;
}

bool is_tchar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), is_tchar);
}

bool is_trimmed(std::string_view text) {
  auto blank = [](char c) { return c == ' ' || c == '\t'; };
  return text.empty() || (!blank(text.front()) && !blank(text.back()));
}

// Which prefix lengths to parse, ascending: every one for a short input; otherwise the ends of the
// head and of each line (where the status changes), around the first NUL, and an even spread.
std::vector<std::size_t> prefix_lengths(std::string_view input, std::optional<std::size_t> head) {
  const std::size_t n = input.size();
  std::vector<std::size_t> out;
  if (n + 1 <= kMaxParses) {
    for (std::size_t len = 0; len <= n; ++len) out.push_back(len);
    return out;
  }
  std::set<std::size_t> lengths = {0, n};
  if (head) lengths.insert({*head - 1, *head, std::min(*head + 1, n)});
  const std::size_t nul = input.find('\0');
  if (nul != std::string_view::npos) lengths.insert({nul, nul + 1});
  for (std::size_t at = input.find('\n'); at != std::string_view::npos && lengths.size() < 120;
       at = input.find('\n', at + 1)) {
    lengths.insert({at, at + 1});
  }
  const std::size_t spread = kMaxParses - lengths.size();
  for (std::size_t k = 1; k < spread; ++k) lengths.insert(k * n / spread);
  return {lengths.begin(), lengths.end()};
}

// What the parser promises about every head it completes.
void check_head(std::string_view input, const RequestHead& head) {
  FLAKE_FUZZ_CHECK(head.size >= 2 && head.size <= input.size() && input[head.size - 1] == '\n');
  FLAKE_FUZZ_CHECK(is_token(head.method));
  FLAKE_FUZZ_CHECK(!head.target.empty());
  for (const char c : head.target) {
    FLAKE_FUZZ_CHECK(static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7f);
  }
  FLAKE_FUZZ_CHECK(head.version.size() == 8 && head.version.starts_with("HTTP/1."));
  FLAKE_FUZZ_CHECK(head.target.starts_with(head.path()));
  FLAKE_FUZZ_CHECK(head.path().find('?') == std::string_view::npos);
  for (const auto& [name, value] : head.headers) {
    FLAKE_FUZZ_CHECK(is_token(name));
    FLAKE_FUZZ_CHECK(is_trimmed(value));
    for (const char c : value) {
      const auto byte = static_cast<unsigned char>(c);
      FLAKE_FUZZ_CHECK((byte >= 0x20 || byte == '\t') && byte != 0x7f);
    }
    FLAKE_FUZZ_CHECK(head.count(name) >= 1 && head.get(name).has_value());
    FLAKE_FUZZ_CHECK(lists_token(head.joined(name), *head.get(name)) || head.get(name)->empty() ||
                     head.get(name)->find(',') != std::string_view::npos);
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

  // Two messages, so context takeover (or its absence) is exercised on both sides.
  Deflater deflater(params);
  Inflater inflater(params);
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

void check_handshake(std::string_view input, const RequestHead& head) {
  (void)wants_websocket(head);
  const UpgradeProblem problem = check_upgrade(head);
  FLAKE_FUZZ_CHECK(!describe(problem).empty());
  if (problem == UpgradeProblem::kNone) {
    FLAKE_FUZZ_CHECK(head.version != "HTTP/1.0");
    FLAKE_FUZZ_CHECK(lists_token(head.joined("connection"), "Upgrade"));
    FLAKE_FUZZ_CHECK(head.count("sec-websocket-key") == 1);
    FLAKE_FUZZ_CHECK(head.get("sec-websocket-key")->size() == 24);
    FLAKE_FUZZ_CHECK(accept_key(*head.get("sec-websocket-key")).size() == 28);
    FLAKE_FUZZ_CHECK(head.joined("sec-websocket-version") == "13");
  }
  for (const std::string& protocol : offered_subprotocols(head)) {
    FLAKE_FUZZ_CHECK(!protocol.empty() && is_trimmed(protocol));
    FLAKE_FUZZ_CHECK(protocol.find(',') == std::string::npos);
  }
  const std::string_view sample = input.substr(0, head.size);
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
  RequestHead whole;
  const HeadStatus whole_status = parse_request_head(input, whole);
  std::optional<std::size_t> head_size;
  if (whole_status == HeadStatus::kComplete) {
    check_head(input, whole);
    head_size = whole.size;
  }

  HeadStatus previous = HeadStatus::kIncomplete;
  std::optional<std::size_t> first_complete;
  for (const std::size_t len : prefix_lengths(input, head_size)) {
    RequestHead head;
    const HeadStatus status = parse_request_head(input.substr(0, len), head);
    // Malformed and complete are both final.
    if (previous != HeadStatus::kIncomplete) FLAKE_FUZZ_CHECK(status == previous);
    if (status == HeadStatus::kComplete) {
      // Nothing but the prefix's own bytes is read: the head is the whole input's head.
      FLAKE_FUZZ_CHECK(same(head, whole));
      if (!first_complete) first_complete = len;
    }
    // The blank line's last byte is missing: nothing wrong yet, nothing finished.
    if (head_size && len + 1 == *head_size) FLAKE_FUZZ_CHECK(status == HeadStatus::kIncomplete);
    previous = status;
  }
  FLAKE_FUZZ_CHECK(previous == whole_status);
  // The first complete prefix is the head itself.
  FLAKE_FUZZ_CHECK(first_complete == head_size);

  if (whole_status == HeadStatus::kComplete) check_handshake(input, whole);
  return 0;
}
