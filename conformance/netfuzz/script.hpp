// The network fuzzer's unit of work: a burst of scripted connections holding the exact bytes to
// send, with placeholders only for what differs between runs (the target's Host value and token).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace flake::conform::netfuzz {

enum class SegmentKind {
  Bytes,      // `bytes` as they are
  Repeat,     // `bytes` repeated `count` times (large bodies stay small in a reproducer)
  Authority,  // the target's host:port, as a Host header carries it
  Token,      // the target's secret token (unmasked contexts only: HTTP headers)
};

struct Segment {
  SegmentKind kind = SegmentKind::Bytes;
  std::string bytes;
  std::uint64_t count = 1;
};

enum class StepKind {
  Send,           // the segments, in one write
  Trickle,        // the segments one byte at a time, delay_ms apart (slowloris)
  Upgrade,        // a valid WebSocket upgrade, Sec-WebSocket-Key = text; reads the answer head
  Authenticate,   // masked auth.authenticate with the target's token (mask key = text, 4 bytes)
  Pause,          // sleep delay_ms
  Drain,          // read and discard for delay_ms, or until EOF
  ShutdownWrite,  // half-close: FIN, reading stays open
  Abort,          // RST
  Close,          // FIN and release
  // On a plain connection to a TLS target (ConnScript::plain), a TLS session of the script's own
  // beside the raw bytes that Send writes (gen_tls.cpp):
  TlsHandshake,    // a complete handshake with the target's trust; text "1.2" caps the version
  TlsSend,         // the segments through that session
  TlsCloseNotify,  // close_notify; the TCP connection stays open for what follows
  TlsRekey,        // TLS 1.3: KeyUpdate (update requested); TLS 1.2: a renegotiation attempt
};

struct Step {
  StepKind kind = StepKind::Send;
  std::vector<Segment> segments;
  std::string text;
  int delay_ms = 0;
};

struct ConnScript {
  std::string label;
  std::vector<Step> steps;
  bool hold = false;  // stays open until the health check after the burst is done
  // Plain TCP even when the run is over TLS: the bytes of Send are the raw TLS records.
  bool plain = false;
};

struct Burst {
  std::uint64_t index = 0;
  std::string family;
  std::vector<ConnScript> conns;
};

// Bytes the segments stand for (Repeat counted in full).
std::uint64_t wire_size(const std::vector<Segment>& segments, std::size_t authority_size,
                        std::size_t token_size);
std::uint64_t wire_size(const Burst& burst, std::size_t authority_size, std::size_t token_size);

// Small builders the generators use.
Segment bytes(std::string_view data);
Segment repeat(std::string_view pattern, std::uint64_t count);
Segment authority();
Segment token();
Step send(std::string data);
Step send(std::vector<Segment> segments);
Step trickle(std::vector<Segment> segments, int delay_ms);
Step upgrade(std::string key);
Step authenticate(std::string mask_key);
Step pause(int ms);
Step drain(int ms);
Step simple(StepKind kind);
Step tls_handshake(std::string max_version);
Step tls_send(std::string data);

std::string_view to_string(StepKind kind);

}  // namespace flake::conform::netfuzz
