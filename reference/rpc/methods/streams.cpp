// logs/metrics/deployments subscribe and unsubscribe (docs/protocol.md §5, §6).
#include "reference/defects/seams.hpp"
#include "reference/rpc/methods/methods.hpp"
#include "reference/state/notifier.hpp"

namespace flake {

namespace {

StreamKind kind_of(std::string_view method) {
  if (method.starts_with("logs.")) return StreamKind::kLogs;
  if (method.starts_with("metrics.")) return StreamKind::kMetrics;
  return StreamKind::kDeployments;
}

}  // namespace

Outcome handle_subscribe(CallContext& ctx, std::string_view method, const cJSON* params) {
  const StreamKind kind = kind_of(method);
  const bool service_required = kind == StreamKind::kLogs;
  // Absent params are fine where nothing is required; otherwise only named params (§3.6).
  if (!(params == nullptr && !service_required) && !cJSON_IsObject(params))
    return params_not_object();

  std::string service;
  if (const cJSON* item = member(params, "service")) {
    if (!cJSON_IsString(item)) return invalid_params("service", "service must be a string");
    service = item->valuestring;
  } else if (service_required) {
    return invalid_params("service", "service is required");
  }
  if (seam::service_checked_first(ctx.server) && !service.empty() &&
      !ctx.server.fixtures.has_service(service)) {
    return not_found("service:" + service);
  }
  int min_level = 0;
  if (const cJSON* item = member(params, "level"); item && kind == StreamKind::kLogs) {
    auto level = cJSON_IsString(item) ? parse_level(item->valuestring) : std::nullopt;
    if (!level) return invalid_params("level", "level must be debug, info, warn or error");
    min_level = *level;
  }
  if (ctx.server.has(Defect::kLevelIgnored)) min_level = 0;
  // Parameter errors come before resource errors (§3.7).
  if (!service.empty() && !ctx.server.fixtures.has_service(service)) {
    return not_found(ctx.server.has(Defect::kBareServiceResource) ? service : "service:" + service);
  }
  Session& session = *ctx.connection->session;
  if (ctx.server.has(Defect::kSubscribeReusesId)) {
    for (const auto& [existing, sub] : session.subscriptions) {
      if (sub.kind != kind || sub.service != service || sub.min_level != min_level) continue;
      JsonPtr result(cJSON_CreateObject());
      cJSON_AddStringToObject(result.get(), "subscription", existing.c_str());
      return result;
    }
  }
  if (!seam::subscription_service_kept(ctx.server, kind == StreamKind::kMetrics)) service.clear();
  const std::string id = session.add_subscription(kind, service, min_level);
  session.subscriptions.at(id).binary =
      ctx.binary_request && !ctx.server.has(Defect::kNotificationsJsonOnly);
  // Defect subscribe-backfill: a new logs subscription gets one entry before its answer.
  if (ctx.server.has(Defect::kSubscribeBackfill) && kind == StreamKind::kLogs) {
    const EntryRun run = live_entries(ctx.server, service, 1);
    deliver(ctx.server, session, session.subscriptions.at(id), "logs.update", service,
            notification_tail(",\"entries\":[" + run.text + "]"));
  }
  JsonPtr result(cJSON_CreateObject());
  cJSON_AddStringToObject(result.get(), "subscription", id.c_str());
  return result;
}

Outcome handle_unsubscribe(CallContext& ctx, std::string_view method, const cJSON* params) {
  if (!cJSON_IsObject(params)) return params_not_object();
  auto id = string_member(params, "subscription");
  if (!id) return invalid_params("subscription", "subscription must be a string");
  Session& session = *ctx.connection->session;
  auto it = session.subscriptions.find(std::string(*id));
  if ((it == session.subscriptions.end() || it->second.kind != kind_of(method)) &&
      !ctx.server.has(Defect::kUnsubscribeUnknownOk)) {
    return not_found("subscription:" + std::string(*id));
  }
  if (!ctx.server.has(Defect::kUnsubscribeStillSends)) session.remove_subscription(*id);
  JsonPtr result(cJSON_CreateObject());
  cJSON_AddBoolToObject(result.get(), "ok", true);
  return result;
}

}  // namespace flake
