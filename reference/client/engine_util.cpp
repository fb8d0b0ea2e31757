// Small readers and converters shared by engine_rpc.cpp and engine_calls.cpp.
#include "reference/client/engine_util.hpp"

#include <cmath>

#include "reference/codec/json_parse.hpp"

namespace flake::client {

JsonPtr parse_params(const std::string& text) {
  if (text.empty()) return nullptr;
  return parse_json(text).value;
}

std::optional<int64_t> integer_member(const cJSON* o, const char* key) {
  const cJSON* v = member(o, key);
  if (!cJSON_IsNumber(v) || v->valuedouble != std::floor(v->valuedouble) ||
      std::fabs(v->valuedouble) > 9007199254740991.0)
    return std::nullopt;
  return static_cast<int64_t>(v->valuedouble);
}

// Whether `o` has a member outside `known`.
bool has_unknown_member(const cJSON* o, std::initializer_list<std::string_view> known) {
  for (const cJSON* m = o ? o->child : nullptr; m != nullptr; m = m->next) {
    bool ok = false;
    for (std::string_view k : known) ok = ok || (m->string != nullptr && k == m->string);
    if (!ok) return true;
  }
  return false;
}

CallResult to_call_result(const std::string& method, const Reply& r) {
  CallResult c;
  c.method = method;
  c.outcome = r.outcome;
  if (r.outcome == Outcome::kResult) c.result_json = print_json(r.result);
  if (r.outcome == Outcome::kError)
    c.error = RpcError{r.code, r.message, r.data ? print_json(r.data) : std::string()};
  return c;
}

CallVerdict verdict_of(const Reply& r) {
  switch (r.outcome) {
    case Outcome::kResult:
      return CallVerdict::kSuccess;
    case Outcome::kError:
      return verdict_for_error(r.code);
    default:
      return CallVerdict::kFailure;  // transport failure or timeout
  }
}

}  // namespace flake::client
