// permessage-deflate (RFC 7692) for the server side of a WebSocket: offer negotiation, and one
// connection's message compressor and decompressor on zlib.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

struct z_stream_s;  // zlib's stream; kept out of this header so includers need not see zlib.h

namespace flake::ws {

struct DeflateParams {
  bool server_no_context_takeover = false;
  bool client_no_context_takeover = false;
  int server_max_window_bits = 15;  // what our compressor uses (9..15)
  int client_max_window_bits = 15;  // what the client compresses with (we inflate with 15 anyway)
};

struct DeflateAgreement {
  DeflateParams params;
  // The Sec-WebSocket-Extensions value for the 101, e.g.
  // "permessage-deflate; server_no_context_takeover".
  std::string response;
};

// Picks the first acceptable permessage-deflate offer in a Sec-WebSocket-Extensions header value
// (several headers may have been joined with ", "), per RFC 7692 §5-§7. nullopt: no acceptable
// offer (then the server answers without the extension). Offers with unknown parameters,
// duplicate parameters, invalid values or broken syntax are not acceptable (skip to the next
// offer). Extension and parameter names compare case-insensitively.
std::optional<DeflateAgreement> negotiate_deflate(std::string_view offers);

enum class InflateStatus { kOk, kTooBig, kCorrupt };

namespace detail {
struct InflateEnd {
  void operator()(z_stream_s* z) const;
};
struct DeflateEnd {
  void operator()(z_stream_s* z) const;
};
}  // namespace detail

// Inflates one connection's compressed messages; keeps the LZ77 window between messages unless
// client_no_context_takeover was agreed. Output goes to a caller-owned string, bounded by `limit`
// total bytes for the current message (counted here, whatever `out` held before): producing more
// than `limit` stops with kTooBig at once, `out` having grown by at most limit + 1 bytes.
// kTooBig and kCorrupt are final: the window is lost, so every later call repeats the status and
// the connection has to be closed (1009 / 1007).
class Inflater {
 public:
  explicit Inflater(const DeflateParams& params);

  // Feeds compressed payload bytes of the current message (any split), appending output to `out`.
  InflateStatus feed(std::span<const uint8_t> in, std::string& out, size_t limit);
  // Ends the current message (appends the 0x00 0x00 0xff 0xff tail per RFC 7692 §7.2.2 and
  // inflates it). kCorrupt too when the message visibly stopped inside a deflate block.
  InflateStatus finish(std::string& out, size_t limit);

 private:
  InflateStatus run(std::span<const uint8_t> in, std::string& out, size_t limit);
  bool ensure_stream();
  bool restart_after_final_block();

  DeflateParams params_;
  std::unique_ptr<z_stream_s, detail::InflateEnd> z_;  // created on first use
  size_t produced_ = 0;                                // output bytes of the current message
  bool final_block_ = false;  // the sender ended the deflate stream (BFINAL, RFC 7692 §7.2.3.3)
  InflateStatus failed_ = InflateStatus::kOk;
};

// Compresses one connection's outgoing messages (RFC 7692 §7.2.1: deflate, Z_SYNC_FLUSH, strip the
// trailing 0x00 0x00 0xff 0xff). Keeps the window between messages unless
// server_no_context_takeover.
class Deflater {
 public:
  explicit Deflater(const DeflateParams& params);

  // The compressed payload for one whole message (the caller sets RSV1 on its first frame). Never
  // empty on success (an empty message is the single byte 0x00); empty only when zlib failed (out
  // of memory), which is final: the peer's window would no longer match ours, so close the
  // connection.
  std::string compress(std::string_view message);

 private:
  bool ensure_stream();

  DeflateParams params_;
  std::unique_ptr<z_stream_s, detail::DeflateEnd> z_;  // created on first use
  bool failed_ = false;
};

}  // namespace flake::ws
