// Writing frames (see frame_writer.hpp). lws 4.1 lets a raw socket take further writes in one
// writeable callback while lws_send_pipe_choked() says the socket takes more; a partial send is
// buffered by lws and flushed before the next writeable callback.
#include "reference/ws/frame_writer.hpp"

#include "reference/defects/seams.hpp"
#include "reference/state/server_state.hpp"

#include <libwebsockets.h>
#include <sys/socket.h>

#include <cstring>
#include <vector>

#include "reference/ws/connection.hpp"
#include "reference/ws/reader.hpp"

namespace flake {

namespace {

// Payload bytes one writeable callback may send before yielding to the event loop, so one busy
// connection does not starve the others.
constexpr size_t kWriteBudget = 256 * 1024;
// Small frames are copied into one batch and sent together; a large frame is sent in place.
constexpr size_t kBatchBytes = 64 * 1024;
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

std::vector<uint8_t>& batch(Connection& c) {
  return c.server->write_batch;
}

// Appends one frame whose payload is `head` then `tail`.
void append_frame(std::vector<uint8_t>& out, uint8_t first, std::string_view head,
                  std::string_view tail = {}) {
  const size_t size = head.size() + tail.size();
  const size_t at = out.size();
  out.resize(at + header_size(size));
  put_header(out.data() + at, first, size);
  out.insert(out.end(), head.begin(), head.end());
  out.insert(out.end(), tail.begin(), tail.end());
}

// -1 when lws reports the connection failed. What the socket does not take now, lws keeps and
// sends first when it is writeable again (its return value then counts those bytes, not ours).
int send_bytes(lws* wsi, std::vector<uint8_t>& bytes) {
  const size_t size = bytes.size() - LWS_PRE;
  if (size == 0) return 0;
  const int sent = lws_write(wsi, bytes.data() + LWS_PRE, size, LWS_WRITE_RAW);
  bytes.resize(LWS_PRE);
  return sent < 0 ? -1 : 0;
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

// lws_write takes a mutable pointer, but a raw write only reads the bytes (or copies what the
// socket does not take).
uint8_t* writable(const std::string& bytes, size_t offset) {
  return reinterpret_cast<uint8_t*>(const_cast<char*>(bytes.data())) + offset;
}

// A large uncompressed frame: its header goes into the padding in front of the payload, so header
// and payload leave in one write without a copy; a shared tail follows in a second write (lws
// sends writes in order, buffering what the socket does not take). The shared bytes are only
// touched by this single-threaded loop, and every send rewrites the header.
int send_in_place(lws* wsi, const OutFrame& frame, uint8_t first) {
  const size_t head = frame.bytes->size() - kFramePad;
  const size_t size = frame.payload_size();
  uint8_t* start = writable(*frame.bytes, kFramePad - header_size(size));
  put_header(start, first, size);
  if (lws_write(wsi, start, header_size(size) + head, LWS_WRITE_RAW) < 0) return -1;
  if (!frame.tail || frame.tail->empty()) return 0;
  return lws_write(wsi, writable(*frame.tail, 0), frame.tail->size(), LWS_WRITE_RAW) < 0 ? -1 : 0;
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
  std::vector<uint8_t>& out = batch(c);
  out.assign(LWS_PRE, 0);
  if (c.overflowed && seam::close_inside_frame(*c.server)) {
    out.push_back(kFin | 0x1);
    out.push_back(20);  // a 20-byte text frame, of which 10 bytes go out before the close frame
    out.insert(out.end(), 10, 'x');
  }
  append_frame(out, kFin | 0x8, payload);
  if (send_bytes(wsi, out) < 0) return -1;
  c.close_sent = true;
  lws_set_timeout(wsi, PENDING_TIMEOUT_CLOSE_SEND, kCloseWaitSecs);
  lws_callback_on_writable(wsi);  // runs again once the close frame has left
  return 0;
}

// After our close frame has left: a completed handshake ends the TCP connection now; a failed
// connection (§2.6) sends its FIN at once and discards input until the client's FIN or the
// deadline; otherwise we wait for the client's close frame (ws_reader) or the deadline.
int after_close_sent(lws* wsi, Connection& c) {
  if (c.peer_closed && !c.failed) return -1;
  if (c.failed && !c.fin_sent) {
    c.fin_sent = true;
    shutdown(lws_get_socket_fd(wsi), SHUT_WR);
  }
  return 0;
}

int write_data(lws* wsi, Connection& c) {
  std::vector<uint8_t>& out = batch(c);
  out.assign(LWS_PRE, 0);
  size_t written = 0;
  while (!c.tx.empty() &&
         (written == 0 || (written < kWriteBudget && !lws_send_pipe_choked(wsi)))) {
    const OutFrame frame = take_front(c);
    const std::string_view head = std::string_view(*frame.bytes).substr(kFramePad);
    const std::string_view tail = frame.tail ? std::string_view(*frame.tail) : std::string_view();
    const size_t size = head.size() + tail.size();
    const uint8_t opcode = frame.binary ? 0x2 : 0x1;
    // An empty result means zlib failed (out of memory): the message goes uncompressed then.
    std::string compressed;
    if (c.deflater && size >= kCompressMin) compressed = compress(*c.deflater, head, tail);
    if (!compressed.empty()) {
      append_frame(out, kFin | kRsv1 | opcode, compressed);
    } else if (size >= kInPlaceMin) {
      if (send_bytes(wsi, out) < 0 || send_in_place(wsi, frame, kFin | opcode) < 0) return -1;
    } else {
      append_frame(out, kFin | opcode, head, tail);
    }
    written += size + 1;  // an empty frame still counts
    if (out.size() - LWS_PRE >= kBatchBytes && send_bytes(wsi, out) < 0) return -1;
  }
  return send_bytes(wsi, out);
}

}  // namespace

int write_pending(lws* wsi, Connection& c) {
  if (c.close_sent) return after_close_sent(wsi, c);
  if (c.close_code != 0 && (!c.close_flush_first || c.tx.empty())) return write_close(wsi, c);
  if (c.pong_due || c.ping_due) {
    std::vector<uint8_t>& out = batch(c);
    out.assign(LWS_PRE, 0);
    if (c.pong_due) append_frame(out, kFin | 0xA, *c.pong_due);
    if (c.ping_due) append_frame(out, kFin | 0x9, kPingPayload);
    c.pong_due.reset();
    c.ping_due = false;
    if (send_bytes(wsi, out) < 0) return -1;
  }
  return write_data(wsi, c);
}

}  // namespace flake
