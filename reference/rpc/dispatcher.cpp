// The JSON-RPC dispatcher (see dispatcher.hpp): envelope rules, auth gate, rate limit, batches.
#include "reference/rpc/dispatcher.hpp"

#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <thread>

#include "reference/rpc/methods/methods.hpp"

namespace flake {

namespace {

constexpr size_t kMaxBatch = 100;

// One table drives dispatch and rpc.discover, so the advertised methods cannot drift from the real
// ones.
constexpr std::array kMethods{
    MethodSpec{"auth.authenticate", handle_authenticate, false, true, false,
               "Authenticate this connection with the sidecar's token",
               R"({"token":"string","clientInfo"?:{"version","platform"}})",
               R"({"sessionId","server","capabilities"})"},
    MethodSpec{"system.ping", handle_ping, false, false, false, "Liveness and clock", "none",
               R"({"now":"ms since epoch"})"},
    MethodSpec{"rpc.discover", handle_discover, true, false, false,
               "This document: every method and notification", "none", "OpenRPC-style document"},
    MethodSpec{"session.resume", handle_resume, true, true, false,
               "Take over a dropped session and replay missed notifications",
               R"({"sessionId":"string","lastSeq":"integer >= 0"})",
               R"({"resumed":true,"replayed":n})"},
    MethodSpec{"vercel.getDashboard", handle_dashboard, true, false, false, "Vercel dashboard",
               "none", "dashboard document"},
    MethodSpec{"supabase.getDashboard", handle_dashboard, true, false, false, "Supabase dashboard",
               "none", "dashboard document"},
    MethodSpec{"aws.getDashboard", handle_dashboard, true, false, false, "AWS dashboard", "none",
               "dashboard document"},
    MethodSpec{"vercel.getDeployments", handle_list, true, false, false,
               "Vercel deployments, paginated", R"({"limit"?:"1..100","cursor"?:"string"})",
               R"({"deployments":[],"pagination"})"},
    MethodSpec{"vercel.getProjects", handle_list, true, false, false, "Vercel projects, paginated",
               R"({"limit"?:"1..100","cursor"?:"string"})", R"({"projects":[],"pagination"})"},
    MethodSpec{"supabase.getDatabases", handle_list, true, false, false,
               "Supabase databases, paginated", R"({"limit"?:"1..100","cursor"?:"string"})",
               R"({"databases":[],"pagination"})"},
    MethodSpec{"aws.getInstances", handle_list, true, false, false, "AWS instances, paginated",
               R"({"limit"?:"1..100","cursor"?:"string"})", R"({"instances":[],"pagination"})"},
    MethodSpec{"multi.getDashboard", handle_multi_dashboard, true, false, false,
               "Every service's dashboard", "none", R"({"services":{"name":"dashboard"}})"},
    MethodSpec{"batch.execute", handle_batch_execute, true, false, false,
               "Run up to 100 operations, results in operation order",
               R"({"operations":[{"method","params"?}]})", R"({"results":[{"result"}|{"error"}]})"},
    MethodSpec{"logs.subscribe", handle_subscribe, true, true, false, "Live logs of one service",
               R"({"service":"string","level"?:"debug|info|warn|error"})", R"({"subscription"})"},
    MethodSpec{"metrics.subscribe", handle_subscribe, true, true, false, "Live metrics",
               R"({"service"?:"string"})", R"({"subscription"})"},
    MethodSpec{"deployments.subscribe", handle_subscribe, true, true, false, "Deployment events",
               R"({"service"?:"string"})", R"({"subscription"})"},
    MethodSpec{"logs.unsubscribe", handle_unsubscribe, true, true, false, "End a logs subscription",
               R"({"subscription":"string"})", R"({"ok":true})"},
    MethodSpec{"metrics.unsubscribe", handle_unsubscribe, true, true, false,
               "End a metrics subscription", R"({"subscription":"string"})", R"({"ok":true})"},
    MethodSpec{"deployments.unsubscribe", handle_unsubscribe, true, true, false,
               "End a deployments subscription", R"({"subscription":"string"})", R"({"ok":true})"},
    MethodSpec{
        "logs.getLarge", handle_get_large, true, true, false,
        "Export a service's logs: metadata, then data.chunk notifications",
        R"({"service":"string","timeRange":"e.g. 1h","format"?:"json|msgpack","compress"?:"bool"})",
        R"({"stream","totalEntries","chunks","bytes","sha256","format","compressed"})"},
    MethodSpec{"test.emitLogs", handle_test_emit_logs, true, true, true,
               "Emit count log entries to the service's subscribers, then answer",
               R"({"service":"string","count":"integer","perNotification"?:"integer"})",
               R"({"emitted":n})"},
    MethodSpec{"test.emitMetrics", handle_test_emit_metrics, true, true, true,
               "Emit count metrics.update notifications, then answer", R"({"count":"integer"})",
               R"({"emitted":n})"},
    MethodSpec{"test.dropSession", handle_test_drop_session, true, true, true,
               "Drop this socket without a close frame and without answering (session kept)",
               "none", "no response"},
    MethodSpec{"test.setClock", handle_test_set_clock, true, false, true,
               "Set the sidecar clock's offset", R"({"offsetMs":"integer"})",
               R"({"offsetMs":n,"now":"ms since epoch"})"},
};

bool callable(const MethodSpec& spec, const CallContext& ctx) {
  if (spec.conformance_only && !ctx.server.options.conformance) return false;
  if (spec.socket_only && (ctx.connection == nullptr || ctx.in_batch_execute)) return false;
  return true;
}

// A method name is looked up whole: "foo.getDashboard" is an unknown method, not an unknown service
// (docs/protocol.md §5.2, §12.2).
RpcError method_not_found(const CallContext& ctx, std::string_view method) {
  if (ctx.server.has(Defect::kUnknownPrefixNotFound) && method.ends_with(".getDashboard")) {
    return not_found("service:" + std::string(method.substr(0, method.find('.'))));
  }
  int code = ctx.server.has(Defect::kWrongErrorCode) ? kInvalidRequest : kMethodNotFound;
  RpcError error = rpc_error(code, "method not found: " + std::string(method));
  error.data.reset(cJSON_CreateObject());
  cJSON_AddStringToObject(error.data.get(), "method", std::string(method).c_str());
  return error;
}

Outcome run_request(CallContext& ctx, const Request& request) {
  const MethodSpec* spec = find_method(request.method);
  if (spec != nullptr && !callable(*spec, ctx)) spec = nullptr;
  bool open_method = spec != nullptr && !spec->requires_auth;
  if (spec != nullptr && spec->name == "system.ping" && ctx.server.has(Defect::kPingRequiresAuth))
    open_method = false;
  if (spec != nullptr && spec->conformance_only && ctx.server.has(Defect::kTestMethodsUngated))
    open_method = true;
  if (spec == nullptr && ctx.server.has(Defect::kLookupBeforeAuth)) {
    return method_not_found(ctx, request.method);
  }
  if (!ctx.authenticated && !open_method) {
    if (!ctx.server.has(Defect::kNoAuthRequired)) {
      return rpc_error(kUnauthenticated, "authenticate first (auth.authenticate)");
    }
    // The defect skips the check, not the session every socket method relies on.
    if (Connection* c = ctx.connection; c != nullptr && c->session == nullptr) {
      c->session = &ctx.server.sessions.create();
      ctx.server.attached[c->session] = c;
    }
  }
  if (spec == nullptr) return method_not_found(ctx, request.method);
  if (ctx.server.has(Defect::kSlowWarmUp) && spec->name != "auth.authenticate" &&
      ServerState::mono_ms() - ctx.server.started_mono_ms < 6000) {
    return rpc_error(kInternalError, "warming up");
  }
  if (ctx.server.has(Defect::kSlowRequests)) {
    std::this_thread::sleep_for(std::chrono::microseconds(1500));
  }
  const cJSON* params = request.params;
  if (cJSON_IsArray(params) && spec->params == "none" &&
      ctx.server.has(Defect::kNoParamsRefuseArray)) {
    return invalid_params("params", "params must be an object");
  }
  if (cJSON_IsArray(params) && ctx.server.has(Defect::kArrayParamsAccepted)) params = nullptr;
  if (cJSON_IsObject(params) && spec->handler == handle_list &&
      ctx.server.has(Defect::kNamedParamsIgnored))
    params = nullptr;
  Outcome outcome = spec->handler(ctx, request.method, params);
  if (auto* error = std::get_if<RpcError>(&outcome); error != nullptr &&
                                                     error->code == kInvalidParams &&
                                                     ctx.server.has(Defect::kParamsErrorNoField)) {
    error->data.reset();
  }
  return outcome;
}

bool over_rate_limit(CallContext& ctx, long long& retry_after_ms) {
  if (ctx.connection == nullptr || ctx.server.has(Defect::kNoRateLimit)) return false;
  TokenBucket& bucket = ctx.connection->bucket;
  const int64_t now = ServerState::mono_ms();  // test.setClock must not refill or drain the bucket
  if (bucket.try_take(now)) return false;
  retry_after_ms = bucket.retry_after_ms(now);
  return true;
}

// The id a response carries: the request's, except under the defects id-int32 and null-id-zero.
const cJSON* response_id(const ServerState& server, const cJSON* id, JsonPtr& storage) {
  if (cJSON_IsNumber(id) && server.has(Defect::kIdInt32) && std::fabs(id->valuedouble) < 9.2e18) {
    storage.reset(cJSON_CreateNumber(
        static_cast<int32_t>(static_cast<int64_t>(id->valuedouble))));  // wraps, C++20
    return storage.get();
  }
  if (cJSON_IsNull(id) && server.has(Defect::kNullIdZero)) {
    storage.reset(cJSON_CreateNumber(0));
    return storage.get();
  }
  return id;
}

JsonPtr dispatch_one(CallContext& ctx, const cJSON* item, bool in_batch = false) {
  const ServerState& server = ctx.server;
  const RequestLeniency leniency{
      server.has(Defect::kCaseInsensitiveMembers), server.has(Defect::kParamsUnchecked),
      server.has(Defect::kIdTypeUnchecked), server.has(Defect::kUnknownMembersRefused)};
  auto validated = validate_request(item, !server.has(Defect::kAnyJsonrpcVersion), leniency);
  if (auto* invalid = std::get_if<InvalidRequest>(&validated)) {
    if (in_batch && server.has(Defect::kBatchDropsInvalid)) return nullptr;
    // The defect takes an invalid request object without id for a notification.
    if (server.has(Defect::kInvalidWithoutIdSilent) && cJSON_IsObject(item) &&
        member(item, "id") == nullptr)
      return nullptr;
    return make_error(invalid->id, std::move(invalid->error));
  }
  const Request& request = std::get<Request>(validated);
  Outcome outcome = execute_request(ctx, request);
  if (request.is_notification() && !ctx.server.has(Defect::kAnswerNotifications)) return nullptr;
  JsonPtr id_storage;
  const cJSON* id = response_id(server, request.id, id_storage);
  if (auto* error = std::get_if<RpcError>(&outcome)) return make_error(id, std::move(*error));
  return make_result(id, std::move(std::get<JsonPtr>(outcome)));
}

}  // namespace

std::span<const MethodSpec> method_table() {
  return kMethods;
}

Outcome execute_request(CallContext& ctx, const Request& request) {
  long long retry_after_ms = 0;
  if (over_rate_limit(ctx, retry_after_ms)) return rate_limited(retry_after_ms);
  return run_request(ctx, request);
}

const MethodSpec* find_method(std::string_view name) {
  for (const MethodSpec& spec : kMethods) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

JsonPtr dispatch_message(CallContext& ctx, const cJSON* message) {
  if (!cJSON_IsArray(message) && !cJSON_IsObject(message) &&
      ctx.server.has(Defect::kNonObjectParseError)) {
    return parse_error_response(ctx.server, "not a JSON-RPC message");
  }
  if (!cJSON_IsArray(message)) return dispatch_one(ctx, message);

  const int count = cJSON_GetArraySize(message);
  if (count == 0) {
    if (ctx.server.has(Defect::kEmptyBatchArray)) return JsonPtr(cJSON_CreateArray());
    return make_error(nullptr, rpc_error(kInvalidRequest, "empty batch"));
  }
  const size_t limit = ctx.server.has(Defect::kBatchLimitOffByOne) ? kMaxBatch - 1 : kMaxBatch;
  if (static_cast<size_t>(count) > limit && !ctx.server.has(Defect::kNoBatchLimit)) {
    RpcError error = rpc_error(kInvalidRequest, "batch longer than 100");
    error.data.reset(cJSON_CreateObject());
    cJSON_AddNumberToObject(error.data.get(), "maxBatch", kMaxBatch);
    return make_error(nullptr, std::move(error));
  }
  JsonPtr responses(cJSON_CreateArray());
  const bool authenticated_at_start = ctx.authenticated;
  for (const cJSON* item = message->child; item != nullptr; item = item->next) {
    if (ctx.server.has(Defect::kBatchAuthSnapshot)) ctx.authenticated = authenticated_at_start;
    if (JsonPtr response = dispatch_one(ctx, item, true)) {
      cJSON_AddItemToArray(responses.get(), response.release());
    }
  }
  if (cJSON_GetArraySize(responses.get()) == 0 && !ctx.server.has(Defect::kNotificationBatchArray))
    return nullptr;
  return responses;
}

JsonPtr parse_error_response(const ServerState& server, std::string reason) {
  if (server.has(Defect::kParseErrorId)) {
    JsonPtr zero(cJSON_CreateNumber(0));
    return make_error(zero.get(), rpc_error(kParseError, "parse error: " + reason));
  }
  return make_error(nullptr, rpc_error(kParseError, "parse error: " + reason));
}

}  // namespace flake
