// Writing frames (see frame_writer.hpp). Frames go into the connection's SendBuffer (small ones
// copied into batches, large payloads referenced in place) and leave with one sendmsg() per flush;
// what the socket does not take waits for the next writeable callback. libwebsockets only reports
// writeability: it never buffers these bytes itself.
#include "reference/ws/frame_writer.hpp"

#include "reference/defects/seams.hpp"
#include "reference/state/server_state.hpp"

#include <libwebsockets.h>
#include <sys/socket.h>

#include "reference/ws/connection.hpp"
#include "reference/ws/reader.hpp"

namespace flake {

namespace {

// Payload bytes one writeable callback takes from the queue before yielding to the event loop, so
// one busy connection does not starve the others.
constexpr size_t kWriteBudget = 256 * 1024;
// Bytes framed before a flush, so a long queue starts leaving before all of it is framed.
constexpr size_t kFlushBytes = 64 * 1024;
// Small frames are copied into a batch; from this size a payload is sent where it lies.
constexpr size_t kInPlaceMin = 16 * 1024;
// Below this size compression saves too little to pay for itself (RFC 7692 §6 lets a sender leave
// any message uncompressed).
constexpr size_t kCompressMin = 64;
// §2.11: the TCP connection ends within 2 s of our close frame; this leaves margin.
constexpr int kCloseWaitSecs = 1;

constexpr uint8_t kFin = 0x80;
constexpr uint8_t kRsv1 = 0x40;

size_t header_size(size_t payload) {
  return payload < 126 ? 2 : payload <= 0xffff ? 4 : 10;
}

// Writes a frame header for `payload` bytes at `out` (header_size(payload) bytes).
void put_header(uint8_t* out, uint8_t first, size_t payload) {
  out[0] = first;
  if (payload < 126) {
    out[1] = static_cast<uint8_t>(payload);
  } else if (payload <= 0xffff) {
    out[1] = 126;
    out[2] = static_cast<uint8_t>(payload >> 8);
    out[3] = static_cast<uint8_t>(payload);
  } else {
    out[1] = 127;
    for (int i = 0; i < 8; ++i)
      out[2 + i] = static_cast<uint8_t>(uint64_t{payload} >> (56 - 8 * i));
  }
}

// Appends one frame whose payload is `head` then `tail`, copied.
void append_frame(ws::SendBuffer& out, uint8_t first, std::string_view head,
                  std::string_view tail = {}) {
  uint8_t header[10];
  const size_t size = head.size() + tail.size();
  put_header(header, first, size);
  out.append_copy(std::string_view(reinterpret_cast<const char*>(header), header_size(size)));
  out.append_copy(head);
  out.append_copy(tail);
}

// Sends what the buffer holds. 0 when it all left or the rest waits for the writeable callback
// (asked for here), -1 when the connection is broken.
int flush(lws* wsi, Connection& c) {
  switch (c.out.flush(lws_get_socket_fd(wsi))) {
    case ws::SendBuffer::Flush::kDone:
      return 0;
    case ws::SendBuffer::Flush::kBlocked:
      lws_callback_on_writable(wsi);
      return 0;
    case ws::SendBuffer::Flush::kFailed:
      break;
  }
  return -1;
}

// The front frame leaves the queue; a recipient that drops below the high-water mark wakes the
// emit jobs paced on it.
OutFrame take_front(Connection& c) {
  OutFrame frame = std::move(c.tx.front());
  c.tx.pop_front();
  const size_t size = frame.payload_size();
  const size_t high_water = recipient_high_water(*c.server);
  const bool was_backed_up = c.tx_bytes >= high_water;
  c.tx_bytes -= size;
  if (was_backed_up && c.tx_bytes < high_water) wake_job_owners(*c.server);
  return frame;
}

// A large uncompressed frame: its header goes into the padding in front of the payload, and header,
// payload and any shared tail are referenced, not copied. The shared bytes are only touched by this
// single-threaded loop, and the header written is the same for every connection sending them.
void append_in_place(ws::SendBuffer& out, const OutFrame& frame, uint8_t first) {
  const size_t head = frame.bytes->size() - kFramePad;
  const size_t size = frame.payload_size();
  const size_t at = kFramePad - header_size(size);
  auto* start = reinterpret_cast<uint8_t*>(const_cast<char*>(frame.bytes->data())) + at;
  put_header(start, first, size);
  out.append_shared(frame.bytes,
                    std::string_view(*frame.bytes).substr(at, header_size(size) + head));
  if (frame.tail) out.append_shared(frame.tail, *frame.tail);
}

// permessage-deflate compresses the whole message, so a two-piece payload is joined first.
std::string compress(ws::Deflater& deflater, std::string_view head, std::string_view tail) {
  if (tail.empty()) return deflater.compress(head);
  std::string whole;
  whole.reserve(head.size() + tail.size());
  whole.append(head).append(tail);
  return deflater.compress(whole);
}

int write_close(lws* wsi, Connection& c) {
  std::string payload;
  if (c.close_code != kCloseNoStatus) {
    payload.push_back(static_cast<char>(c.close_code >> 8));
    payload.push_back(static_cast<char>(c.close_code & 0xff));
    // A control frame carries at most 125 bytes.
    if (!c.server->has(Defect::kCloseNoReason)) payload += c.close_reason.substr(0, 123);
  }
  if (c.overflowed && seam::close_inside_frame(*c.server)) {
    // A 20-byte text frame, of which 10 bytes go out before the close frame.
    c.out.append_copy(std::string_view("\x81\x14xxxxxxxxxx", 12));
  }
  append_frame(c.out, kFin | 0x8, payload);
  c.close_sent = true;
  lws_set_timeout(wsi, PENDING_TIMEOUT_CLOSE_SEND, kCloseWaitSecs);
  if (flush(wsi, c) < 0) return -1;
  lws_callback_on_writable(wsi);  // runs again once the close frame has left
  return 0;
}

// After our close frame has left: a completed handshake ends the TCP connection now; a failed
// connection (§2.6) sends its FIN at once and discards input until the client's FIN or the
// deadline; otherwise we wait for the client's close frame (ws_reader) or the deadline.
int after_close_sent(lws* wsi, Connection& c) {
  if (!c.out.empty()) return flush(wsi, c);  // the close frame has not left yet
  if (c.peer_closed && !c.failed) return -1;
  if (c.failed && !c.fin_sent) {
    c.fin_sent = true;
    shutdown(lws_get_socket_fd(wsi), SHUT_WR);
  }
  return 0;
}

int write_data(lws* wsi, Connection& c) {
  size_t taken = 0;
  while (!c.tx.empty() && taken < kWriteBudget) {
    const OutFrame frame = take_front(c);
    const std::string_view head = std::string_view(*frame.bytes).substr(kFramePad);
    const std::string_view tail = frame.tail ? std::string_view(*frame.tail) : std::string_view();
    const size_t size = head.size() + tail.size();
    const uint8_t opcode = frame.binary ? 0x2 : 0x1;
    // An empty result means zlib failed (out of memory): the message goes uncompressed then.
    std::string compressed;
    if (c.deflater && size >= kCompressMin) compressed = compress(*c.deflater, head, tail);
    if (!compressed.empty()) {
      append_frame(c.out, kFin | kRsv1 | opcode, compressed);
    } else if (size >= kInPlaceMin) {
      append_in_place(c.out, frame, kFin | opcode);
    } else {
      append_frame(c.out, kFin | opcode, head, tail);
    }
    taken += size + 1;  // an empty frame still counts
    if (c.out.size() >= kFlushBytes) {
      if (flush(wsi, c) < 0) return -1;
      if (!c.out.empty()) return 0;  // the socket is full: the writeable callback continues
    }
  }
  return flush(wsi, c);
}

}  // namespace

bool frame_now(Connection& c, std::string_view payload) {
  // What is framed here is outside tx_bytes; the flush-size cap keeps it within one batch, and
  // anything beyond goes through the queue, whose bound (§8.7) it counts toward.
  if (c.wsi == nullptr || !c.in_rx || !c.tx.empty() || c.close_code != 0 || c.deflater ||
      c.out.size() + payload.size() >= kFlushBytes || payload.size() >= kInPlaceMin)
    return false;
  append_frame(c.out, kFin | 0x1, payload);
  return true;
}

int write_pending(lws* wsi, Connection& c) {
  if (c.close_sent) return after_close_sent(wsi, c);
  // Bytes already framed go first: a frame is never interleaved with another.
  if (!c.out.empty()) {
    if (flush(wsi, c) < 0) return -1;
    if (!c.out.empty()) return 0;  // still full: the writeable callback comes back
  }
  if (c.close_code != 0 && (!c.close_flush_first || c.tx.empty())) return write_close(wsi, c);
  if (c.pong_due) append_frame(c.out, kFin | 0xA, *c.pong_due);
  if (c.ping_due) append_frame(c.out, kFin | 0x9, kPingPayload);
  c.pong_due.reset();
  c.ping_due = false;
  return write_data(wsi, c);
}

}  // namespace flake
