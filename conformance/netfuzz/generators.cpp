// Burst assembly and the WebSocket-level families of the network fuzzer: framing violations,
// invalid UTF-8 and close handshakes. Only the PRNG decides; nothing here reads a clock.
#include "conformance/netfuzz/generators.hpp"

#include "conformance/client/http_handshake.hpp"
#include "conformance/client/ws_frame.hpp"

#include <algorithm>
#include <array>

namespace flake::conform::netfuzz {
namespace {

constexpr std::array kFamilies{Family::Framing,   Family::Utf8,     Family::Close,
                               Family::JsonRpc,   Family::MsgPack,  Family::Oversized,
                               Family::Slowloris, Family::HalfOpen, Family::Abrupt,
                               Family::Http,      Family::Tls};
constexpr std::array<std::string_view, kFamilies.size()> kNames{
    "framing",   "utf8",      "close",  "jsonrpc", "msgpack", "oversized",
    "slowloris", "half-open", "abrupt", "http",    "tls"};

// SplitMix64: spreads (seed, index) over the whole state so neighbouring bursts do not correlate.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::array<std::uint8_t, 4> mask_key(Rng& rng) {
  const std::uint64_t v = rng();
  return {static_cast<std::uint8_t>(v), static_cast<std::uint8_t>(v >> 8),
          static_cast<std::uint8_t>(v >> 16), static_cast<std::uint8_t>(v >> 24)};
}

std::string frame(Rng& rng, FrameSpec spec, std::string_view payload) {
  if (spec.masked && !spec.mask_key) spec.mask_key = mask_key(rng);
  return encode_frame(spec, payload);
}

const std::string kPing = R"({"jsonrpc":"2.0","method":"system.ping","id":1})";

}  // namespace

std::span<const Family> all_families() {
  return std::span<const Family>(kFamilies).first(kFamilies.size() - 1);
}
std::span<const Family> tls_families() {
  return kFamilies;
}

std::string_view to_string(Family family) {
  for (std::size_t i = 0; i < kFamilies.size(); ++i) {
    if (kFamilies[i] == family) return kNames[i];
  }
  return "?";
}

std::optional<Family> family_from_string(std::string_view name) {
  for (std::size_t i = 0; i < kFamilies.size(); ++i) {
    if (kNames[i] == name) return kFamilies[i];
  }
  return std::nullopt;
}

std::uint64_t below(Rng& rng, std::uint64_t n) {
  return n == 0 ? 0 : rng() % n;
}
bool chance(Rng& rng, unsigned percent) {
  return below(rng, 100) < percent;
}

std::string random_bytes(Rng& rng, std::size_t n) {
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng() & 0xFF);
  return out;
}

Rng burst_rng(std::uint64_t seed, std::uint64_t index) {
  return Rng(mix(mix(seed) ^ (index * 0x2545F4914F6CDD1DULL)));
}

Family burst_family(std::uint64_t seed, std::uint64_t index, std::span<const Family> families) {
  if (families.empty()) families = all_families();
  std::vector<Family> order(families.begin(), families.end());
  Rng rng(mix(seed ^ 0xfa11ULL) + index / order.size());
  for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[below(rng, i)]);
  return order[index % order.size()];
}

std::string client_frame(Rng& rng, std::uint8_t opcode, std::string_view payload, bool fin,
                         std::uint8_t rsv) {
  FrameSpec spec;
  spec.opcode = opcode;
  spec.fin = fin;
  spec.rsv = rsv;
  return frame(rng, spec, payload);
}

void open_websocket(Rng& rng, ConnScript& conn, bool auth) {
  conn.steps.push_back(upgrade(base64_encode(random_bytes(rng, 16))));
  if (auth) conn.steps.push_back(authenticate(random_bytes(rng, 4)));
}

