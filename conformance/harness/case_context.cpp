// CaseContext: connections and calls that every case needs, with failures already worded.
#include "conformance/harness/case_context.hpp"

#include "conformance/harness/expect.hpp"

namespace flake::conform {

Deadline CaseContext::deadline_after(std::chrono::milliseconds wait) const {
  return std::min(deadline_in(wait), case_deadline_);
}

std::chrono::milliseconds CaseContext::time_left() const {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(case_deadline_ - Clock::now());
  return left.count() > 0 ? left : std::chrono::milliseconds(0);
}

ConnectOptions CaseContext::options() const {
  ConnectOptions o;
  o.timeout = std::min(target_.timeout, std::max(time_left(), std::chrono::milliseconds(1)));
  return o;
}

std::pair<std::unique_ptr<RpcClient>, ConnectResult> CaseContext::try_connect(
    const ConnectOptions& options, const std::string& path) {
  auto rpc = client();
  Url url = target_.url;
  if (!path.empty()) url.path = path;
  ConnectResult result = rpc->connect(url, options);
  return {std::move(rpc), std::move(result)};
}

std::unique_ptr<RpcClient> CaseContext::connect(const ConnectOptions& options) {
  auto [rpc, result] = try_connect(options);
  if (!result.upgraded) {
    fail_case("WebSocket upgrade (HTTP 101) at " + target_.url.path,
              result.error.empty() ? "HTTP " + std::to_string(result.status) : result.error);
  }
  return std::move(rpc);
}

json CaseContext::authenticate(RpcClient& rpc) {
  const Incoming in = rpc.authenticate(target_.token, client_info(), timeout());
  const json& r = require_value(in, "auth.authenticate answered with a result");
  require_response_shape(r, "auth.authenticate");
  require(r.contains("result") && r["result"].is_object(),
          "auth.authenticate with the right token: a result object", show(r));
  auth_result_ = r["result"];
  return auth_result_;
}

std::unique_ptr<RpcClient> CaseContext::connect_authenticated() {
  auto rpc = connect();
  authenticate(*rpc);
  return rpc;
}

const json& CaseContext::capabilities() {
  if (!auth_result_.is_object()) {
    auto rpc = connect_authenticated();
    rpc->ws().close(1000, deadline_after(std::chrono::milliseconds(500)));
  }
  const json& caps = auth_result_["capabilities"];
  require(caps.is_object(), "auth.authenticate result with a \"capabilities\" object",
          show(auth_result_));
  return caps;
}

json CaseContext::call_result(RpcClient& rpc, std::string_view method, const json& params,
                              Encoding encoding) {
  const Incoming in = rpc.call(method, params, CallOptions{timeout(), encoding});
  const std::string expected = std::string(method) + " answered with a result";
  const json& r = require_value(in, expected);
  require_response_shape(r, method);
  require(r.contains("result"), expected, show(r));
  return r["result"];
}

json CaseContext::call_test_method(RpcClient& rpc, std::string_view method, const json& params) {
  const Incoming in = rpc.call(method, params, CallOptions{timeout(), Encoding::Json});
  if (in.is_value() && is_method_not_found(in.value)) {
    unimplemented_case(std::string(method) +
                       " is not available (sidecar not started with --conformance?)");
  }
  const std::string expected = std::string(method) + " answered with a result";
  const json& r = require_value(in, expected);
  require_response_shape(r, method);
  require(r.contains("result"), expected, show(r));
  return r["result"];
}

void CaseContext::require_usable(RpcClient& rpc, std::string_view after_what) {
  const Incoming in = rpc.call("system.ping", nullptr, CallOptions{timeout(), Encoding::Json});
  const std::string expected =
      "connection still usable after " + std::string(after_what) + " (system.ping answered)";
  const json& r = require_value(in, expected);
  require(r.is_object() && r.contains("result"), expected, show(r));
}

}  // namespace flake::conform
