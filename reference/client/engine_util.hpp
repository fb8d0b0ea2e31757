// Small readers and converters for the engine's JSON-RPC code (engine_rpc.cpp, engine_calls.cpp).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "reference/client/engine.hpp"

namespace flake::client {

// The params of a request, parsed from the API's JSON text; null for "" (no params).
JsonPtr parse_params(const std::string& text);
// An integral number member within ±(2^53-1).
std::optional<int64_t> integer_member(const cJSON* o, const char* key);
// Whether `o` has a member outside `known` (the strict-* defects ask this).
bool has_unknown_member(const cJSON* o, std::initializer_list<std::string_view> known);
CallResult to_call_result(const std::string& method, const Reply& r);
// How a call's end counts for its breaker (§7.8).
CallVerdict verdict_of(const Reply& r);

}  // namespace flake::client
