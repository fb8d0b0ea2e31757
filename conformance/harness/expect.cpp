// Expectation helpers: precise "expected / actual" texts for the Failures block.
#include "conformance/harness/expect.hpp"

#include "conformance/client/wire_log.hpp"

namespace flake::conform {

void fail_case(std::string expected, std::string actual) {
  throw OutcomeError{fail(std::move(expected), std::move(actual))};
}

void unimplemented_case(std::string reason) {
  throw OutcomeError{unimplemented(std::move(reason))};
}

void skip_case(std::string reason) {
  throw OutcomeError{skipped(std::move(reason))};
}

void require(bool ok, std::string_view expected, std::string_view actual) {
  if (!ok) fail_case(std::string(expected), std::string(actual));
}

std::string show(const json& value, std::size_t max) {
  return WireLog::summarize_text(value.dump(-1, ' ', false, json::error_handler_t::replace), max);
}

namespace {

// The §5.1 methods beyond the core (auth.authenticate, system.ping, rpc.discover): a sidecar that
// answers -32601 for one of them lacks that feature (gate-your-ci.md: "unimplemented").
bool feature_method(std::string_view m) {
  static constexpr std::string_view kFeatures[] = {
      "session.resume",          "vercel.getDashboard",   "supabase.getDashboard",
      "aws.getDashboard",        "multi.getDashboard",    "vercel.getDeployments",
      "vercel.getProjects",      "supabase.getDatabases", "aws.getInstances",
      "batch.execute",           "logs.subscribe",        "metrics.subscribe",
      "deployments.subscribe",   "logs.unsubscribe",      "metrics.unsubscribe",
      "deployments.unsubscribe", "logs.getLarge"};
  if (m.starts_with("test.")) return true;
  for (const std::string_view f : kFeatures) {
    if (m == f) return true;
  }
  return false;
}

json value_or_fail(const Incoming& in, std::string_view expected) {
  if (!in.is_value()) fail_case(std::string(expected), in.describe());
  return in.value;
}

}  // namespace

void unimplemented_if_feature_missing(const Incoming& in) {
  if (!in.method.empty() && feature_method(in.method)) unimplemented_if_missing(in, in.method);
}

json require_value(const Incoming& in, std::string_view expected) {
  unimplemented_if_feature_missing(in);
  return value_or_fail(in, expected);
}

const json& require_response_shape(const json& r, std::string_view context) {
  const std::string where(context);
  require(r.is_object(), where + ": a JSON-RPC response object", show(r));
  require(r.contains("jsonrpc") && r["jsonrpc"] == "2.0", where + ": \"jsonrpc\":\"2.0\"", show(r));
  require(r.contains("id"), where + ": an \"id\" member", show(r));
  const bool has_result = r.contains("result");
  const bool has_error = r.contains("error");
  require(has_result != has_error, where + ": exactly one of \"result\" and \"error\"", show(r));
  if (has_error) {
    const json& e = r["error"];
    require(e.is_object() && e.contains("code") && e["code"].is_number_integer() &&
                e.contains("message") && e["message"].is_string(),
            where + ": error object with integer \"code\" and string \"message\"", show(r));
  }
  return r;
}

json require_result(const Incoming& in, const json& id, std::string_view what) {
  const std::string expected = std::string(what) + ": result with id " + show(id);
  const json& r = require_value(in, expected);
  require_response_shape(r, what);
  require(r["id"] == id, expected, show(r));
  require(r.contains("result"), expected, show(r));
  return r["result"];
}

json require_error_value(const json& r, int code, const json& id, std::string_view what) {
  const std::string expected =
      std::string(what) + ": error " + std::to_string(code) + " with id " + show(id);
  require_response_shape(r, what);
  require(r.contains("error") && r["error"]["code"] == code && r["id"] == id, expected, show(r));
  return r["error"];
}

json require_error(const Incoming& in, int code, const json& id, std::string_view what) {
  if (code != -32601) unimplemented_if_feature_missing(in);
  const std::string expected =
      std::string(what) + ": error " + std::to_string(code) + " with id " + show(id);
  return require_error_value(value_or_fail(in, expected), code, id, what);
}

void require_close(const Incoming& in, std::uint16_t code, std::string_view what) {
  const std::string expected =
      std::string(what) + ": close frame with code " + std::to_string(code);
  require(in.kind == Incoming::Kind::Close && in.raw.close_code == code, expected, in.describe());
}

bool is_method_not_found(const json& response) {
  return response.is_object() && response.contains("error") && response["error"].is_object() &&
         response["error"].value("code", 0) == -32601;
}

void unimplemented_if_missing(const Incoming& in, std::string_view method) {
  if (in.is_value() && is_method_not_found(in.value)) {
    unimplemented_case("the sidecar answers -32601 for " + std::string(method));
  }
}

void require_no_response(RpcClient& rpc, std::chrono::milliseconds wait, std::string_view what) {
  if (!rpc.stray_responses().empty()) {
    fail_case(std::string(what), "got " + show(rpc.stray_responses().front()));
  }
  const Incoming in = rpc.wait_for_response(deadline_in(wait));
  if (in.kind == Incoming::Kind::Timeout) return;
  fail_case(std::string(what), "got " + in.describe());
}

}  // namespace flake::conform
