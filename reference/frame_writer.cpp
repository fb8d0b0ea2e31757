// Writing queued frames (see frame_writer.hpp). lws 4.1 allows further writes in one writeable
// callback on a ws-over-h1 connection while lws_send_pipe_choked() says the socket takes more (it
// also reports a partial send that lws buffered, and permessage-deflate still draining).
#include "frame_writer.hpp"

#include <libwebsockets.h>

#include <vector>

#include "connection.hpp"

namespace flake {

namespace {

// Payload bytes one writeable callback may send before yielding to the event loop, so one busy
// connection does not starve the others.
constexpr size_t kWriteBudget = 256 * 1024;
// A raw batch stays within what lws hands the socket in one send: the protocol's rx_buffer_size
// (64 KiB in ws_server.cpp) plus LWS_PRE. Only small frames are copied into a batch: a large frame
// is its own send anyway.
constexpr size_t kCoalesceBytes = 64 * 1024;
constexpr size_t kCoalesceFrameMax = 16 * 1024;

// The front frame leaves the queue; a recipient that drops below the high-water mark wakes the
// emit jobs paced on it.
OutFrame take_front(Connection& c) {
  OutFrame frame = std::move(c.tx.front());
  c.tx.pop_front();
  const size_t size = frame.bytes->size() - LWS_PRE;
  const size_t high_water = recipient_high_water(*c.server);
  const bool was_backed_up = c.tx_bytes >= high_water;
  c.tx_bytes -= size;
  if (was_backed_up && c.tx_bytes < high_water) wake_job_owners(*c.server);
  return frame;
}

// One queued frame through lws_write (which frames it, and compresses it when permessage-deflate
// is active); the payload bytes written, or -1 when the connection failed.
long write_one(lws* wsi, Connection& c) {
  OutFrame frame = take_front(c);
  const size_t size = frame.bytes->size() - LWS_PRE;
  // lws_write needs writable padding in front of the payload; the shared bytes are only ever
  // touched by this single-threaded loop, and lws rewrites the whole header on every send.
  auto* payload =
      reinterpret_cast<unsigned char*>(const_cast<char*>(frame.bytes->data())) + LWS_PRE;
  if (lws_write(wsi, payload, size, frame.binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT) <
      static_cast<int>(size)) {
    return -1;
  }
  return static_cast<long>(size);
}

size_t ws_header_size(size_t payload) {
  return payload < 126 ? 2 : payload <= 0xffff ? 4 : 10;
}

// How many frames at the front of the queue are small enough to go out in one raw write.
size_t frames_to_coalesce(const Connection& c) {
  if (!c.raw_frames || c.peer_closed) return 0;
  size_t count = 0, bytes = 0;
  for (const OutFrame& frame : c.tx) {
    const size_t size = frame.bytes->size() - LWS_PRE;
    if (size > kCoalesceFrameMax || bytes + ws_header_size(size) + size > kCoalesceBytes) break;
    bytes += ws_header_size(size) + size;
    ++count;
  }
  return count;
}

// `count` queued frames, each framed here (RFC 6455 §5.2: FIN, opcode, server frames unmasked), in
// one raw lws_write, so a burst of answers costs one send; the bytes written, or -1.
long write_coalesced(lws* wsi, Connection& c, size_t count) {
  static std::vector<unsigned char> batch;  // reused: only this single-threaded loop writes
  batch.assign(LWS_PRE, 0);
  for (size_t i = 0; i < count; ++i) {
    OutFrame frame = take_front(c);
    const size_t size = frame.bytes->size() - LWS_PRE;
    batch.push_back(static_cast<unsigned char>(0x80 | (frame.binary ? 0x2 : 0x1)));
    if (size < 126) {
      batch.push_back(static_cast<unsigned char>(size));
    } else {  // frames_to_coalesce keeps sizes within 16 bits
      batch.push_back(126);
      batch.push_back(static_cast<unsigned char>(size >> 8));
      batch.push_back(static_cast<unsigned char>(size & 0xff));
    }
    const auto* payload = reinterpret_cast<const unsigned char*>(frame.bytes->data()) + LWS_PRE;
    batch.insert(batch.end(), payload, payload + size);
  }
  const size_t size = batch.size() - LWS_PRE;
  if (lws_write(wsi, batch.data() + LWS_PRE, size, LWS_WRITE_RAW) < static_cast<int>(size)) {
    return -1;
  }
  return static_cast<long>(size);
}

}  // namespace

int write_queued_frames(lws* wsi, Connection& c) {
  size_t written = 0;
  while (!c.tx.empty() &&
         (written == 0 || (written < kWriteBudget && !lws_send_pipe_choked(wsi)))) {
    const size_t batch = frames_to_coalesce(c);
    const long sent = batch >= 2 ? write_coalesced(wsi, c, batch) : write_one(wsi, c);
    if (sent < 0) return -1;
    written += static_cast<size_t>(sent) + 1;  // an empty frame still counts
  }
  return 0;
}

}  // namespace flake
