// Assertion helpers for cases: each failure names what was expected and what was seen, and
// ends the case by throwing OutcomeError (caught by the runner).
#pragma once

#include "conformance/client/rpc_client.hpp"
#include "conformance/harness/catalog.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace flake::conform {

[[noreturn]] void fail_case(std::string expected, std::string actual);
[[noreturn]] void unimplemented_case(std::string reason);
[[noreturn]] void skip_case(std::string reason);

void require(bool ok, std::string_view expected, std::string_view actual);

// Compact JSON for reports (shortened).
std::string show(const json& value, std::size_t max = 300);

// A copy of the value (callers often pass a temporary); anything else (close, EOF, timeout,
// undecodable) fails with `expected`. -32601 from a feature method: unimplemented (see below).
json require_value(const Incoming& in, std::string_view expected);

// A JSON-RPC 2.0 response object: "jsonrpc":"2.0", an "id", exactly one of result/error, and an
// error with an integer code and a string message. Returns `response` for chaining.
const json& require_response_shape(const json& response, std::string_view context);

// A response with this id and a result; returns the result.
json require_result(const Incoming& in, const json& id, std::string_view what);
// A response with this id and this error code; returns the error object.
json require_error(const Incoming& in, int code, const json& id, std::string_view what);
json require_error_value(const json& response, int code, const json& id, std::string_view what);
// A close frame with this code.
void require_close(const Incoming& in, std::uint16_t code, std::string_view what);

// A JSON-RPC error response with code -32601.
bool is_method_not_found(const json& response);
// -32601 for a method the case depends on: the feature is missing, not broken.
void unimplemented_if_missing(const Incoming& in, std::string_view method);
// The same for the answer to a request for a §5.1 method beyond the core (auth.authenticate,
// system.ping and rpc.discover must always be served); Incoming::method names the request.
// require_value, require_result and require_error (for codes other than -32601) apply it, so a
// case that relies on such a method reports it unimplemented.
void unimplemented_if_feature_missing(const Incoming& in);

// Nothing but server notifications arrives within `wait` (used for "must not be answered").
void require_no_response(RpcClient& rpc, std::chrono::milliseconds wait, std::string_view what);

}  // namespace flake::conform
