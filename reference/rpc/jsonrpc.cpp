// JSON-RPC 2.0 envelope validation and response construction.
#include "reference/rpc/jsonrpc.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace flake {

RpcError rpc_error(int code, std::string message) {
  return RpcError{code, std::move(message), nullptr};
}

RpcError invalid_params(const char* field, std::string message) {
  RpcError e{kInvalidParams, std::move(message), JsonPtr(cJSON_CreateObject())};
  cJSON_AddStringToObject(e.data.get(), "field", field);
  return e;
}

RpcError not_found(const std::string& resource) {
  RpcError e{kNotFound, "not found: " + resource, JsonPtr(cJSON_CreateObject())};
  cJSON_AddStringToObject(e.data.get(), "resource", resource.c_str());
  return e;
}

RpcError rate_limited(long long retry_after_ms) {
  RpcError e{kRateLimited, "rate limit exceeded", JsonPtr(cJSON_CreateObject())};
  cJSON_AddNumberToObject(e.data.get(), "retryAfterMs", static_cast<double>(retry_after_ms));
  return e;
}

namespace {

bool valid_id_type(const cJSON* id) {
  return cJSON_IsString(id) || cJSON_IsNumber(id) || cJSON_IsNull(id);
}

// Every answer's keys and "2.0" are literals: cJSON references them instead of copying (the
// *_CS form and a string reference), two allocations fewer per member.
JsonPtr envelope() {
  JsonPtr response(cJSON_CreateObject());
  cJSON_AddItemToObjectCS(response.get(), "jsonrpc", cJSON_CreateStringReference("2.0"));
  return response;
}

// cJSON prints numbers with 15 significant digits, which would alter ids such as 9007199254740991;
// numeric ids are therefore written as raw text that round-trips exactly.
cJSON* copy_id(const cJSON* id) {
  if (id == nullptr) return cJSON_CreateNull();
  if (!cJSON_IsNumber(id)) return cJSON_Duplicate(id, false);
  const double v = id->valuedouble;
  char text[64];
  if (std::isfinite(v) && std::trunc(v) == v && std::fabs(v) < 9.2e18) {
    auto [end, ec] = std::to_chars(text, text + sizeof text - 1, static_cast<long long>(v));
    *end = '\0';
  } else {
    auto [end, ec] = std::to_chars(text, text + sizeof text - 1, v);
    *end = '\0';
    if (ec != std::errc() || !std::isfinite(v)) return cJSON_CreateNull();
  }
  return cJSON_CreateRaw(text);
}

void add_id(cJSON* response, const cJSON* id) {
  cJSON_AddItemToObjectCS(response, "id", copy_id(id));
}

}  // namespace

std::variant<Request, InvalidRequest> validate_request(const cJSON* item, bool check_version,
                                                       const RequestLeniency& leniency) {
  auto member = [&](const char* key) -> const cJSON* {
    return leniency.case_insensitive ? cJSON_GetObjectItem(item, key) : flake::member(item, key);
  };
  auto valid_id_type = [&](const cJSON* id) { return leniency.any_id || flake::valid_id_type(id); };
  const cJSON* id = member("id");
  InvalidRequest invalid{rpc_error(kInvalidRequest, "invalid request"),
                         (id && valid_id_type(id)) ? id : nullptr};
  if (!cJSON_IsObject(item)) {
    invalid.error.message = "a request must be a JSON object";
    return invalid;
  }
  const cJSON* version = member("jsonrpc");
  if (check_version &&
      (!cJSON_IsString(version) || std::string_view(version->valuestring) != "2.0")) {
    invalid.error.message = "\"jsonrpc\" must be \"2.0\"";
    return invalid;
  }
  const cJSON* method = member("method");
  if (!cJSON_IsString(method)) {
    invalid.error.message = "\"method\" must be a string";
    return invalid;
  }
  const cJSON* params = member("params");
  if (params && !cJSON_IsObject(params) && !cJSON_IsArray(params) && !leniency.any_params) {
    invalid.error.message = "\"params\" must be an object or an array";
    return invalid;
  }
  if (id && !valid_id_type(id)) {
    invalid.error.message = "\"id\" must be a string, a number or null";
    return invalid;
  }
  // §3.3e: a number beyond a double's range (1e400) cannot be echoed as the same value.
  if (cJSON_IsNumber(id) && !std::isfinite(id->valuedouble) && !leniency.any_number_id) {
    invalid.id = nullptr;
    invalid.error.message = "numeric \"id\" out of range";
    return invalid;
  }
  for (const cJSON* m = item->child; m != nullptr && leniency.refuse_unknown_members; m = m->next) {
    const std::string_view name = m->string ? m->string : "";
    if (name != "jsonrpc" && name != "method" && name != "params" && name != "id") {
      invalid.error.message = "unknown member \"" + std::string(name) + "\"";
      return invalid;
    }
  }
  return Request{method->valuestring, params, id};
}

JsonPtr make_result(const cJSON* id, JsonPtr result) {
  JsonPtr response = envelope();
  cJSON_AddItemToObjectCS(response.get(), "result", result ? result.release() : cJSON_CreateNull());
  add_id(response.get(), id);
  return response;
}

JsonPtr error_object(RpcError error) {
  JsonPtr object(cJSON_CreateObject());
  cJSON_AddNumberToObject(object.get(), "code", error.code);
  cJSON_AddStringToObject(object.get(), "message", error.message.c_str());
  if (error.data) cJSON_AddItemToObject(object.get(), "data", error.data.release());
  return object;
}

JsonPtr make_error(const cJSON* id, RpcError error) {
  JsonPtr response = envelope();
  cJSON_AddItemToObjectCS(response.get(), "error", error_object(std::move(error)).release());
  add_id(response.get(), id);
  return response;
}

}  // namespace flake
