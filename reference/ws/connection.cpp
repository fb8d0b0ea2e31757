// Per-connection message handling and the bounded send queue (docs/protocol.md §2, §8).
#include "reference/ws/connection.hpp"

#include "reference/defects/seams.hpp"

#include <libwebsockets.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "reference/codec/json_parse.hpp"
#include "reference/codec/msgpack.hpp"
#include "reference/codec/utf8.hpp"
#include "reference/rpc/dispatcher.hpp"
#include "reference/rpc/large_export.hpp"
#include "reference/rpc/small_ping.hpp"
#include "reference/state/notifier.hpp"
#include "reference/ws/frame_writer.hpp"

namespace flake {

namespace {

// How many notifications one job step produces before yielding to the event loop.
constexpr uint64_t kNotificationsPerStep = 64;

}  // namespace

SharedText make_frame_bytes(std::string_view payload) {
  std::string bytes;
  bytes.reserve(kFramePad + payload.size());
  bytes.assign(kFramePad, '\0');
  bytes.append(payload);
  return std::make_shared<const std::string>(std::move(bytes));
}

bool enqueue_frame(Connection& c, SharedText bytes, bool binary, SharedText tail) {
  if (c.close_code != 0) return false;  // closing: nothing more goes out
  OutFrame frame{std::move(bytes), binary, std::move(tail)};
  const size_t size = frame.payload_size();
  if (c.tx_bytes + size > seam::send_buffer_bound(*c.server)) {
    c.overflowed = true;
    c.discard_session = seam::overflow_drops_session(*c.server);
    request_close(c, 1008, "send buffer limit exceeded (slow reader)",
                  seam::overflow_flushes_queue(*c.server));
    return false;
  }
  c.tx_bytes += size;
  c.tx.push_back(std::move(frame));
  want_write(c);
  return true;
}

void want_write(Connection& c) {
  if (c.wsi && !c.in_rx) lws_callback_on_writable(c.wsi);
}

void request_close(Connection& c, int code, std::string reason, bool flush_first) {
  if (c.close_code != 0) return;  // the first reason wins
  c.close_code = code;
  c.close_reason = std::move(reason);
  c.close_flush_first = flush_first;
  if (!flush_first) {
    c.tx.clear();
    c.tx_bytes = 0;
    c.jobs.clear();
  }
  want_write(c);
}

namespace {

// Parses a message in either encoding; on failure, `error` is the response to send.
JsonPtr parse_message(const ServerState& server, std::string_view payload, bool binary,
                      JsonPtr& error) {
  const int depth = server.message_limits().max_json_depth;
  if (binary) {
    const MsgpackLeniency leniency{server.has(Defect::kMsgpackTrailingIgnored),
                                   server.has(Defect::kExtAsString),
                                   server.has(Defect::kMsgpackLengthClamped),
                                   server.has(Defect::kMsgpackFloat32Bits),
                                   server.has(Defect::kBinAsHex),
                                   server.has(Defect::kIntegerFormChecked)};
    MsgpackDecodeResult decoded = decode_msgpack(payload, depth, leniency);
    if (decoded.value) {
      if (!server.has(Defect::kFirstDuplicateWins)) keep_last_duplicate_keys(decoded.value.get());
      return std::move(decoded.value);
    }
    const bool invalid_request =
        decoded.error == MsgpackError::kExtType ||
        (decoded.error == MsgpackError::kNonStringKey &&
         !server.has(Defect::kNonStrKeyParseError)) ||
        (decoded.error == MsgpackError::kTruncated && server.has(Defect::kTruncatedInvalidRequest));
    if (invalid_request) {
      error = make_error(nullptr, rpc_error(kInvalidRequest, decoded.message));
    } else {
      error = parse_error_response(server, decoded.message);
    }
    return nullptr;
  }
  if (server.has(Defect::kWhitespaceRefused) && !payload.empty() &&
      (std::string_view(" \t\r\n").find(payload.front()) != std::string_view::npos ||
       std::string_view(" \t\r\n").find(payload.back()) != std::string_view::npos)) {
    error = parse_error_response(server, "whitespace around the JSON value");
    return nullptr;
  }
  ParseResult parsed = parse_json(payload, depth, !server.has(Defect::kFirstDuplicateWins));
  if (!parsed.value) error = parse_error_response(server, parsed.error);
  if (parsed.value && server.has(Defect::kIntegerFormChecked))
    mark_float_forms(payload, parsed.value.get());
  return std::move(parsed.value);
}

// One unmasked text frame written straight to the socket, ahead of anything queued (only the
// drop-session-answered defect writes this way).
void send_frame_now(const Connection& c, const std::string& payload) {
  std::string frame(1, '\x81');
  const uint64_t n = payload.size();
  if (n < 126) {
    frame.push_back(static_cast<char>(n));
  } else if (n < 65536) {
    frame.push_back(126);
    frame.push_back(static_cast<char>(n >> 8));
    frame.push_back(static_cast<char>(n & 0xff));
  } else {
    frame.push_back(127);
    for (int i = 7; i >= 0; --i) frame.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  }
  frame += payload;
  const int fd = lws_get_socket_fd(c.wsi);
  if (fd >= 0) (void)::send(fd, frame.data(), frame.size(), MSG_NOSIGNAL);
}

// A response in the encoding its request came in (§2.4).
std::string encode_response(const cJSON* response, bool binary) {
  return binary ? encode_msgpack(response) : print_json(response);
}

// The same as a queued frame's bytes: JSON is printed straight after the frame padding.
SharedText response_frame(const cJSON* response, bool binary) {
  if (binary) return make_frame_bytes(encode_msgpack(response));
  std::string bytes;
  bytes.reserve(kFramePad + 128);
  bytes.assign(kFramePad, '\0');
  (void)print_json_to(response, bytes);  // on failure nothing is appended, as print_json gives ""
  return std::make_shared<const std::string>(std::move(bytes));
}

// system.ping answered without a tree (rpc/small_ping.hpp): framed straight into the send buffer
// when nothing is queued ahead of it, else queued like any answer. False: the general path runs.
bool answered_small_ping(Connection& c, std::string_view payload) {
  thread_local std::string answer;  // keeps its storage: no allocation per ping
  answer.clear();
  CallContext ctx(*c.server, &c, c.authenticated());
  if (!answer_small_ping(ctx, payload, answer)) return false;
  if (!frame_now(c, answer)) enqueue_frame(c, make_frame_bytes(answer), false);
  return true;
}

}  // namespace

void handle_message(Connection& c, std::string_view payload, bool binary) {
  if (!binary && answered_small_ping(c, payload)) return;
  ServerState& server = *c.server;
  const TransportScope scope(server, binary ? Transport::MsgPack : Transport::Text);
  if (!binary && !server.has(Defect::kNoUtf8Check) && !is_valid_utf8(payload)) {
    request_close(c, 1007, "invalid UTF-8 in a text message", false);
    return;
  }
  if (binary && server.has(Defect::kBinaryRefused)) {
    request_close(c, 1003, "binary messages are not accepted", false);
    return;
  }
  if (!binary && seam::dies_on_huge_number(server, payload)) {
    request_close(c, 1011, "internal error", false);  // as if the handler had died
    return;
  }
  JsonPtr error;
  JsonPtr message = parse_message(server, payload, binary, error);
  if (!message) {
    if (!binary && seam::dies_on_surrogate(server, payload)) {
      request_close(c, 1011, "internal error", false);  // as if the handler had died
      return;
    }
    if (seam::parse_error_charged(server))
      (void)seam::bucket_charged(server, c.bucket).try_take(seam::bucket_now(server));
    if (!binary) error = seam::parse_error_as_sent(server, payload, std::move(error));
    if (server.has(Defect::kBinaryAsText)) binary = false;
    enqueue_frame(c, response_frame(error.get(), binary), binary);
    return;
  }
  CallContext ctx(server, &c, c.authenticated());
  ctx.binary_request = binary;
  JsonPtr response = dispatch_message(ctx, message.get());
  const bool export_binary = ctx.binary_response && !seam::batch_answer_in_request_encoding(
                                                        server, cJSON_IsArray(message.get()));
  binary = (binary || export_binary) && !server.has(Defect::kBinaryAsText);
  if (c.drop_now) {  // test.dropSession: no answer, the socket goes down at once
    if (response && seam::answers_drop_session(server))
      send_frame_now(c, print_json(response.get()));
    return;
  }
  if (ctx.jobs.empty()) {
    if (response) enqueue_frame(c, response_frame(response.get(), binary), binary);
    for (OutFrame& frame : ctx.follow_up)
      enqueue_frame(c, std::move(frame.bytes), frame.binary, std::move(frame.tail));
    if (ctx.close_after_code != 0) request_close(c, ctx.close_after_code, ctx.close_after_reason);
    return;
  }
  for (OutFrame& frame : ctx.follow_up)
    enqueue_frame(c, std::move(frame.bytes), frame.binary, std::move(frame.tail));
  // logs.getLarge answers with its metadata before the chunks (§6.7); emit jobs answer after
  // (§11.2).
  // Defect chunk-before-metadata: the metadata waits until the chunks have gone.
  const bool answer_first =
      std::all_of(ctx.jobs.begin(), ctx.jobs.end(),
                  [](const EmitJob& job) { return job.kind == EmitJob::Kind::kChunks; }) &&
      !server.has(Defect::kChunkBeforeMetadata);
  if (response && answer_first) {
    enqueue_frame(c, response_frame(response.get(), binary), binary);
  } else if (response) {
    ctx.jobs.back().response = encode_response(response.get(), binary);
    ctx.jobs.back().response_binary = binary;
  }
  for (EmitJob& job : ctx.jobs) c.jobs.push_back(std::move(job));
  step_jobs(c);
}

void connection_closed(ServerState& server, Connection* c) {
  // No close frame either way: the peer's TCP went away, or test.dropSession hung up on it. The
  // soak-only leaks follow the peer's going away only, which is what a soak's faults produce.
  const bool abrupt = !c->peer_closed && c->close_code == 0;
  if (abrupt && !c->drop_now)
    seam::after_abrupt_close(server, c->wsi ? lws_get_socket_fd(c->wsi) : -1);
  if (Session* session = c->session) {
    server.attached.erase(session);
    const bool failed_by_us =
        c->close_code == 1002 || c->close_code == 1007 || c->close_code == 1009;
    if (c->discard_session || (abrupt && server.has(Defect::kDropOnAbruptClose)) ||
        (failed_by_us && server.has(Defect::kDropAfterErrorClose))) {
      server.sessions.erase(session->id);
    } else {
      server.sessions.detach(*session, server.now_ms());
    }
  }
  // No session may keep pointing at a closed connection (defect two-sessions-attached leaves a
  // second one).
  std::erase_if(server.attached, [c](const auto& entry) { return entry.second == c; });
  server.connections.erase(c);
}

namespace {

// True when no live connection that would receive this job's notifications is backed up.
bool recipients_ready(const ServerState& server, const EmitJob& job) {
  const StreamKind kind =
      job.kind == EmitJob::Kind::kLogs ? StreamKind::kLogs : StreamKind::kMetrics;
  const size_t high_water = recipient_high_water(server);
  for (const auto& [session, connection] : server.attached) {
    if (connection->tx_bytes < high_water) continue;
    for (const auto& [id, sub] : session->subscriptions) {
      if (sub.kind == kind) return false;
    }
  }
  return true;
}

}  // namespace

size_t recipient_high_water(const ServerState& server) {
  return std::min(kRecipientHighWater, server.options.max_send_buffer_bytes / 2);
}

void wake_job_owners(ServerState& server) {
  for (auto& [raw, connection] : server.connections) {
    if (!connection->jobs.empty() && connection->wsi) lws_callback_on_writable(connection->wsi);
  }
}

bool step_jobs(Connection& c) {
  // One notification's worth at a time, re-checking the recipients before each, so no recipient is
  // pushed more than one notification past the high-water mark.
  bool paced = false;
  for (uint64_t produced = 0; produced < kNotificationsPerStep; ++produced) {
    if (c.jobs.empty() || c.close_code != 0 || c.tx_bytes >= kJobLowWater) break;
    EmitJob& job = c.jobs.front();
    if (job.kind != EmitJob::Kind::kChunks && !recipients_ready(*c.server, job)) {
      paced = true;  // a recipient's drain (wake_job_owners) or the next tick wakes us again
      break;
    }
    const uint64_t n = std::min<uint64_t>(
        job.remaining, job.kind == EmitJob::Kind::kLogs ? job.per_notification : 1);
    if (job.kind == EmitJob::Kind::kLogs) {
      if (c.server->has(Defect::kSlowLogDelivery)) {
        std::this_thread::sleep_for(std::chrono::microseconds(1400 * n));
      }
      // Defect emit-groups-halved: each group of perNotification goes out as two notifications.
      const uint32_t group = c.server->has(Defect::kEmitGroupsHalved)
                                 ? std::max<uint32_t>(1, (job.per_notification + 1) / 2)
                                 : job.per_notification;
      publish_logs(*c.server, job.service,
                   test_entries(*c.server, job.next_n, n, job.message_bytes), group);
    } else if (job.kind == EmitJob::Kind::kMetrics) {
      publish_metrics(*c.server, job.next_n, n, true);
    } else {
      // data.chunk frames belong to the request: no seq, not in the replay ring (§6.9).
      // The payload is cut (or taken) only now, and queued as the frame's shared tail behind a
      // small head: it is never copied into a message string.
      LargeExport& data = *job.export_data;
      const bool binary = data.msgpack;
      size_t index = job.next_n;
      if (c.server->has(Defect::kChunkOrder) && data.chunk_count() > 1 && index < 2)
        index = 1 - index;
      DataChunkPieces pieces =
          data_chunk_pieces(data.stream, index, take_chunk_payload(data, index), binary);
      SharedText head = make_frame_bytes(pieces.head);
      auto tail = std::make_shared<const std::string>(std::move(pieces.tail));
      // Defect chunks-replayed: the chunk goes into the replay ring under a seq of its own.
      if (c.server->has(Defect::kChunksReplayed) && c.session != nullptr) {
        c.session->ring.push(c.session->assign_seq(), head, binary, tail);
      }
      enqueue_frame(c, std::move(head), binary, std::move(tail));
    }
    job.next_n += n;
    job.remaining -= n;
    if (job.remaining == 0) {
      std::string response = std::move(job.response);
      const bool binary = job.response_binary;
      c.jobs.pop_front();
      if (!response.empty()) enqueue_frame(c, make_frame_bytes(response), binary);
    }
  }
  if (!c.jobs.empty() && !paced && c.wsi) lws_callback_on_writable(c.wsi);
  return !c.jobs.empty();
}

}  // namespace flake
