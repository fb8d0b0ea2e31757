// §4.2 and §4.5-4.9: the authentication gate, auth.authenticate, failed attempts (4401), the
// authentication deadline (4408, driven by test.setClock) and sessions.
#include "conformance/cases/case_util.hpp"
#include "conformance/cases/cases.hpp"
#include "conformance/client/sidecar_process.hpp"

#include <regex>

namespace flake::conform {
namespace {

json auth_params(const json& token) {
  return {{"token", token}, {"clientInfo", client_info()}};
}

Outcome gate(CaseContext& ctx) {
  auto rpc = ctx.connect();
  const Incoming dash = rpc->call("vercel.getDashboard", nullptr, ctx.timeout());
  require_error(dash, -32001, dash.is_value() ? dash.value.value("id", json()) : json(),
                "vercel.getDashboard before authentication");
  const Incoming unknown = rpc->call("no.such.method", nullptr, ctx.timeout());
  require_error(unknown, -32001, unknown.is_value() ? unknown.value.value("id", json()) : json(),
                "an unknown method before authentication");
  ctx.require_usable(*rpc, "requests refused before authentication");
  return pass();
}

Outcome ping_before_auth(CaseContext& ctx) {
  auto rpc = ctx.connect();
  const json result = ctx.call_result(*rpc, "system.ping", nullptr);
  require(result.is_object() && result.contains("now") && result["now"].is_number_integer(),
          "system.ping before authentication: {\"now\":<integer>}", show(result));
  return pass();
}

Outcome notifications_dropped_before_auth(CaseContext& ctx) {
  auto rpc = ctx.connect();
  rpc->notify("vercel.getDashboard", nullptr);
  rpc->notify("logs.subscribe", {{"service", "vercel"}});
  const Incoming in =
      send_text_wait(ctx, *rpc, R"({"jsonrpc":"2.0","method":"system.ping","id":"sentinel"})");
  const json& r = require_value(in, "the sentinel's answer");
  require(r.is_object() && r.value("id", json()) == "sentinel",
          "client notifications before authentication dropped silently", show(r));
  ctx.authenticate(*rpc);
  // Had logs.subscribe run, its subscription would now deliver to this session.
  const Incoming later = rpc->wait_for([](const json&) { return true; },
                                       ctx.deadline_after(std::chrono::milliseconds(300)));
  require(later.kind == Incoming::Kind::Timeout, "nothing sent for the dropped notifications",
          later.describe());
  return pass();
}

Outcome authenticate_result(CaseContext& ctx) {
  auto rpc = ctx.connect();
  const json r = ctx.authenticate(*rpc);
  require(r.contains("sessionId") && r["sessionId"].is_string(), "result.sessionId (string)",
          show(r));
  const json& server = r.value("server", json());
  require(
      server.is_object() && server.value("protocol", "") == "flake.v1" && server.contains("name") &&
          server["name"].is_string() && server.contains("version") && server["version"].is_string(),
      "result.server {\"name\":<string>,\"version\":<string>,\"protocol\":\"flake.v1\"}", show(r));
  const json& caps = r.value("capabilities", json());
  require(caps.is_object(), "result.capabilities object", show(r));
  // The values in effect are reported; a sidecar without MessagePack says false (its msgpack
  // cases then report unimplemented).
  require(caps.contains("msgpack") && caps["msgpack"].is_boolean(), "capabilities.msgpack boolean",
          show(caps));
  require(caps.value("batch", false) == true, "capabilities.batch true", show(caps));
  require(caps.value("maxBatch", 0) == 100, "capabilities.maxBatch 100", show(caps));
  require(caps.contains("maxMessageBytes") && caps["maxMessageBytes"].is_number_integer() &&
              caps["maxMessageBytes"].get<std::int64_t>() >= 1024,
          "capabilities.maxMessageBytes, an integer >= 1024", show(caps));
  require(caps.contains("compression") && caps["compression"].is_array(),
          "capabilities.compression array", show(caps));
  require(caps.contains("resumeGraceMs") && caps["resumeGraceMs"].is_number_integer() &&
              caps["resumeGraceMs"].get<std::int64_t>() > 0,
          "capabilities.resumeGraceMs, a positive integer", show(caps));
  const json& rate = caps.value("rateLimit", json());
  require(rate.is_object() && rate.contains("rate") && rate["rate"].is_number() &&
              rate.contains("burst") && rate["burst"].is_number(),
          "capabilities.rateLimit {\"rate\":<n>,\"burst\":<n>}", show(caps));
  return pass();
}

Outcome wrong_token(CaseContext& ctx) {
  auto rpc = ctx.connect();
  const std::string wrong = ctx.target().token + "-wrong";
  const Incoming in = rpc->call("auth.authenticate", auth_params(wrong), ctx.timeout());
  const json error =
      require_error(in, -32001, in.is_value() ? in.value.value("id", json()) : json(),
                    "auth.authenticate with a wrong token");
  require(show(error, 100000).find(ctx.target().token) == std::string::npos,
          "no token in the error (4.2)", show(error));
  const Incoming gated = rpc->call("vercel.getDashboard", nullptr, ctx.timeout());
  require_error(gated, -32001, gated.is_value() ? gated.value.value("id", json()) : json(),
                "vercel.getDashboard after a failed authentication");
  ctx.authenticate(*rpc);
  return pass();
}

Outcome bad_token_type(CaseContext& ctx) {
  for (const json& params : {json{{"clientInfo", client_info()}}, auth_params(12345)}) {
    auto rpc = ctx.connect();
    const Incoming in = rpc->call("auth.authenticate", params, ctx.timeout());
    const json error =
        require_error(in, -32602, in.is_value() ? in.value.value("id", json()) : json(),
                      "auth.authenticate with params " + show(params));
    require(error.contains("data") && error["data"].is_object() &&
                error["data"].value("field", "") == "token",
            "data {\"field\":\"token\"}", show(error));
  }
  return pass();
}

Outcome bad_client_info(CaseContext& ctx) {
  auto rpc = ctx.connect();
  const Incoming in =
      rpc->call("auth.authenticate",
                {{"token", ctx.target().token}, {"clientInfo", "not-an-object"}}, ctx.timeout());
  const json error =
      require_error(in, -32602, in.is_value() ? in.value.value("id", json()) : json(),
                    "auth.authenticate with clientInfo \"not-an-object\"");
  require(error.contains("data") && error["data"].is_object() &&
              error["data"].value("field", "") == "clientInfo",
          "data {\"field\":\"clientInfo\"}", show(error));
  return pass();
}

Outcome lockout(CaseContext& ctx) {
  auto rpc = ctx.connect();
  for (int attempt = 1; attempt <= 3; ++attempt) {
    const json id = "attempt-" + std::to_string(attempt);
    rpc->send(
        make_request("auth.authenticate", auth_params("wrong-" + std::to_string(attempt)), id));
    const Incoming in = rpc->wait_for_id(id, ctx.deadline());
    require_error(in, -32001, id, "failed attempt " + std::to_string(attempt));
    if (attempt < 3) ctx.require_usable(*rpc, "failed attempt " + std::to_string(attempt));
  }
  const Incoming end = rpc->receive(ctx.deadline());
  require_close(end, 4401, "after the third failed attempt's error response");
  return pass();
}

Outcome lockout_counts_bad_params(CaseContext& ctx) {
  auto rpc = ctx.connect();
  rpc->call("auth.authenticate", {{"clientInfo", client_info()}}, ctx.timeout());
  rpc->call("auth.authenticate", auth_params(7), ctx.timeout());
  ctx.require_usable(*rpc, "two failed attempts (-32602)");
  rpc->send(make_request("auth.authenticate", auth_params("wrong"), "third"));
  require_error(rpc->wait_for_id("third", ctx.deadline()), -32001, "third",
                "the third failed attempt");
  require_close(rpc->receive(ctx.deadline()), 4401,
                "after a third failure that follows two -32602");
  return pass();
}

Outcome deadline(CaseContext& ctx, bool check_authenticated) {
  auto idle = ctx.connect();
  std::unique_ptr<RpcClient> authed;
  if (check_authenticated) authed = ctx.connect_authenticated();
  ClockGuard clock(ctx);
  const bool shifted = clock.set(11000);
  Deadline until = ctx.deadline_after(std::chrono::milliseconds(3000));
  if (!shifted) {
    ctx.log().note("test.setClock unavailable: waiting for the real 10 s deadline");
    until = ctx.deadline_after(std::chrono::milliseconds(11500));
  }
  const Incoming in = idle->receive(until);
  require_close(in, 4408, "an unauthenticated connection past its 10,000 ms deadline");
  if (check_authenticated) ctx.require_usable(*authed, "the authentication deadline passed");
  return pass();
}

Outcome session_ids(CaseContext& ctx) {
  auto a = ctx.connect();
  const std::string first = ctx.authenticate(*a).value("sessionId", "");
  auto b = ctx.connect();
  const std::string second = ctx.authenticate(*b).value("sessionId", "");
  static const std::regex kShape("[A-Za-z0-9_-]{1,128}");
  require(std::regex_match(first, kShape) && std::regex_match(second, kShape),
          "sessionId of 1 to 128 characters from [A-Za-z0-9_-]", first + " / " + second);
  require(first != second, "a new session (new sessionId) per connection", first + " twice");
  const std::string again = ctx.authenticate(*a).value("sessionId", "");
  require(again == first,
          "auth.authenticate again on the same connection returns the same sessionId",
          first + " then " + again);
  return pass();
}

Outcome token_not_logged(CaseContext& ctx) {
  // Exercise the paths that could leak it: success, failure, and a wrong token.
  const std::string& token = ctx.target().token;
  auto rpc = ctx.connect();
  const json ok = ctx.authenticate(*rpc);
  require(show(ok, 100000).find(token) == std::string::npos,
          "no token in the auth.authenticate result", show(ok));
  auto other = ctx.connect();
  const std::string wrong = "not-the-token-" + std::to_string(token.size());
  const Incoming failed = other->call("auth.authenticate", auth_params(wrong), ctx.timeout());
  require(!failed.is_value() || show(failed.value, 100000).find(token) == std::string::npos,
          "no token in the error for a wrong token", failed.describe());
  if (ctx.target().process == nullptr) {
    skip_case("needs a sidecar started by the harness (--spawn or --reference) to read its output");
  }
  other->call("auth.authenticate", auth_params(token + "x"), ctx.timeout());
  require(!ctx.target().process->secret_seen(),
          "the token never appears in the sidecar's standard output or standard error",
          "the token appeared in the sidecar's output");
  return pass();
}

Outcome test_methods_gated(CaseContext& ctx) {
  auto rpc = ctx.connect();
  for (const char* method : {"test.emitLogs", "test.setClock", "test.dropSession"}) {
    const json id = method;
    rpc->send(make_request(method, {{"service", "vercel"}, {"count", 1}, {"offsetMs", 0}}, id));
    require_error(rpc->wait_for_id(id, ctx.deadline()), -32001, id,
                  std::string(method) + " before authentication");
  }
  return pass();
}

}  // namespace

void add_auth_cases(Catalog& c) {
  c.add({"4.2/1", Tier::Must, Group::Security,
         "The sidecar MUST NOT write the token to any log, error message or response.",
         token_not_logged});
  c.add({"4.5/1", Tier::Must, Group::Auth,
         "Before authentication, every request except auth.authenticate and system.ping MUST get "
         "-32001, whether or not the method exists.",
         gate});
  c.add({"4.5/2", Tier::Must, Group::Auth, "system.ping MUST be answered before authentication.",
         ping_before_auth});
  c.add({"4.5/3", Tier::Must, Group::Auth,
         "Before authentication, the sidecar MUST drop client notifications silently.",
         notifications_dropped_before_auth});
  c.add({"4.6/1", Tier::Must, Group::Auth,
         "With the right token, auth.authenticate MUST answer sessionId, server (protocol "
         "flake.v1) and every capabilities member.",
         authenticate_result});
  c.add({"4.6/2", Tier::Must, Group::Auth,
         "A token that does not match MUST get -32001; the connection stays unauthenticated and "
         "open.",
         wrong_token});
  c.add({"4.6/3", Tier::Must, Group::Auth,
         "A missing or non-string token MUST get -32602 with data {\"field\":\"token\"}.",
         bad_token_type});
  c.add({"4.6/4", Tier::Must, Group::Auth,
         "A clientInfo that is not an object MUST get -32602 with data {\"field\":\"clientInfo\"}.",
         bad_client_info});
  c.add({"4.7/1", Tier::Must, Group::Auth,
         "On the third failed attempt the sidecar MUST send its error response, then close with "
         "4401; not before.",
         lockout});
  c.add({"4.7/2", Tier::Must, Group::Auth,
         "Attempts answered with -32602 count as failed attempts toward the 4401 close.",
         lockout_counts_bad_params});
  c.add(
      {"4.8/1", Tier::Must, Group::Auth,
       "A connection not authenticated within 10,000 ms (sidecar clock) MUST be closed with 4408.",
       [](CaseContext& ctx) { return deadline(ctx, false); }, std::chrono::milliseconds(14000)});
  c.add({"4.8/2", Tier::Must, Group::Auth,
         "Once authentication has succeeded, the deadline no longer applies to that connection.",
         [](CaseContext& ctx) { return deadline(ctx, true); }, std::chrono::milliseconds(14000)});
  c.add({"11.1/1", Tier::Must, Group::Auth,
         "test.* methods MUST require authentication like every other method (-32001 before).",
         test_methods_gated});
  c.add({"4.9/1", Tier::Must, Group::Auth,
         "Each connection gets a new session with a well-formed sessionId; re-authenticating "
         "returns the same one.",
         session_ids});
}

}  // namespace flake::conform
