// Writing SSE readers' queues to their sockets, heartbeats and shutdown (docs/protocol.md §9.14).
// The heartbeat runs on the unshifted monotonic clock: test.setClock must not disturb it (§11.5).
#include <sys/socket.h>

#include "reference/http/sse_stream.hpp"
#include "reference/state/server_state.hpp"

namespace flake {

namespace {

// lws does not read an SSE response's socket once the request is in, so a client that hangs up is
// only seen when a write fails (up to a heartbeat later) and would hold a connection-cap slot
// (§8.4) meanwhile. A peek finds the orderly shutdown within one timer tick (a client that
// half-closes is taken as gone: SSE clients send nothing after the request).
bool peer_closed(lws* wsi) {
  const lws_sockfd_type fd = lws_get_socket_fd(wsi);
  if (fd < 0) return true;
  char byte = 0;
  return ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

}  // namespace

int sse_on_writeable(lws* wsi, SseReader& reader) {
  if (reader.ending) return -1;
  if (reader.queue.empty()) return 0;
  SharedText bytes = std::move(reader.queue.front());
  reader.queue.pop_front();
  const size_t size = bytes->size() - LWS_PRE;
  reader.queued_bytes -= size;
  // Shared bytes: lws may write into the LWS_PRE padding, only from this single-threaded loop.
  auto* payload = reinterpret_cast<unsigned char*>(const_cast<char*>(bytes->data())) + LWS_PRE;
  if (lws_write(wsi, payload, size, LWS_WRITE_HTTP) != static_cast<int>(size)) return -1;
  if (reader.heartbeat_idle_only) reader.last_heartbeat_mono = ServerState::mono_ms();
  if (!reader.queue.empty()) lws_callback_on_writable(wsi);
  return 0;
}

int sse_on_timer(lws* wsi, SseReader& reader, bool shutting_down) {
  if (shutting_down) reader.ending = true;  // §8.11: every SSE response ends on shutdown
  if (peer_closed(wsi)) return -1;
  const int64_t now = ServerState::mono_ms();
  if (!reader.ending && now - reader.last_heartbeat_mono >= kSseHeartbeatMs) {
    reader.last_heartbeat_mono = now;
    std::string bytes(LWS_PRE, '\0');
    bytes += ": heartbeat\n\n";
    reader.queue.push_back(std::make_shared<const std::string>(std::move(bytes)));
    reader.queued_bytes += 13;
  }
  lws_callback_on_writable(wsi);
  lws_set_timer_usecs(wsi, 500 * LWS_US_PER_MS);
  return 0;
}

}  // namespace flake
