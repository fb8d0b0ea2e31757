// Writing SSE readers' queues to their sockets, heartbeats and shutdown (docs/protocol.md §9.14).
// The heartbeat runs on the unshifted monotonic clock: test.setClock must not disturb it (§11.5).
#include "server_state.hpp"
#include "sse_stream.hpp"

namespace flake {

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
  if (!reader.queue.empty()) lws_callback_on_writable(wsi);
  return 0;
}

int sse_on_timer(lws* wsi, SseReader& reader, bool shutting_down) {
  if (shutting_down) reader.ending = true;  // §8.11: every SSE response ends on shutdown
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
