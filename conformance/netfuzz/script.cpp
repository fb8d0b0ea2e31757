// Builders and sizes for network fuzz scripts (script.hpp).
#include "conformance/netfuzz/script.hpp"

namespace flake::conform::netfuzz {

std::uint64_t wire_size(const std::vector<Segment>& segments, std::size_t authority_size,
                        std::size_t token_size) {
  std::uint64_t total = 0;
  for (const Segment& s : segments) {
    switch (s.kind) {
      case SegmentKind::Bytes:
        total += s.bytes.size();
        break;
      case SegmentKind::Repeat:
        total += s.bytes.size() * s.count;
        break;
      case SegmentKind::Authority:
        total += authority_size;
        break;
      case SegmentKind::Token:
        total += token_size;
        break;
    }
  }
  return total;
}

std::uint64_t wire_size(const Burst& burst, std::size_t authority_size, std::size_t token_size) {
  std::uint64_t total = 0;
  for (const ConnScript& c : burst.conns) {
    for (const Step& s : c.steps) total += wire_size(s.segments, authority_size, token_size);
  }
  return total;
}

Segment bytes(std::string_view data) {
  return Segment{SegmentKind::Bytes, std::string(data), 1};
}
Segment repeat(std::string_view pattern, std::uint64_t count) {
  return Segment{SegmentKind::Repeat, std::string(pattern), count};
}
Segment authority() {
  return Segment{SegmentKind::Authority, {}, 1};
}
Segment token() {
  return Segment{SegmentKind::Token, {}, 1};
}

Step send(std::string data) {
  return send(std::vector<Segment>{bytes(data)});
}
Step send(std::vector<Segment> segments) {
  Step s;
  s.kind = StepKind::Send;
  s.segments = std::move(segments);
  return s;
}
Step trickle(std::vector<Segment> segments, int delay_ms) {
  Step s;
  s.kind = StepKind::Trickle;
  s.segments = std::move(segments);
  s.delay_ms = delay_ms;
  return s;
}
Step upgrade(std::string key) {
  Step s;
  s.kind = StepKind::Upgrade;
  s.text = std::move(key);
  return s;
}
Step authenticate(std::string mask_key) {
  Step s;
  s.kind = StepKind::Authenticate;
  s.text = std::move(mask_key);
  return s;
}
Step pause(int ms) {
  Step s;
  s.kind = StepKind::Pause;
  s.delay_ms = ms;
  return s;
}
Step drain(int ms) {
  Step s;
  s.kind = StepKind::Drain;
  s.delay_ms = ms;
  return s;
}
Step simple(StepKind kind) {
  Step s;
  s.kind = kind;
  return s;
}

Step tls_handshake(std::string max_version) {
  Step s;
  s.kind = StepKind::TlsHandshake;
  s.text = std::move(max_version);
  return s;
}
Step tls_send(std::string data) {
  Step s = send(std::move(data));
  s.kind = StepKind::TlsSend;
  return s;
}

std::string_view to_string(StepKind kind) {
  switch (kind) {
    case StepKind::Send:
      return "send";
    case StepKind::Trickle:
      return "trickle";
    case StepKind::Upgrade:
      return "upgrade";
    case StepKind::Authenticate:
      return "authenticate";
    case StepKind::Pause:
      return "pause";
    case StepKind::Drain:
      return "drain";
    case StepKind::ShutdownWrite:
      return "shutdown_write";
    case StepKind::Abort:
      return "abort";
    case StepKind::Close:
      return "close";
    case StepKind::TlsHandshake:
      return "tls_handshake";
    case StepKind::TlsSend:
      return "tls_send";
    case StepKind::TlsCloseNotify:
      return "tls_close_notify";
    case StepKind::TlsRekey:
      return "tls_rekey";
  }
  return "?";
}

}  // namespace flake::conform::netfuzz
