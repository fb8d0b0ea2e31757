// Connection-level families of the network fuzzer: oversized messages, slowloris, half-open peers
// and abrupt ends. Large payloads are Repeat segments so that reproducers stay small.
#include "conformance/netfuzz/generators.hpp"

#include "conformance/client/http_handshake.hpp"
#include "conformance/client/ws_frame.hpp"

#include <algorithm>

namespace flake::conform::netfuzz {
namespace {

constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;
const std::string kPing = R"({"jsonrpc":"2.0","method":"system.ping","id":1})";

std::vector<Segment> upgrade_request(Rng& rng, const GenContext& context) {
  return {bytes("GET " + context.ws_path + " HTTP/1.1\r\nHost: "), authority(),
          bytes("\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " +
                base64_encode(random_bytes(rng, 16)) +
                "\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: flake.v1\r\n\r\n")};
}

// The first `n` bytes of the segments, flattened (placeholders kept whole).
std::vector<Segment> prefix(const std::vector<Segment>& segments, std::size_t n) {
  std::vector<Segment> out;
  for (const Segment& s : segments) {
    if (n == 0) break;
    if (s.kind != SegmentKind::Bytes) {
      out.push_back(s);
      continue;
    }
    out.push_back(bytes(std::string_view(s.bytes).substr(0, n)));
    n -= out.back().bytes.size();
  }
  return out;
}

// A masked frame whose payload is prefix + fill x count + suffix, declaring `declared` bytes
// (the real size when 0). All four mask bytes are equal, so the masked fill is one repeated byte.
std::vector<Segment> big_frame(Rng& rng, std::uint8_t opcode, std::string_view head, char fill,
                               std::uint64_t count, std::string_view tail, bool fin = true,
                               std::uint64_t declared = 0) {
  const auto k = static_cast<std::uint8_t>(rng() & 0xFF);
  FrameSpec spec;
  spec.opcode = opcode;
  spec.fin = fin;
  spec.mask_key = std::array<std::uint8_t, 4>{k, k, k, k};
  spec.declared_length = declared != 0 ? declared : head.size() + count + tail.size();
  auto mask = [k](std::string_view in) {
    std::string out(in);
    for (char& c : out) c = static_cast<char>(c ^ static_cast<char>(k));
    return out;
  };
  return {bytes(encode_frame(spec, {}) + mask(head)), repeat(mask(std::string(1, fill)), count),
          bytes(mask(tail))};
}

void add(std::vector<Segment>& to, std::vector<Segment> more) {
  for (auto& s : more) to.push_back(std::move(s));
}

}  // namespace

ConnScript gen_oversized(Rng& rng, const GenContext& context) {
  const std::uint64_t limit = std::max<std::uint64_t>(context.max_message_bytes, 1024);
  ConnScript conn;
  open_websocket(rng, conn, chance(rng, 80));
  const std::string head = R"({"jsonrpc":"2.0","method":"system.ping","params":{"pad":")";
  const std::string tail = R"("},"id":1})";
  switch (below(rng, 5)) {
    case 0:
      conn.label = "one frame just over the limit";
      conn.steps.push_back(
          send(big_frame(rng, 0x1, head, 'a', limit - head.size() + 1 + below(rng, 4096), tail)));
      break;
    case 1: {
      // A frame declaring far more than the limit, followed by 80 MiB of it on a connection kept
      // open through the health check: a sidecar that buffers without bound shows it in its RSS.
      conn.label = "runaway frame, 80 MiB sent, kept open";
      conn.hold = true;
      const std::uint64_t declared = limit * 64 + below(rng, kMiB);
      conn.steps.push_back(send(big_frame(rng, 0x1, head, 'b', 80 * kMiB, {}, true, declared)));
      break;
    }
    case 2: {
      conn.label = "fragments adding up to more than the limit";
      conn.hold = chance(rng, 50);
      const std::uint64_t piece = std::min<std::uint64_t>(limit / 4 + 1, 4 * kMiB);
      std::vector<Segment> all;
      std::uint64_t total = 0;
      for (bool first = true; total <= limit + piece; first = false) {
        add(all, big_frame(rng, first ? 0x1 : 0x0, first ? head : "", 'c', piece, {}, false));
        total += piece;
      }
      conn.steps.push_back(send(std::move(all)));
      break;
    }
    case 3: {
      conn.label = "MessagePack str32 over the limit";
      const std::uint64_t n = limit + 1 + below(rng, 1024);
      std::string h = "\x81\xa6method\xdb";
      for (int i = 3; i >= 0; --i) h.push_back(static_cast<char>((n >> (8 * i)) & 0xFF));
      conn.steps.push_back(send(big_frame(rng, 0x2, h, 'd', n, {})));
      break;
    }
    default: {
      conn.label = "header declaring over the limit, no payload";
      conn.hold = true;
      FrameSpec spec;
      spec.opcode = chance(rng, 50) ? 0x1 : 0x2;
      spec.declared_length = limit + 1 + below(rng, limit);
      spec.mask_key = std::array<std::uint8_t, 4>{1, 2, 3, 4};
      conn.steps.push_back(send(encode_frame(spec, {})));
      break;
    }
  }
  conn.steps.push_back(drain(static_cast<int>(100 + below(rng, 200))));
  if (!conn.hold) conn.steps.push_back(simple(StepKind::Close));
  return conn;
}

