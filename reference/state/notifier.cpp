// Notification fan-out (see notifier.hpp). Frames are written by hand: cJSON would cost several
// allocations per log entry, and these are the hottest bytes the sidecar produces.
#include "reference/state/notifier.hpp"

#include <libwebsockets.h>

#include <map>
#include <set>
#include <tuple>
#include <utility>
#include <vector>

#include "reference/codec/json_parse.hpp"
#include "reference/codec/msgpack.hpp"
#include "reference/defects/seams.hpp"
#include "reference/http/sse_stream.hpp"
#include "reference/ws/connection.hpp"

namespace flake {

namespace {

bool wants_service(const Subscription& sub, std::string_view service) {
  return sub.service.empty() || sub.service == service;
}

}  // namespace

SharedText notification_tail(std::string fields) {
  fields += "}}";
  return std::make_shared<const std::string>(std::move(fields));
}

void deliver(ServerState& server, Session& session, const Subscription& subscription,
             std::string_view method, std::string_view service, const SharedText& tail) {
  // A notification travels the path its subscribe request came on (§2.4): a defect limited to
  // one path (NAME@PATH) acts on that path's subscriptions only.
  const TransportScope scope(server, subscription.binary ? Transport::MsgPack : Transport::Text);
  uint64_t seq = session.assign_seq();
  if (server.has(Defect::kSeqGap) && seq % 10 == 0) seq = session.assign_seq();
  std::string head(kFramePad, '\0');
  head.reserve(kFramePad + 96 + method.size() + subscription.id.size() + service.size());
  head += R"({"jsonrpc":"2.0","method":")";
  head += method;
  head += R"(","params":{"subscription":")";
  head += subscription.id;
  head += R"(","service":")";
  head += service;
  head += R"(","seq":)";
  head += std::to_string(seq);
  SharedText shared_tail = tail;
  if (subscription.binary) {
    // Rare enough (MessagePack subscribers) that re-encoding the JSON we just wrote is fine.
    std::string json = head.substr(kFramePad);
    json += *tail;
    ParseResult parsed = parse_json(json);
    head.resize(kFramePad);
    if (parsed.value) head += encode_msgpack(parsed.value.get());
    shared_tail = nullptr;
  }
  auto bytes = std::make_shared<const std::string>(std::move(head));
  if (!(server.has(Defect::kRingDetachedOnly) && session.attached)) {
    session.ring.push(seq, bytes, subscription.binary, shared_tail);
  }
  if (auto it = server.attached.find(&session); it != server.attached.end()) {
    enqueue_frame(*it->second, std::move(bytes), subscription.binary, std::move(shared_tail));
  }
}

void EntryRun::add(int level, std::string_view json) {
  text.append(json);
  ends.push_back(static_cast<uint32_t>(text.size()));
  levels.push_back(static_cast<uint8_t>(level));
}

EntryRun live_entries(ServerState& server, std::string_view service, uint64_t count) {
  EntryRun run;
  const int64_t now = server.epoch_ms();
  std::string json;
  for (uint64_t i = 0; i < count; ++i) {
    LogEntry entry = server.log_generator.next(service, now);
    json.clear();
    LogGenerator::append_json(json, entry);
    run.add(entry.level, json);
  }
  return run;
}

EntryRun test_entries(const ServerState& server, uint64_t first_n, uint64_t count,
                      uint32_t message_bytes) {
  static constexpr std::string_view kLevels[] = {"debug", "info", "warn", "error"};
  EntryRun run;
  run.text.reserve(count * 96);
  const int64_t now = server.epoch_ms();
  // Defect entries-ts-descending: each entry of a run is stamped 1 ms before the previous one.
  const bool descending = server.has(Defect::kEntriesTsDescending);
  // Defect entries-without-source: emitted entries carry no source.
  const bool sourceless = server.has(Defect::kEntriesWithoutSource);
  const std::string ts = std::to_string(now);
  std::string json;
  for (uint64_t n = first_n; n < first_n + count; ++n) {
    const std::string number = std::to_string(n);
    const std::string stamp =
        descending ? std::to_string(now - static_cast<int64_t>(n - first_n)) : ts;
    json.assign(R"({"ts":)").append(stamp).append(R"(,"level":")").append(kLevels[n % 4]);
    json.append(R"(","message":"test entry )").append(number);
    const size_t message = std::string_view("test entry ").size() + number.size();
    if (message_bytes > message) json.append(message_bytes - message, 'x');
    json.append(sourceless ? R"(","n":)" : R"(","source":"test.emitLogs","n":)")
        .append(number)
        .append("}");
    run.add(static_cast<int>(n % 4), json);
  }
  return run;
}

