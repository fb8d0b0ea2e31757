// SSE endpoints, their rings and the publish hooks (see sse_stream.hpp). Events are rendered once
// per endpoint and shared by the ring and every reader's queue.
#include "reference/http/sse_stream.hpp"

#include "reference/defects/seams.hpp"

#include "reference/state/http_state.hpp"
#include "reference/state/notifier.hpp"
#include "reference/state/server_state.hpp"
#include "reference/state/stream_generator.hpp"

namespace flake {

namespace {

SharedText padded(std::string_view text) {
  std::string bytes(LWS_PRE, '\0');
  bytes += text;
  return std::make_shared<const std::string>(std::move(bytes));
}

constexpr std::string_view kLogsPrefix = "/api/v1/stream/logs/";
constexpr std::string_view kMetricsPath = "/api/v1/stream/metrics";
constexpr std::string_view kDeploymentsPath = "/api/v1/stream/deployments";

std::optional<uint64_t> parse_event_id(std::string_view text) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  uint64_t value = 0;
  for (char ch : text) {
    if (ch < '0' || ch > '9') return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(ch - '0');
  }
  return value;
}

}  // namespace

SseReader::SseReader(lws* socket, SseEndpoint& source) : wsi(socket), endpoint(&source) {
  endpoint->readers().insert(this);
}

SseReader::~SseReader() {
  endpoint->readers().erase(this);
}

bool SseReader::enqueue(SharedText bytes, size_t bound) {
  if (ending) return false;
  const size_t size = bytes->size() - LWS_PRE;
  if (queued_bytes + size > bound) {
    ending = true;  // §8.7: an SSE response that cannot keep up is ended
    queue.clear();
    queued_bytes = 0;
    lws_callback_on_writable(wsi);
    return false;
  }
  queued_bytes += size;
  queue.push_back(std::move(bytes));
  lws_callback_on_writable(wsi);
  return true;
}

void SseEndpoint::publish(std::string_view service, std::string_view fields, size_t send_bound) {
  // sse-id-gap: every second event skips one id.
  counter_ += id_gap_ && ++published_ % 2 == 0 ? 2 : 1;
  const uint64_t id = counter_;
  const std::string number = std::to_string(id);
  std::string text;
  text.reserve(96 + path_.size() + fields.size());
  text.append("event: ").append(event_).append("\nid: ").append(number);
  text.append("\ndata: {\"subscription\":\"").append(path_).append("\",\"service\":\"");
  text.append(service).append("\",\"seq\":").append(number).append(fields).append("}\n\n");
  SharedText bytes = padded(text);
  ring_.push(id, bytes);
  for (SseReader* reader : readers_) reader->enqueue(bytes, send_bound);
}

SseEndpoint& SseHub::endpoint(const std::string& path, std::string_view event) {
  auto it = endpoints_.find(path);
  if (it == endpoints_.end()) {
    it = endpoints_
             .emplace(path, std::make_unique<SseEndpoint>(path, std::string(event), ring_items_,
                                                          ring_bytes_, defects_.id_gap))
             .first;
  }
  return *it->second;
}

const SseEndpoint* SseHub::find(std::string_view path) const {
  auto it = endpoints_.find(path);
  return it == endpoints_.end() ? nullptr : it->second.get();
}

size_t SseHub::reader_count() const {
  size_t count = 0;
  for (const auto& [path, endpoint] : endpoints_) count += endpoint->readers().size();
  return count;
}

size_t SseHub::pack_rings(bool force) {
  size_t packed = 0;
  for (auto& [path, endpoint] : endpoints_) packed += endpoint->pack_ring(force);
  return packed;
}

