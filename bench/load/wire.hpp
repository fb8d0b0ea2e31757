// The load generator's own hot-path framing: masked client frames written straight into a send
// buffer, server frames parsed in place from a receive buffer, and the id of a JSON-RPC message
// found by a scan instead of a parse. Faster than the conformance client by design; strict
// validation is flake-conform's job, not this one's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace flake::bench {

// Appends one FIN client frame (opcode 1 text, 2 binary) masked with a fixed key. A fixed key is
// legal (RFC 6455 §5.3 asks clients for unpredictable keys to protect proxies; loopback has none)
// and saves a random draw per message.
void append_client_frame(std::string& out, std::uint8_t opcode, std::string_view payload);

// Appends an unmasked server frame (the floor server's answers).
void append_server_frame(std::string& out, std::uint8_t opcode, std::string_view payload);

struct WireFrame {
  std::uint8_t opcode = 0;
  bool fin = true;
  std::string_view payload;  // points into the buffer given to next_frame (unmasked already)
  std::size_t size = 0;      // header + payload bytes consumed
};

// Parses the frame at the start of `bytes`, unmasking a masked payload in place. nullopt when the
// frame is not complete yet. `error` is set for a frame this client cannot use (64-bit length
// over 1 GiB).
std::optional<WireFrame> next_frame(char* bytes, std::size_t size, bool& error);

// The integer after the first `"id":` of a JSON text, or -1. Enough for the answers of our own
// requests, whose ids are non-negative integers.
std::int64_t scan_id(std::string_view json);

// Counts non-overlapping occurrences of `needle`.
std::size_t count_of(std::string_view haystack, std::string_view needle);

}  // namespace flake::bench
