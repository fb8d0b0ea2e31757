// Notification fan-out (see notifier.hpp). Frames are written by hand: cJSON would cost several
// allocations per log entry, and these are the hottest bytes the sidecar produces.
#include "notifier.hpp"

#include <libwebsockets.h>

#include <set>
#include <vector>

#include "connection.hpp"

namespace flake {

namespace {

bool wants_service(const Subscription& sub, std::string_view service) {
  return sub.service.empty() || sub.service == service;
}

}  // namespace

void deliver(ServerState& server, Session& session, std::string_view method,
             std::string_view subscription, std::string_view service, std::string_view fields) {
  uint64_t seq = session.assign_seq();
  if (server.has(Defect::kSeqGap) && seq % 10 == 0) seq = session.assign_seq();
  std::string frame(LWS_PRE, '\0');
  frame.reserve(LWS_PRE + 96 + method.size() + subscription.size() + service.size() + fields.size());
  frame += R"({"jsonrpc":"2.0","method":")";
  frame += method;
  frame += R"(","params":{"subscription":")";
  frame += subscription;
  frame += R"(","service":")";
  frame += service;
  frame += R"(","seq":)";
  frame += std::to_string(seq);
  frame += fields;
  frame += "}}";
  auto bytes = std::make_shared<const std::string>(std::move(frame));
  session.ring.push(seq, bytes);
  if (auto it = server.attached.find(&session); it != server.attached.end()) {
    enqueue_frame(*it->second, std::move(bytes), false);
  }
}

void publish_logs(ServerState& server, std::string_view service, uint64_t count,
                  uint32_t per_notification) {
  if (count == 0 || per_notification == 0) return;
  const int64_t now = server.epoch_ms();
  std::vector<LogEntry> entries;
  entries.reserve(count);
  for (uint64_t i = 0; i < count; ++i) entries.push_back(server.log_generator.next(service, now));

  std::string fields;
  server.sessions.for_each([&](Session& session) {
    for (auto& [id, sub] : session.subscriptions) {
      if (sub.kind != StreamKind::kLogs || sub.service != service) continue;
      size_t in_batch = 0;
      fields.assign(R"(,"entries":[)");
      auto flush = [&] {
        fields += ']';
        deliver(server, session, "logs.update", id, service, fields);
        fields.assign(R"(,"entries":[)");
        in_batch = 0;
      };
      for (const LogEntry& entry : entries) {
        if (entry.level < sub.min_level) continue;
        if (in_batch > 0) fields += ',';
        LogGenerator::append_json(fields, entry);
        if (++in_batch == per_notification) flush();
      }
      if (in_batch > 0) flush();
    }
  });
}

void publish_metrics(ServerState& server, uint64_t count) {
  const std::vector<std::string>& services = server.fixtures.services();
  if (services.empty()) return;
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t n = ++server.metrics_counter;
    const std::string& rotating = services[n % services.size()];
    server.sessions.for_each([&](Session& session) {
      for (auto& [id, sub] : session.subscriptions) {
        if (sub.kind != StreamKind::kMetrics) continue;
        const std::string& service = sub.service.empty() ? rotating : sub.service;
        JsonPtr metrics = make_metrics(service, n, server.epoch_ms());
        deliver(server, session, "metrics.update", id, service, ",\"metrics\":" + print_json(metrics.get()));
      }
    });
  }
}

void publish_deployment(ServerState& server) {
  const uint64_t n = ++server.deployments_counter;
  JsonPtr event = make_deployment_event(n, server.epoch_ms());
  const std::string fields = ",\"deployment\":" + print_json(event.get());
  server.sessions.for_each([&](Session& session) {
    for (auto& [id, sub] : session.subscriptions) {
      if (sub.kind != StreamKind::kDeployments || !wants_service(sub, "vercel")) continue;
      deliver(server, session, "deployments.update", id, "vercel", fields);
    }
  });
}

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
  server.log_credit += server.options.log_rate * static_cast<double>(elapsed_ms) / 1000.0;
  const auto whole = static_cast<uint64_t>(server.log_credit);
  server.log_credit -= static_cast<double>(whole);
  for (const std::string& service : subscribed) publish_logs(server, service, whole, 100);

  server.live_elapsed_ms += elapsed_ms;
  if (any_metrics && server.live_elapsed_ms / 1000 != (server.live_elapsed_ms - elapsed_ms) / 1000) {
    publish_metrics(server, 1);
  }
  if (any_deployments &&
      server.live_elapsed_ms / 5000 != (server.live_elapsed_ms - elapsed_ms) / 5000) {
    publish_deployment(server);
  }
}

}  // namespace flake