void publish_logs(ServerState& server, std::string_view service, const EntryRun& run,
                  uint32_t per_notification) {
  if (run.size() == 0 || per_notification == 0) return;
  sse_publish_logs(server, service, run, per_notification);
  const int64_t now = server.epoch_ms();
  for (size_t i = 0; i < run.size(); ++i) {
    const uint32_t begin = i == 0 ? 0 : run.ends[i - 1];
    server.log_history.add(service, now,
                           std::string_view(run.text).substr(begin, run.ends[i] - begin));
  }
  // One tail per group, level filter and path, made for the first subscriber that needs it; null
  // when the filter leaves the group empty. (MessagePack subscribers re-encode head and tail
  // anyway; keying by path keeps a defect limited to one path off the other's tails.)
  std::map<std::tuple<size_t, int, bool>, SharedText> tails;
  auto tail_for = [&](size_t group, int min_level, bool binary) -> const SharedText& {
    auto [it, fresh] = tails.try_emplace({group, min_level, binary});
    if (!fresh) return it->second;
    const TransportScope scope(server, binary ? Transport::MsgPack : Transport::Text);
    const size_t end = std::min(run.size(), group + per_notification);
    const uint32_t group_begin = group == 0 ? 0 : run.ends[group - 1];
    std::string fields = R"(,"entries":[)";
    fields.reserve(16 + run.ends[end - 1] - group_begin + (end - group));  // entries and commas
    bool any = false;
    for (size_t i = group; i < end; ++i) {
      if (run.levels[i] < min_level) continue;
      const uint32_t begin = i == 0 ? 0 : run.ends[i - 1];
      if (any) fields += ',';
      fields.append(run.text, begin, run.ends[i] - begin);
      any = true;
    }
    // Defect log-entry-repeated: a notification of several entries repeats its last one.
    if (server.has(Defect::kLogEntryRepeated) && end - group > 1 &&
        run.levels[end - 1] >= min_level) {
      fields += ',';
      fields.append(run.text, run.ends[end - 2], run.ends[end - 1] - run.ends[end - 2]);
    }
    if (any) {
      fields += ']';
      it->second = notification_tail(std::move(fields));
    }
    return it->second;
  };
  server.sessions.for_each([&](Session& session) {
    for (auto& [id, sub] : session.subscriptions) {
      if (sub.kind != StreamKind::kLogs || sub.service != service) continue;
      for (size_t group = 0; group < run.size(); group += per_notification) {
        const SharedText& tail = tail_for(group, sub.min_level, sub.binary);
        if (tail) deliver(server, session, sub, "logs.update", service, tail);
      }
    }
  });
}

namespace {

// One metrics sample to the subscribers on one socket path (MessagePack or text): a defect limited
// to one path (NAME@PATH) labels the sample differently on that path only.
void publish_sample(ServerState& server, uint64_t n, bool binary, bool test_sample) {
  const std::vector<std::string>& services = server.fixtures.services();
  const TransportScope scope(server, binary ? Transport::MsgPack : Transport::Text);
  const uint64_t slot = server.has(Defect::kMetricsWrongService) ? n + 1 : n;
  const std::string& service = services[slot % services.size()];
  SharedText tail;
  server.sessions.for_each([&](Session& session) {
    for (auto& [id, sub] : session.subscriptions) {
      if (sub.kind != StreamKind::kMetrics || sub.binary != binary || !wants_service(sub, service))
        continue;
      if (!tail) {
        JsonPtr metrics = make_metrics(service, n, server.epoch_ms());
        if (test_sample) cJSON_AddNumberToObject(metrics.get(), "test.n", static_cast<double>(n));
        seam::alter_metrics(server, metrics.get());
        tail = notification_tail(",\"metrics\":" + print_json(metrics.get()));
      }
      deliver(server, session, sub, "metrics.update", service, tail);
    }
  });
}

}  // namespace

