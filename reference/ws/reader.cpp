// Reading an upgraded socket (see reader.hpp). A framing violation fails the connection (§2.6):
// close 1002, then nothing more is read from it.
#include "reference/ws/reader.hpp"

#include <limits>
#include <string>

#include "reference/codec/utf8.hpp"
#include "reference/defects/seams.hpp"
#include "reference/state/server_state.hpp"
#include "reference/ws/connection.hpp"

namespace flake {

namespace {

// Reassembly buffer capacity kept between messages.
constexpr size_t kKeptMessageBuffer = 16 * 1024;

void fail_connection(Connection& c, std::string_view why) {
  c.failed = true;
  request_close(c, 1002, std::string(why), false);
}

size_t size_limit(const Connection& c) {
  return c.server->limits.max_ws_message_bytes;
}

void too_big(Connection& c) {
  c.rx = std::string();
  request_close(
      c, 1009, "message larger than " + std::to_string(c.server->options.max_message_bytes), false);
}

bool closing(const Connection& c) {
  return c.close_code != 0;
}

// A whole control frame from the client. -1: the closing handshake is complete.
int on_control(Connection& c, uint8_t opcode) {
  const std::string& payload = c.control_rx;
  switch (static_cast<ws::Opcode>(opcode)) {
    case ws::Opcode::kPing:
      if (seam::ping_frame_charged(*c.server))
        (void)seam::bucket_charged(*c.server, c.bucket).try_take(seam::bucket_now(*c.server));
      if (!closing(c)) {
        c.pong_due = payload;  // only the latest ping needs its pong (RFC 6455 §5.5.3)
        want_write(c);
      }
      return 0;
    case ws::Opcode::kPong:
      // §7.6: any payload counts, an empty one too.
      if (c.server->has(Defect::kPongMustEcho) && payload != kPingPayload) return 0;
      if (c.server->has(Defect::kEmptyPongIgnored) && payload.empty()) return 0;
      c.unanswered_pings = 0;
      return 0;
    case ws::Opcode::kClose:
      break;
    default:
      return 0;
  }
  if (c.close_sent) return -1;  // the answer to our close: the TCP connection ends now
  c.peer_closed = true;
  if (payload.size() == 1) {
    fail_connection(c, "close frame with a 1-byte payload");
    return 0;
  }
  int code = kCloseNoStatus;
  if (payload.size() >= 2) {
    code = (static_cast<uint8_t>(payload[0]) << 8) | static_cast<uint8_t>(payload[1]);
    if (!is_valid_received_close_code(code) && !c.server->has(Defect::kCloseCodeUnchecked)) {
      fail_connection(c, "invalid close code " + std::to_string(code));
      return 0;
    }
    if (!is_valid_utf8(std::string_view(payload).substr(2))) {
      request_close(c, 1007, "close reason is not UTF-8", false);
      return 0;
    }
  }
  request_close(c, code, "", false);  // §2.10: echo the client's code, or none
  return 0;
}

void on_data_header(Connection& c, const ws::FrameHeader& header) {
  const ServerState& server = *c.server;
  if (header.opcode != static_cast<uint8_t>(ws::Opcode::kContinuation)) {
    c.rx.clear();
    c.rx_binary = header.opcode == static_cast<uint8_t>(ws::Opcode::kBinary);
    c.rx_compressed = header.rsv1;
  }
  c.rx_frame_start = c.rx.size();
  if (server.has(Defect::kNoFragments) && !header.fin) {
    request_close(c, 1003, "fragmented messages unsupported", false);
    return;
  }
  // §2.9: a header declaring too much is refused before its payload arrives; compressed bytes do
  // not count (§2.9d), the inflated ones do (on_data_payload).
  if ((!c.rx_compressed || server.has(Defect::kCompressedSizeCounted)) &&
      c.rx.size() + header.length > size_limit(c)) {
    too_big(c);
  }
}

void on_data_payload(Connection& c, std::span<const uint8_t> payload) {
  if (!c.rx_compressed) {
    c.rx.append(reinterpret_cast<const char*>(payload.data()), payload.size());
    return;
  }
  switch (c.inflater->feed(payload, c.rx, size_limit(c))) {
    case ws::InflateStatus::kOk:
      return;
    case ws::InflateStatus::kTooBig:
      return too_big(c);
    case ws::InflateStatus::kCorrupt:
      return fail_connection(c, "permessage-deflate data does not inflate");
  }
}

// -1: the socket must close now (test.dropSession).
int on_data_end(Connection& c, const ws::FrameHeader& header) {
  if (!c.rx_binary && c.server->has(Defect::kUtf8PerFragment) &&
      !is_valid_utf8(std::string_view(c.rx).substr(c.rx_frame_start))) {
    request_close(c, 1007, "invalid UTF-8 in a fragment", false);
    return 0;
  }
  if (!header.fin) return 0;
  if (c.rx_compressed) {
    const ws::InflateStatus status = c.inflater->finish(c.rx, size_limit(c));
    if (status == ws::InflateStatus::kTooBig) {
      too_big(c);
      return 0;
    }
    if (status == ws::InflateStatus::kCorrupt) {
      fail_connection(c, "permessage-deflate data does not inflate");
      return 0;
    }
  }
  // Handled in place: nothing handle_message does reads or writes c.rx. A small buffer is kept for
  // the next message; a large one goes, so one big message does not pin its size per connection.
  handle_message(c, c.rx, c.rx_binary);
  if (c.rx.capacity() > kKeptMessageBuffer) {
    c.rx = std::string();
  } else {
    c.rx.clear();
  }
  return c.drop_now ? -1 : 0;  // test.dropSession: hang up without a close frame
}

}  // namespace

bool is_valid_received_close_code(int code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
         (code >= 3000 && code <= 4999);
}

int receive_bytes(Connection& c, std::span<uint8_t> bytes) {
  while (!c.failed) {
    const ws::FrameEvent event = c.reader.next(bytes);
    switch (event.kind) {
      case ws::FrameEvent::Kind::kIncomplete:
        return 0;
      case ws::FrameEvent::Kind::kError:
        if (c.close_sent) return -1;
        fail_connection(c, ws::describe(event.error));
        break;
      case ws::FrameEvent::Kind::kHeader:
        if (event.header.is_control()) {
          c.control_rx.clear();
        } else if (!closing(c)) {
          on_data_header(c, event.header);
        }
        break;
      case ws::FrameEvent::Kind::kPayload:
        if (event.header.is_control()) {
          c.control_rx.append(reinterpret_cast<const char*>(event.payload.data()),
                              event.payload.size());
        } else if (!closing(c)) {
          on_data_payload(c, event.payload);
        }
        break;
      case ws::FrameEvent::Kind::kFrameEnd:
        if (event.header.is_control()) {
          if (on_control(c, event.header.opcode) < 0) return -1;
        } else if (!closing(c)) {
          if (on_data_end(c, event.header) < 0) return -1;
        }
        break;
    }
  }
  // Failed: the rest is discarded, and the close frame goes out (or, with the defect, the TCP
  // connection ends without one).
  return c.server->has(Defect::kViolationNoCloseFrame) ? -1 : 0;
}

}  // namespace flake
