// Fixture-backed service methods: dashboards, paginated lists, multi.getDashboard and batch.execute
// (§5).
#include <array>
#include <cmath>
#include <optional>
#include <vector>

#include "reference/defects/seams.hpp"
#include "reference/rpc/methods/methods.hpp"
#include "reference/rpc/pagination.hpp"

namespace flake {

namespace {

struct ListMethod {
  std::string_view method;
  std::string_view service;
  std::string_view collection;
};

constexpr std::array kLists{
    ListMethod{"vercel.getDeployments", "vercel", "deployments"},
    ListMethod{"vercel.getProjects", "vercel", "projects"},
    ListMethod{"supabase.getDatabases", "supabase", "databases"},
    ListMethod{"aws.getInstances", "aws", "instances"},
};

std::string_view service_of(std::string_view method) {
  return method.substr(0, method.find('.'));
}

// For the pagination defects: the page the params would give without member `key`.
std::variant<PageRequest, PageParamError> page_params_without(const cJSON* params, const char* key,
                                                              size_t total, std::string_view list) {
  JsonPtr without = clone(params);
  cJSON_DeleteItemFromObjectCaseSensitive(without.get(), key);
  return parse_page_params(without.get(), total, list);
}

// Defect cursor-any-list: the offset of any well-formed cursor, whichever list issued it, when it
// points into this one.
std::optional<PageRequest> any_list_cursor(const cJSON* params, size_t total,
                                           std::string_view list) {
  const cJSON* cursor = member(params, "cursor");
  if (!cJSON_IsString(cursor)) return std::nullopt;
  const auto offset = cursor_offset(cursor->valuestring);
  if (!offset || *offset >= total) return std::nullopt;
  auto page = page_params_without(params, "cursor", total, list);
  auto* request = std::get_if<PageRequest>(&page);
  if (request == nullptr) return std::nullopt;
  request->offset = static_cast<size_t>(*offset);
  return *request;
}

// Defect limit-clamped: an integer limit outside 1..100 is clamped into that range.
std::optional<PageRequest> clamped_limit(const cJSON* params, size_t total, std::string_view list) {
  const cJSON* limit = member(params, "limit");
  if (!cJSON_IsNumber(limit) || std::floor(limit->valuedouble) != limit->valuedouble)
    return std::nullopt;
  auto page = page_params_without(params, "limit", total, list);
  auto* request = std::get_if<PageRequest>(&page);
  if (request == nullptr) return std::nullopt;
  request->limit = limit->valuedouble < 1 ? 1 : kMaxPageLimit;
  return *request;
}

}  // namespace

Outcome handle_dashboard(CallContext& ctx, std::string_view method, const cJSON* params) {
  if (!params_empty(params))
    return invalid_params("params", "getDashboard takes no positional parameters");
  std::string_view service = service_of(method);
  const cJSON* dashboard = ctx.server.fixtures.dashboard(service);
  if (dashboard == nullptr) return not_found("service:" + std::string(service));
  return clone(dashboard);
}

Outcome handle_list(CallContext& ctx, std::string_view method, const cJSON* params) {
  for (const ListMethod& list : kLists) {
    if (list.method != method) continue;
    const cJSON* items = ctx.server.fixtures.collection(list.service, list.collection);
    if (items == nullptr)
      return not_found(std::string(list.service) + "/" + std::string(list.collection));
    if (ctx.server.has(Defect::kUnknownParamsRejected) && cJSON_IsObject(params)) {
      for (const cJSON* m = params->child; m != nullptr; m = m->next) {
        if (std::string_view(m->string) != "limit" && std::string_view(m->string) != "cursor")
          return invalid_params(m->string, "unknown parameter");
      }
    }
    if (const cJSON* limit = member(params, "limit"); limit != nullptr &&
                                                      (limit->type & kNumberWrittenAsFloat) != 0 &&
                                                      ctx.server.has(Defect::kIntegerFormChecked)) {
      return invalid_params("limit", "limit must be written as an integer");
    }
    // Lists take named params: absent means the first page, an array (even []) is refused (§3.6).
    const size_t total = static_cast<size_t>(cJSON_GetArraySize(items));
    // Defect cursor-expires-early: cursors are bound to the 5-minute window of the sidecar clock
    // they were issued in, so one from an earlier window is refused.
    const std::string binding =
        ctx.server.has(Defect::kCursorExpiresEarly)
            ? std::string(list.collection) + "@" + std::to_string(ctx.server.epoch_ms() / 300'000)
            : std::string(list.collection);
    auto page = parse_page_params(params, total, binding);
    if (auto* error = std::get_if<PageParamError>(&page);
        error && error->field == "limit" && ctx.server.has(Defect::kParamsDefaulted) &&
        !cJSON_IsNumber(member(params, "limit"))) {
      page = page_params_without(params, "limit", total, list.collection);
    }
    if (auto* error = std::get_if<PageParamError>(&page);
        error && error->field == "limit" && ctx.server.has(Defect::kLimitClamped)) {
      if (auto clamped = clamped_limit(params, total, list.collection)) page = *clamped;
    }
    if (auto* error = std::get_if<PageParamError>(&page);
        error && error->field == "cursor" && ctx.server.has(Defect::kCursorUnchecked) &&
        cJSON_IsString(member(params, "cursor"))) {
      page = page_params_without(params, "cursor", total, list.collection);  // the first page
    }
    if (auto* error = std::get_if<PageParamError>(&page);
        error && error->field == "cursor" && ctx.server.has(Defect::kCursorAnyList)) {
      if (auto other = any_list_cursor(params, total, list.collection)) page = *other;
    }
    if (auto* error = std::get_if<PageParamError>(&page)) {
      return invalid_params(error->field.c_str(), error->message);
    }
    PageRequest& request = std::get<PageRequest>(page);
    if (member(params, "limit") == nullptr)
      request.limit = ctx.server.message_limits().default_page_limit;
    if (ctx.server.has(Defect::kPageOverlap) && request.offset > 0) --request.offset;
    JsonPtr out = make_page(items, list.collection, request, binding);
    if (ctx.server.has(Defect::kListItemsWithoutId)) {
      cJSON* page_items =
          cJSON_GetObjectItemCaseSensitive(out.get(), std::string(list.collection).c_str());
      for (cJSON* item = page_items ? page_items->child : nullptr; item; item = item->next)
        cJSON_DeleteItemFromObjectCaseSensitive(item, "id");
    }
    return out;
  }
  return rpc_error(kInternalError, "list method without a table entry");
}

Outcome handle_multi_dashboard(CallContext& ctx, std::string_view, const cJSON* params) {
  if (!params_empty(params))
    return invalid_params("params", "multi.getDashboard takes no positional parameters");
  JsonPtr result(cJSON_CreateObject());
  cJSON* services = cJSON_AddObjectToObject(result.get(), "services");
  const std::vector<std::string>& names = ctx.server.fixtures.services();
  for (const std::string& name : names) {
    if (ctx.server.has(Defect::kMultiDashboardPartial) && &name == &names.back()) break;
    cJSON_AddItemToObject(services, name.c_str(),
                          clone(ctx.server.fixtures.dashboard(name)).release());
  }
  if (ctx.server.has(Defect::kServiceNameUnchecked)) {
    cJSON_AddItemToObject(services, "Edge_Cache",
                          clone(ctx.server.fixtures.dashboard(names.front())).release());
  }
  return result;
}

Outcome handle_batch_execute(CallContext& ctx, std::string_view, const cJSON* params) {
  if (!cJSON_IsObject(params)) return params_not_object();
  const cJSON* operations = member(params, "operations");
  if (!cJSON_IsArray(operations))
    return invalid_params("operations", "operations must be an array");
  if (static_cast<size_t>(cJSON_GetArraySize(operations)) >
      ctx.server.message_limits().max_operations) {
    return invalid_params("operations", "at most 100 operations");
  }
  JsonPtr result(cJSON_CreateObject());
  cJSON* results = cJSON_AddArrayToObject(result.get(), "results");
  std::vector<const cJSON*> ops;
  for (const cJSON* op = operations->child; op != nullptr; op = op->next) ops.push_back(op);
  std::vector<JsonPtr> entries(ops.size());
  for (size_t i = 0; i < ops.size(); ++i) {
    const size_t slot = seam::operation_order(ctx.server, i, ops.size());
    const cJSON* op = ops[slot];
    auto method = string_member(op, "method");
    const cJSON* op_params = member(op, "params");
    Outcome outcome;
    if (!method) {
      outcome = rpc_error(kInvalidRequest, "operation needs a string \"method\"");
    } else if (op_params && !cJSON_IsObject(op_params) && !cJSON_IsArray(op_params)) {
      outcome = rpc_error(kInvalidRequest, "operation \"params\" must be an object or an array");
    } else if (*method == "batch.execute") {
      outcome = rpc_error(kMethodNotFound, "batch.execute cannot be nested");
    } else {
      ctx.in_batch_execute = true;
      outcome = execute_request(ctx, Request{*method, op_params, nullptr});
      ctx.in_batch_execute = false;
    }
    if (auto* refused = std::get_if<RpcError>(&outcome);
        refused != nullptr && refused->code == kRateLimited &&
        seam::operation_refusal_fails_batch(ctx.server)) {
      return std::move(*refused);
    }
    cJSON* entry = cJSON_CreateObject();
    if (auto* error = std::get_if<RpcError>(&outcome)) {
      cJSON_AddItemToObject(entry, "error", error_object(std::move(*error)).release());
    } else {
      JsonPtr& value = std::get<JsonPtr>(outcome);
      cJSON_AddItemToObject(entry, "result", value ? value.release() : cJSON_CreateNull());
    }
    entries[slot].reset(entry);
    if (ctx.server.has(Defect::kBatchExecuteStops) && cJSON_HasObjectItem(entry, "error")) break;
  }
  for (JsonPtr& entry : entries) {
    if (entry) cJSON_AddItemToArray(results, entry.release());
  }
  return result;
}

}  // namespace flake