void publish_metrics(ServerState& server, uint64_t first_n, uint64_t count, bool test_samples) {
  sse_publish_metrics(server, first_n, count, test_samples);
  if (server.fixtures.services().empty()) return;
  for (uint64_t n = first_n; n < first_n + count; ++n) {
    publish_sample(server, n, false, test_samples);
    publish_sample(server, n, true, test_samples);
  }
}

void publish_deployment(ServerState& server) {
  const uint64_t n = ++server.deployments_counter;
  JsonPtr event = make_deployment_event(n, server.epoch_ms());
  std::string deployment = print_json(event.get());
  if (server.has(Defect::kDeploymentAsString)) {  // the object's text, as a JSON string
    JsonPtr text(cJSON_CreateString(deployment.c_str()));
    deployment = print_json(text.get());
  }
  const std::string fields = ",\"deployment\":" + deployment;
  sse_publish_deployment(server, "vercel", fields);
  const SharedText tail = notification_tail(fields);
  server.sessions.for_each([&](Session& session) {
    for (auto& [id, sub] : session.subscriptions) {
      if (sub.kind != StreamKind::kDeployments || !wants_service(sub, "vercel")) continue;
      deliver(server, session, sub, "deployments.update", "vercel", tail);
    }
  });
}

// Compressing this much of the rings frees enough to give back to the system at once (§10 P5).
constexpr size_t kTrimAfterPackedBytes = 1 << 20;

void live_tick(ServerState& server, int64_t elapsed_ms) {
  std::set<std::string> subscribed;
  bool any_metrics = false;
  bool any_deployments = false;
  server.sessions.for_each([&](Session& session) {
    for (auto& [id, sub] : session.subscriptions) {
      if (sub.kind == StreamKind::kLogs) subscribed.insert(sub.service);
      any_metrics |= sub.kind == StreamKind::kMetrics;
      any_deployments |= sub.kind == StreamKind::kDeployments;
    }
  });
  // SSE-only clients (a browser's EventSource) get live traffic too.
  for (const std::string& service : server.fixtures.services()) {
    if (sse_has_readers(server, "/api/v1/stream/logs/" + service)) subscribed.insert(service);
  }
  any_metrics |= sse_has_readers(server, "/api/v1/stream/metrics");
  any_deployments |= sse_has_readers(server, "/api/v1/stream/deployments");
  server.log_credit += server.options.log_rate * static_cast<double>(elapsed_ms) / 1000.0;
  const auto whole = static_cast<uint64_t>(server.log_credit);
  server.log_credit -= static_cast<double>(whole);
  for (const std::string& service : subscribed) {
    publish_logs(server, service, live_entries(server, service, whole), 100);
  }

  server.live_elapsed_ms += elapsed_ms;
  const bool new_second =
      server.live_elapsed_ms / 1000 != (server.live_elapsed_ms - elapsed_ms) / 1000;
  if (any_metrics && new_second) publish_metrics(server, server.metrics_counter++, 1, false);
  // Rings are kept for resume and the history for exports, while both are rarely read: what the
  // rings alone hold and the history's full blocks go compressed, as
  // soon as their stream pauses, and once a second while it goes on (so that a burst's frames are
  // mostly evicted before they would be compressed for nothing).
  size_t packed = sse_pack_rings(server, new_second) + server.log_history.pack_idle(new_second);
  server.sessions.for_each([&](Session& session) { packed += session.ring.pack_idle(new_second); });
  if (packed >= kTrimAfterPackedBytes) server.trim_due = true;
  if (any_deployments &&
      server.live_elapsed_ms / 5000 != (server.live_elapsed_ms - elapsed_ms) / 5000) {
    publish_deployment(server);
  }
}

}  // namespace flake