void sse_publish_logs(ServerState& server, std::string_view service, const EntryRun& run,
                      uint32_t per_notification) {
  if (run.size() == 0 || per_notification == 0) return;
  // The SSE streams are a notification path of their own: a defect limited to it (NAME@sse) acts
  // here only, and one on every path acts here too.
  const TransportScope scope(server, Transport::Sse);
  SseEndpoint& endpoint = http_state(server).hub.endpoint(
      std::string(kLogsPrefix) + std::string(service), "logs.update");
  std::string fields;
  for (size_t group = 0; group < run.size(); group += per_notification) {
    const size_t end = std::min(run.size(), group + per_notification);
    fields.assign(R"(,"entries":[)");
    for (size_t i = group; i < end; ++i) {  // every level: the stream has no filter (§9.12)
      const uint32_t from = i == 0 ? 0 : run.ends[i - 1];
      if (i != group) fields += ',';
      fields.append(run.text, from, run.ends[i] - from);
    }
    // Defect log-entry-repeated: an event of several entries repeats its last one.
    if (server.has(Defect::kLogEntryRepeated) && end - group > 1) {
      fields += ',';
      fields.append(run.text, run.ends[end - 2], run.ends[end - 1] - run.ends[end - 2]);
    }
    fields += ']';
    endpoint.publish(service, fields, seam::sse_send_bound(server));
  }
}

void sse_publish_metrics(ServerState& server, uint64_t first_n, uint64_t count, bool test_samples) {
  const std::vector<std::string>& services = server.fixtures.services();
  if (services.empty()) return;
  const TransportScope scope(server, Transport::Sse);  // see sse_publish_logs
  SseEndpoint& endpoint =
      http_state(server).hub.endpoint(std::string(kMetricsPath), "metrics.update");
  for (uint64_t n = first_n; n < first_n + count; ++n) {
    const uint64_t slot = server.has(Defect::kMetricsWrongService) ? n + 1 : n;
    const std::string& service = services[slot % services.size()];
    if (server.has(Defect::kSseMetricsOneService) && service != services.front()) continue;
    JsonPtr metrics = make_metrics(service, n, server.epoch_ms());
    if (test_samples) cJSON_AddNumberToObject(metrics.get(), "test.n", static_cast<double>(n));
    endpoint.publish(service, ",\"metrics\":" + print_json(metrics.get()),
                     seam::sse_send_bound(server));
  }
}

void sse_publish_deployment(ServerState& server, std::string_view service,
                            std::string_view fields) {
  http_state(server)
      .hub.endpoint(std::string(kDeploymentsPath), "deployments.update")
      .publish(service, fields, seam::sse_send_bound(server));
}

bool sse_has_readers(ServerState& server, std::string_view path) {
  if (!server.http) return false;
  const SseEndpoint* endpoint = http_state(server).hub.find(path);
  return endpoint != nullptr && !endpoint->readers().empty();
}

size_t sse_pack_rings(ServerState& server, bool force) {
  return server.http ? http_state(server).hub.pack_rings(force) : 0;
}

std::deque<SharedText> sse_opening(const SseEndpoint& endpoint,
                                   const std::optional<std::string>& last_event_id,
                                   const SseDefects& defects) {
  std::deque<SharedText> out;
  if (!defects.no_retry) out.push_back(padded("retry: " + std::to_string(kSseRetryMs) + "\n\n"));
  if (!last_event_id && defects.replay_without_id && endpoint.ring().oldest_seq() > 0) {
    if (auto frames = endpoint.ring().since(endpoint.ring().oldest_seq() - 1)) {
      for (ReplayFrame& frame : *frames) out.push_back(std::move(frame.frame));
    }
  }
  if (!last_event_id) return out;
  const uint64_t current = endpoint.counter();
  const std::optional<uint64_t> last = parse_event_id(*last_event_id);
  if (last && *last <= current) {
    // sse-replay-duplicate: replay from the given id itself.
    const uint64_t from = defects.replay_duplicate && *last > 0 ? *last - 1 : *last;
    if (auto frames = endpoint.ring().since(from)) {
      for (ReplayFrame& frame : *frames) out.push_back(std::move(frame.frame));
      return out;
    }
  }
  if (defects.no_reset) return out;
  const std::string id = std::to_string(current);
  out.push_back(padded("event: reset\nid: " + id + "\ndata: {\"latestId\":" + id + "}\n\n"));
  return out;
}

}  // namespace flake
