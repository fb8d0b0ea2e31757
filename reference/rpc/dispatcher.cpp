// The JSON-RPC dispatcher (see dispatcher.hpp): envelope rules, auth gate, rate limit, batches.
#include "reference/rpc/dispatcher.hpp"

#include <array>
#include <cstdint>

#include "reference/defects/seams.hpp"
#include "reference/rpc/methods/methods.hpp"

namespace flake {

namespace {

// One table drives dispatch and rpc.discover, so the advertised methods cannot drift from the real
// ones.
constexpr std::array kMethods{
    MethodSpec{.name = "auth.authenticate",
               .handler = handle_authenticate,
               .requires_auth = false,
               .socket_only = true,
               .conformance_only = false,
               .summary = "Authenticate this connection with the sidecar's token",
               .params = R"({"token":"string","clientInfo"?:{"version","platform"}})",
               .result = R"({"sessionId","server","capabilities"})",
               .descriptors = "token!:string clientInfo:object"},
    MethodSpec{.name = "system.ping",
               .handler = handle_ping,
               .requires_auth = false,
               .socket_only = false,
               .conformance_only = false,
               .summary = "Liveness and clock",
               .params = "none",
               .result = R"({"now":"ms since epoch"})"},
    MethodSpec{.name = "rpc.discover",
               .handler = handle_discover,
               .requires_auth = true,
               .socket_only = false,
               .conformance_only = false,
               .summary = "This document: every method and notification",
               .params = "none",
               .result = "OpenRPC-style document"},
    MethodSpec{.name = "session.resume",
               .handler = handle_resume,
               .requires_auth = true,
               .socket_only = true,
               .conformance_only = false,
               .summary = "Take over a dropped session and replay missed notifications",
               .params = R"({"sessionId":"string","lastSeq":"integer >= 0"})",
               .result = R"({"resumed":true,"replayed":n})",
               .descriptors = "sessionId!:string lastSeq!:integer"},
    MethodSpec{.name = "vercel.getDashboard",
               .handler = handle_dashboard,
               .requires_auth = true,
               .socket_only = false,
               .conformance_only = false,
               .summary = "Vercel dashboard",
               .params = "none",
               .result = "dashboard document"},
    MethodSpec{.name = "supabase.getDashboard",
               .handler = handle_dashboard,
               .requires_auth = true,
               .socket_only = false,
               .conformance_only = false,
               .summary = "Supabase dashboard",
               .params = "none",
               .result = "dashboard document"},
    MethodSpec{.name = "aws.getDashboard",
               .handler = handle_dashboard,
               .requires_auth = true,
               .socket_only = false,
               .conformance_only = false,
               .summary = "AWS dashboard",
               .params = "none",
               .result = "dashboard document"},
    MethodSpec{.name = "vercel.getDeployments",
               .handler = handle_list,
               .requires_auth = true,
               .socket_only = false,
               .conformance_only = false,
               .summary = "Vercel deployments, paginated",
               .params = R"({"limit"?:"1..100","cursor"?:"string"})",
               .result = R"({"deployments":[],"pagination"})",
               .descriptors = "limit:integer cursor:string"},
    MethodSpec{.name = "vercel.getProjects",
               .handler = handle_list,
               .requires_auth = true,
               .socket_only = false,
               .conformance_only = false,
               .summary = "Vercel projects, paginated",
               .params = R"({"limit"?:"1..100","cursor"?:"string"})",
               .result = R"({"projects":[],"pagination"})",
               .descriptors = "limit:integer cursor:string"},
    MethodSpec{.name = "supabase.getDatabases",
               .handler = handle_list,
               .requires_auth = true,
               .socket_only = false,
               .conformance_only = false,
               .summary = "Supabase databases, paginated",
               .params = R"({"limit"?:"1..100","cursor"?:"string"})",
               .result = R"({"databases":[],"pagination"})",
               .descriptors = "limit:integer cursor:string"},
    MethodSpec{.name = "aws.getInstances",
               .handler = handle_list,
               .requires_auth = true,
               .socket_only = false,
               .conformance_only = false,
               .summary = "AWS instances, paginated",
               .params = R"({"limit"?:"1..100","cursor"?:"string"})",
               .result = R"({"instances":[],"pagination"})",
               .descriptors = "limit:integer cursor:string"},
    MethodSpec{.name = "multi.getDashboard",
               .handler = handle_multi_dashboard,
               .requires_auth = true,
               .socket_only = false,
               .conformance_only = false,
               .summary = "Every service's dashboard",
               .params = "none",
               .result = R"({"services":{"name":"dashboard"}})"},
    MethodSpec{.name = "batch.execute",
               .handler = handle_batch_execute,
               .requires_auth = true,
               .socket_only = false,
               .conformance_only = false,
               .summary = "Run up to 100 operations, results in operation order",
               .params = R"({"operations":[{"method","params"?}]})",
               .result = R"({"results":[{"result"}|{"error"}]})",
               .descriptors = "operations!:array"},
    MethodSpec{.name = "logs.subscribe",
               .handler = handle_subscribe,
               .requires_auth = true,
               .socket_only = true,
               .conformance_only = false,
               .summary = "Live logs of one service",
               .params = R"({"service":"string","level"?:"debug|info|warn|error"})",
               .result = R"({"subscription"})",
               .descriptors = "service!:string level:string"},
    MethodSpec{.name = "metrics.subscribe",
               .handler = handle_subscribe,
               .requires_auth = true,
               .socket_only = true,
               .conformance_only = false,
               .summary = "Live metrics",
               .params = R"({"service"?:"string"})",
               .result = R"({"subscription"})",
               .descriptors = "service:string"},
    MethodSpec{.name = "deployments.subscribe",
               .handler = handle_subscribe,
               .requires_auth = true,
               .socket_only = true,
               .conformance_only = false,
               .summary = "Deployment events",
               .params = R"({"service"?:"string"})",
               .result = R"({"subscription"})",
               .descriptors = "service:string"},
    MethodSpec{.name = "logs.unsubscribe",
               .handler = handle_unsubscribe,
               .requires_auth = true,
               .socket_only = true,
               .conformance_only = false,
               .summary = "End a logs subscription",
               .params = R"({"subscription":"string"})",
               .result = R"({"ok":true})",
               .descriptors = "subscription!:string"},
    MethodSpec{.name = "metrics.unsubscribe",
               .handler = handle_unsubscribe,
               .requires_auth = true,
               .socket_only = true,
               .conformance_only = false,
               .summary = "End a metrics subscription",
               .params = R"({"subscription":"string"})",
               .result = R"({"ok":true})",
               .descriptors = "subscription!:string"},
    MethodSpec{.name = "deployments.unsubscribe",
               .handler = handle_unsubscribe,
               .requires_auth = true,
               .socket_only = true,
               .conformance_only = false,
               .summary = "End a deployments subscription",
               .params = R"({"subscription":"string"})",
               .result = R"({"ok":true})",
               .descriptors = "subscription!:string"},
    MethodSpec{
        .name = "logs.getLarge",
        .handler = handle_get_large,
        .requires_auth = true,
        .socket_only = true,
        .conformance_only = false,
        .summary = "Export a service's logs: metadata, then data.chunk notifications",
        .params =
            R"({"service":"string","timeRange":"e.g. 1h","format"?:"json|msgpack","compress"?:"bool"})",
        .result = R"({"stream","totalEntries","chunks","bytes","sha256","format","compressed"})",
        .descriptors = "service!:string timeRange!:string format:string compress:boolean"},
    MethodSpec{
        .name = "test.emitLogs",
        .handler = handle_test_emit_logs,
        .requires_auth = true,
        .socket_only = true,
        .conformance_only = true,
        .summary = "Emit count log entries to the service's subscribers, then answer",
        .params =
            R"({"service":"string","count":"integer","perNotification"?:"integer","messageBytes"?:"integer"})",
        .result = R"({"emitted":n})",
        .descriptors =
            "service!:string count!:integer perNotification:integer messageBytes:integer"},
    MethodSpec{.name = "test.emitMetrics",
               .handler = handle_test_emit_metrics,
               .requires_auth = true,
               .socket_only = true,
               .conformance_only = true,
               .summary = "Emit count metrics.update notifications, then answer",
               .params = R"({"count":"integer"})",
               .result = R"({"emitted":n})",
               .descriptors = "count!:integer"},
    MethodSpec{
        .name = "test.dropSession",
        .handler = handle_test_drop_session,
        .requires_auth = true,
        .socket_only = true,
        .conformance_only = true,
        .summary = "Drop this socket without a close frame and without answering (session kept)",
        .params = "none",
        .result = "no response"},
    MethodSpec{.name = "test.setClock",
               .handler = handle_test_set_clock,
               .requires_auth = true,
               .socket_only = false,
               .conformance_only = true,
               .summary = "Set the sidecar clock's offset",
               .params = R"({"offsetMs":"integer"})",
               .result = R"({"offsetMs":n,"now":"ms since epoch"})",
               .descriptors = "offsetMs!:integer"},
    MethodSpec{.name = "test.emitDeployment",
               .handler = handle_test_emit_deployment,
               .requires_auth = true,
               .socket_only = false,
               .conformance_only = true,
               .summary = "Send one deployments.update to the deployments subscribers, then answer",
               .params = "none",
               .result = R"({"emitted":1})"},
};

bool callable(const MethodSpec& spec, const CallContext& ctx) {
  if (spec.conformance_only && !seam::test_methods_on(ctx.server)) return false;
  if (spec.socket_only && (ctx.connection == nullptr || ctx.in_batch_execute)) return false;
  return true;
}

// A method name is looked up whole: "foo.getDashboard" is an unknown method, not an unknown service
// (docs/protocol.md §5.2, §12.2).
RpcError method_not_found(const CallContext& ctx, std::string_view method) {
  if (auto error = seam::unknown_method_error(ctx.server, method)) return std::move(*error);
  RpcError error = rpc_error(kMethodNotFound, "method not found: " + std::string(method));
  if (seam::unknown_method_data_dropped(ctx.server)) return error;
  error.data.reset(cJSON_CreateObject());
  cJSON_AddStringToObject(error.data.get(), "method", std::string(method).c_str());
  return error;
}

// Lookup, the auth gate (§4.5), then the method with its params (§3.6).
Outcome run_method(CallContext& ctx, const Request& request) {
  const MethodSpec* spec = find_method(request.method);
  if (spec != nullptr && !callable(*spec, ctx)) {
    if (spec->socket_only && ctx.connection == nullptr && !ctx.in_batch_execute) {
      if (auto refused = seam::socket_only_over_http(ctx.server)) return std::move(*refused);
    }
    spec = nullptr;
  }
  const bool open_method =
      spec != nullptr &&
      seam::open_before_auth(ctx.server, spec->name, spec->requires_auth, spec->conformance_only);
  if (spec == nullptr && seam::unknown_methods_before_auth(ctx.server)) {
    return method_not_found(ctx, request.method);
  }
  if (!ctx.authenticated && !open_method) {
    if (!seam::auth_gate_skipped(ctx.server)) {
      return rpc_error(kUnauthenticated, "authenticate first (auth.authenticate)");
    }
    // The defect skips the check, not the session every socket method relies on.
    if (Connection* c = ctx.connection; c != nullptr && c->session == nullptr) {
      c->session = &ctx.server.sessions.create();
      ctx.server.attached[c->session] = c;
    }
  }
  if (spec == nullptr) return method_not_found(ctx, request.method);
  if (auto refused = seam::slow_down(ctx.server, spec->name)) return std::move(*refused);
  const bool takes_none = spec->params == "none";
  if (seam::refuses_array_params(ctx.server, request.params, takes_none)) {
    return invalid_params("params", "params must be an object");
  }
  const cJSON* params =
      seam::params_as_read(ctx.server, request.params, spec->handler == handle_list);
  // §3.6g: positional values for a method that takes none are refused, whatever the method.
  if (takes_none && cJSON_IsArray(params) && params->child != nullptr) {
    if (!seam::array_values_ignored(ctx.server)) {
      return invalid_params("params", std::string(spec->name) + " takes no parameters");
    }
    params = nullptr;
  }
  JsonPtr without_nulls;
  params = seam::params_without_nulls(ctx.server, params, without_nulls);
  return spec->handler(ctx, request.method, params);
}

Outcome run_request(CallContext& ctx, const Request& request) {
  Outcome outcome = run_method(ctx, request);
  if (auto* error = std::get_if<RpcError>(&outcome)) seam::alter_error(ctx.server, *error);
  return outcome;
}

JsonPtr dispatch_one(CallContext& ctx, const cJSON* item, bool in_batch = false) {
  const ServerState& server = ctx.server;
  auto validated =
      validate_request(item, seam::jsonrpc_version_checked(server), seam::request_leniency(server));
  if (auto* invalid = std::get_if<InvalidRequest>(&validated)) {
    if (seam::invalid_request_unanswered(server, item, in_batch)) return nullptr;
    long long retry_after_ms = 0;
    if (seam::invalid_costs_token(server) && over_rate_limit(ctx, retry_after_ms))
      return make_error(invalid->id, rate_limited(retry_after_ms));
    return make_error(invalid->id, std::move(invalid->error));
  }
  const Request& request = std::get<Request>(validated);
  ctx.notification = request.is_notification();
  if (ctx.notification && seam::notification_skipped(server)) return nullptr;
  Outcome outcome = execute_request(ctx, request);
  const auto* refused = std::get_if<RpcError>(&outcome);
  const bool answer_refusal = refused != nullptr && refused->code == kRateLimited &&
                              seam::refused_notifications_answered(server);
  if (request.is_notification() && !seam::notifications_answered(server) && !answer_refusal)
    return nullptr;
  JsonPtr id_storage;
  const cJSON* id = seam::response_id(server, request.id, id_storage);
  if (auto* error = std::get_if<RpcError>(&outcome)) return make_error(id, std::move(*error));
  return make_result(id, std::move(std::get<JsonPtr>(outcome)));
}

}  // namespace

std::span<const MethodSpec> method_table() {
  return kMethods;
}

bool over_rate_limit(CallContext& ctx, long long& retry_after_ms) {
  if (ctx.bucket == nullptr || seam::rate_limit_off(ctx.server)) return false;
  if (seam::charge_waived(ctx.server, ctx.notification, ctx.in_batch_execute, ctx.batch_member))
    return false;
  TokenBucket& bucket = seam::bucket_charged(ctx.server, *ctx.bucket);
  if (bucket.unlimited()) return false;  // --rate 0: nothing to refill or take, no clock to read
  // test.setClock must not refill or drain the bucket
  const int64_t now = seam::bucket_now(ctx.server);
  if (bucket.try_take(now)) return false;
  retry_after_ms = bucket.retry_after_ms(now);
  return true;
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
      seam::non_object_is_parse_error(ctx.server)) {
    return parse_error_response(ctx.server, "not a JSON-RPC message");
  }
  if (!cJSON_IsArray(message)) return dispatch_one(ctx, message);