std::string fragmented(Rng& rng, std::uint8_t opcode, std::string_view payload) {
  std::string out;
  bool first = true;
  std::size_t at = 0;
  do {
    const std::size_t size = std::min<std::size_t>(payload.size() - at, 1 + below(rng, 64));
    const bool fin = at + size == payload.size();
    out += client_frame(rng, first ? opcode : 0x0, payload.substr(at, size), fin);
    if (!fin && chance(rng, 20)) out += client_frame(rng, 0x9, "fz");
    at += size;
    first = false;
  } while (at < payload.size());
  return out;
}

ConnScript generate_connection(Family family, Rng& rng, const GenContext& context) {
  switch (family) {
    case Family::Framing:
      return gen_framing(rng, context);
    case Family::Utf8:
      return gen_utf8(rng, context);
    case Family::Close:
      return gen_close(rng, context);
    case Family::JsonRpc:
      return gen_jsonrpc(rng, context);
    case Family::MsgPack:
      return gen_msgpack(rng, context);
    case Family::Oversized:
      return gen_oversized(rng, context);
    case Family::Slowloris:
      return gen_slowloris(rng, context);
    case Family::HalfOpen:
      return gen_half_open(rng, context);
    case Family::Abrupt:
      return gen_abrupt(rng, context);
    case Family::Http:
      return gen_http(rng, context);
    case Family::Tls:
      return gen_tls(rng, context);
  }
  return {};
}

Burst generate_burst(std::uint64_t seed, std::uint64_t index, const GenContext& context,
                     std::span<const Family> families) {
  Burst burst;
  burst.index = index;
  const Family family = burst_family(seed, index, families);
  burst.family = std::string(to_string(family));
  Rng rng = burst_rng(seed, index);
  const std::size_t conns = 1 + below(rng, 4);
  for (std::size_t i = 0; i < conns; ++i) {
    burst.conns.push_back(generate_connection(family, rng, context));
  }
  return burst;
}

ConnScript gen_framing(Rng& rng, const GenContext&) {
  ConnScript conn;
  open_websocket(rng, conn, chance(rng, 60));
  std::string out;
  if (chance(rng, 30)) out += client_frame(rng, 0x1, kPing);  // some valid traffic first
  FrameSpec spec;
  std::string payload = kPing;
  switch (below(rng, 11)) {
    case 0:
      conn.label = "reserved bits";
      spec.rsv = static_cast<std::uint8_t>(1 + below(rng, 7));
      break;
    case 1:
      conn.label = "reserved opcode";
      spec.opcode =
          static_cast<std::uint8_t>(chance(rng, 50) ? 3 + below(rng, 5) : 0xB + below(rng, 5));
      break;
    case 2:
      conn.label = "non-minimal length";
      spec.length_form = chance(rng, 50) ? LengthForm::Extended16 : LengthForm::Extended64;
      break;
    case 3:
      conn.label = "64-bit length with MSB set";
      spec.length_msb = true;
      spec.declared_length = below(rng, 1u << 20);
      break;
    case 4:
      conn.label = "length beyond the data";
      spec.declared_length = payload.size() + 1 + below(rng, 1u << 16);
      break;
    case 5:
      conn.label = "unmasked client frame";
      spec.masked = false;
      break;
    case 6:
      conn.label = "control frame over 125 bytes";
      spec.opcode = static_cast<std::uint8_t>(0x8 + below(rng, 3));
      payload = random_bytes(rng, 126 + below(rng, 2000));
      break;
    case 7:
      conn.label = "fragmented control frame";
      spec.opcode = static_cast<std::uint8_t>(0x8 + below(rng, 3));
      spec.fin = false;
      payload = "abc";
      out += frame(rng, spec, payload);
      spec.opcode = 0x0;
      spec.fin = true;
      break;
    case 8:
      conn.label = "interleaved data fragments";
      out += client_frame(rng, 0x1, payload.substr(0, 10), false);
      spec.opcode = chance(rng, 50) ? 0x1 : 0x2;
      break;
    case 9:
      conn.label = "continuation without start";
      spec.opcode = 0x0;
      spec.fin = chance(rng, 50);
      break;
    default:
      conn.label = "random header bits";
      spec.opcode = static_cast<std::uint8_t>(below(rng, 16));
      spec.fin = chance(rng, 50);
      spec.rsv = static_cast<std::uint8_t>(below(rng, 8));
      spec.masked = chance(rng, 80);
      payload = random_bytes(rng, below(rng, 300));
      break;
  }
  out += frame(rng, spec, payload);
  if (chance(rng, 50)) out += client_frame(rng, 0x1, kPing);  // must not be processed
  conn.steps.push_back(send(out));
  conn.steps.push_back(drain(static_cast<int>(50 + below(rng, 250))));
  conn.steps.push_back(simple(chance(rng, 50) ? StepKind::Close : StepKind::Abort));
  return conn;
}

