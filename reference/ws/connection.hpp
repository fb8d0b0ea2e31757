// Per-WebSocket state: message reassembly, the bounded send queue, auth progress and pending work.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "reference/state/rate_limiter.hpp"
#include "reference/state/replay_ring.hpp"
#include "reference/ws/deflate.hpp"
#include "reference/ws/frame_reader.hpp"
#include "reference/ws/send_buffer.hpp"

struct lws;

namespace flake {

struct Session;
struct ServerState;

// Room for a frame header (at most 10 bytes, RFC 6455 §5.2) is reserved in front of every queued
// payload, so frame_writer.cpp can send header and payload with one write and no copy.
inline constexpr size_t kFramePad = 16;
// One WebSocket message. A notification's payload comes in two pieces, the bytes after the padding
// then `tail`, so its tail (the entries) is shared by every recipient instead of copied per queue.
struct OutFrame {
  SharedText bytes;  // kFramePad padding + payload (its first piece when tail is set)
  bool binary = false;
  SharedText tail;  // null: the payload is whole in bytes

  size_t payload_size() const { return bytes->size() - kFramePad + (tail ? tail->size() : 0); }
};

// Work that must happen after some frames are sent, e.g. test.emitLogs streaming with flow control.
struct EmitJob {
  enum class Kind { kLogs, kMetrics, kChunks } kind = Kind::kLogs;
  std::shared_ptr<struct LargeExport>
      export_data;  // kChunks: logs.getLarge's data.chunk stream (payloads taken as sent)
  std::string service;
  uint64_t remaining = 0;
  uint64_t next_n = 0;  // number of the next entry or sample (§11.2, §11.3)
  uint32_t per_notification = 100;
  uint32_t message_bytes = 0;    // test.emitLogs messageBytes: 0 for the plain message
  std::string response;          // sent when the job finishes (may be empty: nothing to send)
  bool response_binary = false;  // the request came as MessagePack, so does its answer
};

struct Connection {
  lws* wsi = nullptr;
  ServerState* server = nullptr;
  Session* session = nullptr;  // set by a successful auth.authenticate
  int failed_auths = 0;
  int64_t opened_at_ms = 0;
  int64_t opened_at_mono_ms = 0;  // steady time, for the defect auth-deadline-ignores-clock
  TokenBucket bucket{0, 1};

  // Our side of RFC 6455 on the raw socket (reader.cpp reads, frame_writer.cpp writes).
  ws::FrameReader reader;
  std::unique_ptr<ws::Inflater> inflater;  // set when permessage-deflate was agreed
  std::unique_ptr<ws::Deflater> deflater;
  std::string rx;  // message being reassembled from fragments (inflated)
  bool rx_binary = false;
  bool rx_compressed = false;
  size_t rx_frame_start = 0;            // where the current frame's bytes begin in rx
  std::string control_rx;               // payload of the control frame being read
  std::optional<std::string> pong_due;  // payload of the latest unanswered client ping

  std::deque<OutFrame> tx;
  size_t tx_bytes = 0;
  ws::SendBuffer out;  // framed bytes the socket has not taken yet (frame_writer.cpp)
  bool in_rx = false;  // inside receive_bytes: what is queued goes out when it returns
  std::deque<EmitJob> jobs;

  int close_code = 0;  // non-zero: close with this code at the next writeable callback
  std::string close_reason;
  bool close_flush_first = true;
  bool close_sent = false;  // our close frame has been written
  bool failed = false;      // a framing violation (§2.6): close 1002, FIN, discard what comes in
  bool fin_sent = false;    // failed: our side of the TCP connection is shut down
  bool drop_now = false;    // test.dropSession: hang up without a close frame and without answering
  bool peer_closed = false;      // the client sent a close frame
  bool discard_session = false;  // defect ping-timeout-drops-session
  bool overflowed = false;       // closed because its send queue exceeded the bound (§8.7)
  bool ping_due = false;
  int unanswered_pings = 0;
  int64_t last_ping_ms = 0;

  bool authenticated() const { return session != nullptr; }
};

// Queue one frame (payload: bytes after the padding, then *tail if any); false (and the connection
// marked for close 1008) when the send buffer bound is passed.
bool enqueue_frame(Connection& c, SharedText bytes, bool binary, SharedText tail = nullptr);
// Asks for a writeable callback, except while the connection's input is being handled: the read
// callback writes what that queued as soon as it returns, one send for the whole read.
void want_write(Connection& c);
// Wrap a payload with the kFramePad padding the frame header is written into.
SharedText make_frame_bytes(std::string_view payload);
// Close with `code` at the next writeable callback; `flush_first` sends what is queued before the
// close.
void request_close(Connection& c, int code, std::string reason, bool flush_first = true);

// One complete WebSocket message from the peer: parse, dispatch, queue the answer (or mark a
// close).
void handle_message(Connection& c, std::string_view payload, bool binary);

// The socket is gone: its session (if any) waits for resume, and the Connection is destroyed.
void connection_closed(ServerState& server, Connection* c);

// Advances queued test.emit* jobs while the send queue is short; true when work remains.
bool step_jobs(Connection& c);

// Below this many queued bytes the emit jobs produce more (flow control for test.emitLogs).
inline constexpr size_t kJobLowWater = 256 * 1024;
// Emission pauses while any recipient has this much queued, so a reader that keeps reading is
// paced, never closed for overflowing its send buffer (§11.2).
inline constexpr size_t kRecipientHighWater = 4 * 1024 * 1024;
size_t recipient_high_water(
    const ServerState& server);  // kRecipientHighWater within the send bound

// Some recipient drained: let every connection with pending emit jobs try again.
void wake_job_owners(ServerState& server);

}  // namespace flake
