// permessage-deflate (RFC 7692) for the client: negotiation answer parsing and per-message
// compression with raw DEFLATE, context takeover honoured in both directions.
#pragma once

#include <zlib.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace flake::conform {

struct DeflateParams {
  bool server_no_context_takeover = false;
  bool client_no_context_takeover = false;
  int server_max_window_bits = 15;
  int client_max_window_bits = 15;
};

// Parses the server's Sec-WebSocket-Extensions answer. nullopt with `error` empty: the server
// did not accept the extension; with `error` set: the answer is invalid (RFC 7692 section 7.1).
std::optional<DeflateParams> parse_deflate_answer(std::string_view header, std::string& error);

// Deleters that end a zlib stream; the z_stream's memory itself is owned separately.
struct DeflateEnd {
  void operator()(z_stream* z) const { deflateEnd(z); }
};
struct InflateEnd {
  void operator()(z_stream* z) const { inflateEnd(z); }
};

class MessageDeflater {
 public:
  MessageDeflater(int window_bits, bool no_context_takeover);
  // Compressed message payload without the trailing 00 00 ff ff (RFC 7692 section 7.2.1).
  std::string compress(std::string_view message);

 private:
  void init();
  int window_bits_;
  bool no_context_takeover_;
  std::unique_ptr<z_stream> storage_ = std::make_unique<z_stream>();
  std::unique_ptr<z_stream, DeflateEnd> stream_;  // declared after storage_: ended before freed
};

class MessageInflater {
 public:
  MessageInflater(int window_bits, bool no_context_takeover);
  // False (with `error`) on corrupt data or when the output would exceed `max_bytes`.
  bool decompress(std::string_view payload, std::size_t max_bytes, std::string& out,
                  std::string& error);

 private:
  void init();
  int window_bits_;
  bool no_context_takeover_;
  std::unique_ptr<z_stream> storage_ = std::make_unique<z_stream>();
  std::unique_ptr<z_stream, InflateEnd> stream_;  // declared after storage_: ended before freed
};

}  // namespace flake::conform
