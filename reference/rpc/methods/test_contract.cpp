// The --conformance test contract (docs/protocol.md §11): deterministic traffic, drops and clock
// shifts that let a harness test throughput, loss and expiry the same way against every
// implementation.
#include <cmath>

#include "reference/rpc/methods/methods.hpp"
#include "reference/state/notifier.hpp"

namespace flake {

namespace {

constexpr double kMaxEmit = 1'000'000;
constexpr double kMaxPerNotification = 1'000;
constexpr double kMaxMessageBytes = 4'194'304;
constexpr double kMaxClockOffsetMs = 31'536'000'000;  // one year

bool as_count(const cJSON* item, double max, uint64_t& out) {
  if (!cJSON_IsNumber(item)) return false;
  const double v = item->valuedouble;
  if (v < 0 || v > max || std::floor(v) != v) return false;
  out = static_cast<uint64_t>(v);
  return true;
}

}  // namespace

Outcome handle_test_emit_logs(CallContext& ctx, std::string_view, const cJSON* params) {
  if (!cJSON_IsObject(params)) return params_not_object();
  auto service = string_member(params, "service");
  if (!service) return invalid_params("service", "service must be a string");
  uint64_t count = 0;
  if (!as_count(member(params, "count"), kMaxEmit, count)) {
    return invalid_params("count", "count must be an integer 0..1000000");
  }
  uint64_t per_notification = 100;
  if (const cJSON* item = member(params, "perNotification");
      item && (!as_count(item, kMaxPerNotification, per_notification) || per_notification == 0)) {
    return invalid_params("perNotification", "perNotification must be an integer 1..1000");
  }
  uint64_t message_bytes = 0;
  if (const cJSON* item = member(params, "messageBytes");
      item && (!as_count(item, kMaxMessageBytes, message_bytes) || message_bytes == 0)) {
    return invalid_params("messageBytes", "messageBytes must be an integer 1..4194304");
  }
  if (!ctx.server.fixtures.has_service(*service))
    return not_found("service:" + std::string(*service));
  EmitJob job;
  job.message_bytes = static_cast<uint32_t>(message_bytes);
  job.kind = EmitJob::Kind::kLogs;
  job.service = *service;
  job.remaining = count;
  job.per_notification = static_cast<uint32_t>(per_notification);
  ctx.jobs.push_back(std::move(job));
  JsonPtr result(cJSON_CreateObject());
  cJSON_AddNumberToObject(result.get(), "emitted", static_cast<double>(count));
  return result;
}

Outcome handle_test_emit_metrics(CallContext& ctx, std::string_view, const cJSON* params) {
  if (!cJSON_IsObject(params)) return params_not_object();
  uint64_t count = 0;
  if (!as_count(member(params, "count"), kMaxEmit, count)) {
    return invalid_params("count", "count must be an integer 0..1000000");
  }
  EmitJob job;
  job.kind = EmitJob::Kind::kMetrics;
  job.remaining = count;
  ctx.jobs.push_back(std::move(job));
  JsonPtr result(cJSON_CreateObject());
  cJSON_AddNumberToObject(result.get(), "emitted", static_cast<double>(count));
  return result;
}

Outcome handle_test_drop_session(CallContext& ctx, std::string_view, const cJSON* params) {
  if (!params_empty(params))
    return invalid_params("params", "test.dropSession takes no positional parameters");
  ctx.connection->drop_now = true;  // the caller sends nothing back (§11.4)
  return JsonPtr(cJSON_CreateNull());
}

Outcome handle_test_set_clock(CallContext& ctx, std::string_view, const cJSON* params) {
  if (!cJSON_IsObject(params)) return params_not_object();
  const cJSON* offset = member(params, "offsetMs");
  if (!cJSON_IsNumber(offset) || std::floor(offset->valuedouble) != offset->valuedouble ||
      std::fabs(offset->valuedouble) > kMaxClockOffsetMs) {
    return invalid_params("offsetMs", "offsetMs must be an integer within one year");
  }
  const auto offset_ms = static_cast<int64_t>(offset->valuedouble);
  // Defect clock-offset-adds: the new offset is added to the one in effect.
  ctx.server.clock_offset_ms =
      ctx.server.has(Defect::kClockOffsetAdds) ? ctx.server.clock_offset_ms + offset_ms : offset_ms;
  JsonPtr result(cJSON_CreateObject());
  cJSON_AddNumberToObject(result.get(), "offsetMs",
                          static_cast<double>(ctx.server.clock_offset_ms));
  cJSON_AddNumberToObject(result.get(), "now", static_cast<double>(ctx.server.epoch_ms()));
  return result;
}

Outcome handle_test_emit_deployment(CallContext& ctx, std::string_view, const cJSON* params) {
  if (params != nullptr && !cJSON_IsObject(params)) return params_not_object();
  publish_deployment(ctx.server);  // queued on the caller's connection before this answer (§11.8)
  JsonPtr result(cJSON_CreateObject());
  cJSON_AddNumberToObject(result.get(), "emitted", 1);
  return result;
}

}  // namespace flake