ConnScript gen_utf8(Rng& rng, const GenContext&) {
  static constexpr std::array<std::string_view, 12> kBad{"\xff",
                                                         "\xc0\xaf",
                                                         "\xe0\x80\xaf",
                                                         "\xed\xa0\x80",
                                                         "\xed\xbf\xbf",
                                                         "\xf4\x90\x80\x80",
                                                         "\xf8\x88\x80\x80\x80",
                                                         "\xc3",
                                                         "\xe2\x82",
                                                         "\x80",
                                                         "\xfe\xff",
                                                         "\xef\xbf"};
  ConnScript conn;
  conn.label = "invalid UTF-8";
  open_websocket(rng, conn, chance(rng, 70));
  std::string text = R"({"jsonrpc":"2.0","method":"system.ping","params":[")";
  text += pick<std::string_view>(rng, kBad);
  text += R"("],"id":1})";
  if (chance(rng, 30)) text.insert(below(rng, text.size()), pick<std::string_view>(rng, kBad));
  std::string out;
  if (chance(rng, 50)) {
    out = fragmented(rng, 0x1, text);  // the bad sequence may be split between fragments
  } else {
    out = client_frame(rng, 0x1, text);
  }
  if (chance(rng, 40)) out += client_frame(rng, 0x1, kPing);
  conn.steps.push_back(send(out));
  conn.steps.push_back(drain(static_cast<int>(50 + below(rng, 250))));
  conn.steps.push_back(simple(StepKind::Close));
  return conn;
}

ConnScript gen_close(Rng& rng, const GenContext&) {
  static constexpr std::array<std::uint16_t, 14> kCodes{0,    999,  1000, 1004, 1005, 1006, 1012,
                                                        1015, 1016, 2999, 3000, 4999, 5000, 65535};
  ConnScript conn;
  open_websocket(rng, conn, chance(rng, 50));
  std::string payload;
  switch (below(rng, 5)) {
    case 0:
      conn.label = "close with a 1-byte body";
      payload = std::string(1, static_cast<char>(0x03));
      break;
    case 1:
      conn.label = "close with invalid UTF-8 reason";
      payload = close_payload(1000, "bye \xff\xfe");
      break;
    case 2:
      conn.label = "close with a 123+ byte reason";
      payload = close_payload(1000, std::string(124 + below(rng, 3), 'r'));
      break;
    default:
      conn.label = "close with a bad code";
      payload = close_payload(pick<std::uint16_t>(rng, kCodes), chance(rng, 50) ? "x" : "");
      break;
  }
  std::string out = client_frame(rng, 0x8, payload);
  if (chance(rng, 50)) out += client_frame(rng, 0x1, kPing);                    // data after close
  if (chance(rng, 30)) out += client_frame(rng, 0x8, close_payload(1000, ""));  // second close
  conn.steps.push_back(send(out));
  conn.steps.push_back(drain(static_cast<int>(50 + below(rng, 300))));
  conn.steps.push_back(simple(chance(rng, 70) ? StepKind::Close : StepKind::Abort));
  return conn;
}

}  // namespace flake::conform::netfuzz