  const int count = cJSON_GetArraySize(message);
  if ((count == 0 || static_cast<size_t>(count) > ctx.server.message_limits().max_batch) &&
      seam::refused_batch_charged(ctx.server)) {
    long long retry_after_ms = 0;
    (void)over_rate_limit(ctx, retry_after_ms);
  }
  if (count == 0) {
    if (seam::empty_batch_gets_array(ctx.server)) return JsonPtr(cJSON_CreateArray());
    return make_error(nullptr, rpc_error(kInvalidRequest, "empty batch"));
  }
  if (static_cast<size_t>(count) > ctx.server.message_limits().max_batch) {
    RpcError error = rpc_error(kInvalidRequest, "batch longer than 100");
    error.data.reset(cJSON_CreateObject());
    cJSON_AddNumberToObject(error.data.get(), "maxBatch", kMaxBatch);
    return make_error(nullptr, std::move(error));
  }
  JsonPtr responses(cJSON_CreateArray());
  const bool authenticated_at_start = ctx.authenticated;
  for (const cJSON* item = message->child; item != nullptr; item = item->next) {
    if (seam::batch_auth_from_start(ctx.server)) ctx.authenticated = authenticated_at_start;
    ctx.batch_member = true;
    JsonPtr response = dispatch_one(ctx, item, true);
    ctx.batch_member = false;
    if (response) {
      cJSON_AddItemToArray(responses.get(), response.release());
    }
    if (ctx.connection != nullptr) seam::after_batch_member(ctx.server, ctx.connection->drop_now);
  }
  if (cJSON_GetArraySize(responses.get()) == 0 && !seam::silent_batch_gets_array(ctx.server))
    return nullptr;
  return responses;
}

JsonPtr parse_error_response(const ServerState& server, std::string reason) {
  JsonPtr id_storage;
  return make_error(seam::parse_error_id(server, id_storage),
                    rpc_error(kParseError, "parse error: " + reason));
}

}  // namespace flake