ConnScript gen_slowloris(Rng& rng, const GenContext& context) {
  ConnScript conn;
  const int delay = static_cast<int>(20 + below(rng, 100));
  const std::size_t budget = static_cast<std::size_t>(1500 / delay);  // ~1.5 s of trickling
  switch (below(rng, 4)) {
    case 0:
      conn.label = "upgrade head trickled, never finished";
      conn.hold = true;
      conn.steps.push_back(trickle(prefix(upgrade_request(rng, context), budget), delay));
      break;
    case 1:
      conn.label = "upgrade head trickled to the end";
      conn.steps.push_back(
          trickle(upgrade_request(rng, context), 2 + static_cast<int>(below(rng, 5))));
      conn.steps.push_back(drain(200));
      conn.steps.push_back(send(client_frame(rng, 0x1, kPing)));
      conn.steps.push_back(drain(100));
      conn.steps.push_back(simple(StepKind::Close));
      break;
    case 2:
      conn.label = "HTTP request head trickled";
      conn.hold = true;
      conn.steps.push_back(
          trickle(prefix({bytes("GET /api/v1/health HTTP/1.1\r\nHost: "), authority(),
                          bytes("\r\nX-Slow: " + std::string(200, 's') + "\r\n\r\n")},
                         budget),
                  delay));
      break;
    default:
      conn.label = "frame trickled after the upgrade";
      conn.hold = true;
      open_websocket(rng, conn, chance(rng, 70));
      conn.steps.push_back(
          trickle({bytes(client_frame(rng, 0x1, kPing).substr(0, budget))}, delay));
      break;
  }
  return conn;
}

ConnScript gen_half_open(Rng& rng, const GenContext& context) {
  ConnScript conn;
  conn.hold = true;
  switch (below(rng, 7)) {
    case 0:
      conn.label = "connected, silent";
      break;
    case 1: {
      conn.label = "half an upgrade, then FIN";
      const auto req = upgrade_request(rng, context);
      conn.steps.push_back(send(prefix(req, 10 + below(rng, 40))));
      conn.steps.push_back(simple(StepKind::ShutdownWrite));
      conn.steps.push_back(drain(200));
      break;
    }
    case 2:
      conn.label = "upgraded, then FIN";
      open_websocket(rng, conn, chance(rng, 50));
      conn.steps.push_back(simple(StepKind::ShutdownWrite));
      conn.steps.push_back(drain(200));
      break;
    case 3:
      conn.label = "first fragment only";
      open_websocket(rng, conn, true);
      conn.steps.push_back(send(client_frame(rng, 0x1, kPing.substr(0, 10), false)));
      break;
    case 4:
      conn.label = "partial frame header";
      open_websocket(rng, conn, true);
      conn.steps.push_back(send(client_frame(rng, 0x1, kPing).substr(0, 1 + below(rng, 5))));
      break;
    case 5:
      conn.label = "POST body short of its Content-Length";
      conn.steps.push_back(send({bytes("POST /api/v1/rpc HTTP/1.1\r\nHost: "), authority(),
                                 bytes("\r\nAuthorization: Bearer "), token(),
                                 bytes("\r\nContent-Type: application/json\r\nContent-Length: "
                                       "1000\r\n\r\n{\"jsonrpc\"")}));
      break;
    default:
      conn.label = "subscribed, never reading";
      open_websocket(rng, conn, true);
      conn.steps.push_back(send(client_frame(
          rng, 0x1,
          R"({"jsonrpc":"2.0","method":"logs.subscribe","params":{"service":"vercel"},"id":1})")));
      break;
  }
  return conn;
}

ConnScript gen_abrupt(Rng& rng, const GenContext& context) {
  ConnScript conn;
  const StepKind end = chance(rng, 60) ? StepKind::Abort : StepKind::Close;
  switch (below(rng, 6)) {
    case 0:
      conn.label = "reset in the middle of the upgrade";
      conn.steps.push_back(send(prefix(upgrade_request(rng, context), 5 + below(rng, 60))));
      break;
    case 1: {
      conn.label = "end in the middle of a frame";
      open_websocket(rng, conn, chance(rng, 70));
      const std::string f = client_frame(rng, 0x1, std::string(1000 + below(rng, 100000), ' '));
      conn.steps.push_back(send(f.substr(0, below(rng, f.size()))));
      break;
    }
    case 2:
      conn.label = "end with answers pending";
      open_websocket(rng, conn, true);
      for (int i = 0; i < 8; ++i) {
        conn.steps.push_back(send(
            client_frame(rng, 0x1,
                         R"({"jsonrpc":"2.0","method":")" +
                             std::string(chance(rng, 50) ? "multi.getDashboard" : "rpc.discover") +
                             R"(","id":)" + std::to_string(i) + "}")));
      }
      break;
    case 3:
      conn.label = "end during a large export";
      open_websocket(rng, conn, true);
      conn.steps.push_back(send(client_frame(
          rng, 0x1,
          R"({"jsonrpc":"2.0","method":"logs.getLarge","params":{"service":"vercel","timeRange":"1h"},"id":1})")));
      conn.steps.push_back(pause(static_cast<int>(below(rng, 100))));
      break;
    case 4:
      conn.label = "end between fragments";
      open_websocket(rng, conn, true);
      conn.steps.push_back(send(client_frame(rng, 0x1, kPing.substr(0, 20), false)));
      break;
    default:
      conn.label = "end during a POST body";
      conn.steps.push_back(send({bytes("POST /api/v1/rpc HTTP/1.1\r\nHost: "), authority(),
                                 bytes("\r\nAuthorization: Bearer "), token(),
                                 bytes("\r\nContent-Type: application/json\r\nContent-Length: "
                                       "5000\r\n\r\n" +
                                       kPing)}));
      break;
  }
  conn.steps.push_back(simple(end));
  return conn;
}

}  // namespace flake::conform::netfuzz
