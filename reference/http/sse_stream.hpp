// SSE stream endpoints (docs/protocol.md §9.12-§9.14): one event counter and replay ring per
// endpoint, shared by all its readers, fed from the notifier's publish functions.
#pragma once

#include <libwebsockets.h>

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "reference/http/exchange.hpp"
#include "reference/state/replay_ring.hpp"

namespace flake {

struct ServerState;
struct EntryRun;
class SseEndpoint;

// One open SSE response. Owned by its HTTP connection; registered with its endpoint while alive.
struct SseReader {
  SseReader(lws* socket, SseEndpoint& source);
  ~SseReader();
  SseReader(const SseReader&) = delete;
  SseReader& operator=(const SseReader&) = delete;

  // Queues bytes (LWS_PRE padding in front); false, and the reader marked to end, when the
  // send bound would be passed (§8.7).
  bool enqueue(SharedText bytes, size_t bound);

  lws* wsi;
  SseEndpoint* endpoint;
  std::deque<SharedText> queue;
  size_t queued_bytes = 0;
  int64_t last_heartbeat_mono = 0;
  bool heartbeat_idle_only = false;  // sse-heartbeat-idle-only (§9.14): writes push it back
  bool ending = false;
};

// Defect switches of the SSE rules (defects/defects.hpp), off unless the self-test asks for them.
struct SseDefects {
  bool no_retry = false;           // sse-no-retry (§9.12)
  bool id_gap = false;             // sse-id-gap (§9.13)
  bool replay_duplicate = false;   // sse-replay-duplicate (§9.13)
  bool no_reset = false;           // sse-no-reset (§9.13)
  bool replay_without_id = false;  // sse-replay-without-id (§9.13)
};

class SseEndpoint {
 public:
  SseEndpoint(std::string path, std::string event, size_t ring_items, size_t ring_bytes,
              bool id_gap = false)
      : path_(std::move(path)),
        event_(std::move(event)),
        ring_(ring_items, ring_bytes),
        id_gap_(id_gap) {}

  // Assigns the next id, renders the event, keeps it in the ring and queues it for every reader.
  // `fields` is appended inside the params after "seq" and starts with a comma.
  void publish(std::string_view service, std::string_view fields, size_t send_bound);

  const std::string& path() const { return path_; }
  uint64_t counter() const { return counter_; }
  const ReplayRing& ring() const { return ring_; }
  size_t pack_ring(bool force) { return ring_.pack_idle(force); }
  std::set<SseReader*>& readers() { return readers_; }
  const std::set<SseReader*>& readers() const { return readers_; }

 private:
  std::string path_;
  std::string event_;
  uint64_t counter_ = 0;
  ReplayRing ring_;
  std::set<SseReader*> readers_;
  bool id_gap_;
  uint64_t published_ = 0;
};

class SseHub {
 public:
  SseHub(size_t ring_items, size_t ring_bytes, SseDefects defects = {})
      : ring_items_(ring_items), ring_bytes_(ring_bytes), defects_(defects) {}
  // The endpoint at `path` ("/api/v1/stream/..."), created on first use.
  SseEndpoint& endpoint(const std::string& path, std::string_view event);
  const SseEndpoint* find(std::string_view path) const;
  size_t reader_count() const;
  // Compresses what the endpoints' rings hold for replay only (ReplayRing::pack_idle); returns
  // the bytes compressed.
  size_t pack_rings(bool force);
  const SseDefects& defects() const { return defects_; }

 private:
  size_t ring_items_;
  size_t ring_bytes_;
  SseDefects defects_;
  std::map<std::string, std::unique_ptr<SseEndpoint>, std::less<>> endpoints_;
};

// Hooks for state/notifier.cpp, one per publish function.
void sse_publish_logs(ServerState& server, std::string_view service, const EntryRun& run,
                      uint32_t per_notification);
void sse_publish_metrics(ServerState& server, uint64_t first_n, uint64_t count, bool test_samples);
void sse_publish_deployment(ServerState& server, std::string_view service, std::string_view fields);

// Whether any SSE reader waits for live `kind` events ("logs"/"metrics"/"deployments"), so the
// live generator can run for SSE-only clients.
bool sse_has_readers(ServerState& server, std::string_view path);
// Compresses what the endpoints' rings hold for replay only (ReplayRing::pack_idle); returns the
// bytes compressed.
size_t sse_pack_rings(ServerState& server, bool force);

// The first bytes of a new stream: "retry:", then the replay for `last_event_id` (§9.13) or a
// reset event; nothing more without an id.
std::deque<SharedText> sse_opening(const SseEndpoint& endpoint,
                                   const std::optional<std::string>& last_event_id,
                                   const SseDefects& defects = {});

// lws side of a reader: drain its queue, heartbeats and shutdown. Return values go straight back
// to lws.
int sse_on_writeable(lws* wsi, SseReader& reader);
int sse_on_timer(lws* wsi, SseReader& reader, bool shutting_down);

inline constexpr int64_t kSseRetryMs = 3000;
inline constexpr int64_t kSseHeartbeatMs = 10'000;

}  // namespace flake
