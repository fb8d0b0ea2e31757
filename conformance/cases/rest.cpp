// §9 REST over plain HTTP, plus the HTTP side of admission (§1.4), Host/Origin (§4.3, §4.4) and
// Bearer authentication (§4.10). A sidecar without REST endpoints reports unimplemented.
#include "conformance/cases/case_util.hpp"
#include "conformance/cases/cases.hpp"
#include "conformance/cases/rest_case_util.hpp"
#include "conformance/client/http_client.hpp"

namespace flake::conform {
namespace {

// The shared REST helpers (rest_case_util.hpp).
using rest::get;
using rest::json_body;
using rest::post_json;
using rest::require_error_body;
using rest::require_rest;
using rest::require_status;
using rest::send;

// The first request to an endpoint under test: 404 means the sidecar lacks it.
HttpResponse send_to_endpoint(CaseContext& ctx, HttpRequest request) {
  const std::string what = request.method + " " + request.path;
  HttpResponse r = send(ctx, std::move(request));
  if (r.complete && r.status == 404) unimplemented_case(what + " answers 404");
  return r;
}

HttpRequest& bearer(CaseContext& ctx, HttpRequest& r) {
  r.headers.emplace_back("Authorization", "Bearer " + ctx.target().token);
  return r;
}

Outcome health(CaseContext& ctx) {
  require_rest(ctx);
  const HttpResponse r = send(ctx, get("/api/v1/health"));
  require_status(r, 200, "GET /api/v1/health without credentials");
  require(r.head.header("content-type").value_or("").rfind("application/json", 0) == 0,
          "Content-Type: application/json", r.head.header("content-type").value_or("none"));
  const json body = json_body(r, "health");
  require(body.value("status", "") == "ok" && body.value("protocol", "") == "flake.v1" &&
              body.contains("version") && body["version"].is_string(),
          "{\"status\":\"ok\",\"protocol\":\"flake.v1\",\"version\":<string>}", show(body));
  return pass();
}

Outcome health_host_check(CaseContext& ctx) {
  require_rest(ctx);
  HttpRequest r = get("/api/v1/health");
  r.host = "evil.example:" + std::to_string(ctx.target().url.port);
  require_error_body(send(ctx, r), 403, -32008, "GET /api/v1/health with Host evil.example");
  HttpRequest none = get("/api/v1/health");
  none.omit_host = true;
  require_error_body(send(ctx, none), 403, -32008, "GET /api/v1/health without Host");
  return pass();
}

Outcome two_hosts(CaseContext& ctx) {
  require_rest(ctx);
  HttpRequest r = get("/api/v1/health");
  r.headers = {{"Host", ctx.target().url.authority}};
  require_status(send(ctx, r), 400, "a request with two Host headers");
  return pass();
}

Outcome health_origin_check(CaseContext& ctx) {
  require_rest(ctx);
  HttpRequest r = get("/api/v1/health");
  r.headers = {{"Origin", "https://evil.example"}};
  require_error_body(send(ctx, r), 403, -32008,
                     "GET /api/v1/health with Origin https://evil.example");
  return pass();
}

Outcome bearer_required(CaseContext& ctx) {
  require_rest(ctx);
  const HttpResponse none = send_to_endpoint(ctx, get("/api/v1/vercel/dashboard"));
  require_error_body(none, 401, -32001, "GET /api/v1/vercel/dashboard without Authorization");
  require(header_has_token(none.head.header("www-authenticate").value_or(""), "Bearer") ||
              none.head.header("www-authenticate").value_or("").rfind("Bearer", 0) == 0,
          "WWW-Authenticate: Bearer", none.head.header("www-authenticate").value_or("none"));
  HttpRequest wrong = get("/api/v1/vercel/dashboard");
  wrong.headers = {{"Authorization", "Bearer " + ctx.target().token + "x"}};
  require_error_body(send(ctx, wrong), 401, -32001, "a wrong Bearer token");
  HttpRequest lower = get("/api/v1/vercel/dashboard");
  lower.headers = {{"Authorization", "bearer " + ctx.target().token}};
  require_status(send(ctx, lower), 200,
                 "scheme \"bearer\" (case-insensitive) with the right token");
  return pass();
}

Outcome dashboards(CaseContext& ctx) {
  require_rest(ctx);
  auto rpc = ctx.connect_authenticated();
  const json ws_doc = ctx.call_result(*rpc, "vercel.getDashboard", nullptr);
  HttpRequest one = get("/api/v1/vercel/dashboard");
  const HttpResponse r = send_to_endpoint(ctx, bearer(ctx, one));
  require_status(r, 200, "GET /api/v1/vercel/dashboard");
  require(json_body(r, "dashboard") == ws_doc, "the document vercel.getDashboard returns",
          WireLog::summarize_text(r.body, 200));
  const json multi = ctx.call_result(*rpc, "multi.getDashboard", nullptr);
  HttpRequest all = get("/api/v1/multi/dashboard");
  const HttpResponse m = send_to_endpoint(ctx, bearer(ctx, all));
  require_status(m, 200, "GET /api/v1/multi/dashboard");
  require(json_body(m, "multi dashboard") == multi, "the document multi.getDashboard returns",
          WireLog::summarize_text(m.body, 200));
  HttpRequest unknown = get("/api/v1/nosuch/dashboard");
  const HttpResponse u = send(ctx, bearer(ctx, unknown));
  require_error_body(u, 404, -32004, "GET /api/v1/nosuch/dashboard");
  require(
      json_body(u, "404")["error"].value("data", json()).value("resource", "") == "service:nosuch",
      "data {\"resource\":\"service:nosuch\"}", WireLog::summarize_text(u.body, 200));
  return pass();
}

Outcome rpc_over_http(CaseContext& ctx) {
  require_rest(ctx);
  HttpRequest ping = post_json("/api/v1/rpc", R"({"jsonrpc":"2.0","id":1,"method":"system.ping"})");
  const HttpResponse r = send_to_endpoint(ctx, bearer(ctx, ping));
  require_status(r, 200, "POST /api/v1/rpc system.ping");
  const json body = json_body(r, "rpc");
  require(body.is_object() && body.value("id", json()) == 1 && body.contains("result") &&
              body["result"].contains("now"),
          "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"now\":...}}", show(body));
  HttpRequest bad = post_json("/api/v1/rpc", R"({"jsonrpc":)");
  const HttpResponse e = send(ctx, bearer(ctx, bad));
  require_status(e, 200, "POST /api/v1/rpc with unparseable JSON (answers come with 200)");
  require_error_value(json_body(e, "parse error"), -32700, nullptr, "unparseable body");
  HttpRequest socket_only = post_json(
      "/api/v1/rpc",
      R"({"jsonrpc":"2.0","id":2,"method":"logs.subscribe","params":{"service":"vercel"}})");
  const HttpResponse s = send(ctx, bearer(ctx, socket_only));
  require_status(s, 200, "POST /api/v1/rpc logs.subscribe");
  require_error_value(json_body(s, "socket-only"), -32601, 2, "socket-only method over HTTP");
  HttpRequest note = post_json("/api/v1/rpc", R"({"jsonrpc":"2.0","method":"system.ping"})");
  const HttpResponse n = send(ctx, bearer(ctx, note));
  require(n.complete && n.status == 204 && n.body.empty(),
          "a notification-only body: HTTP 204, no body",
          "HTTP " + std::to_string(n.status) + " " + WireLog::summarize_text(n.body, 100));
  return pass();
}

Outcome content_type(CaseContext& ctx) {
  require_rest(ctx);
  const std::string ping = R"({"jsonrpc":"2.0","id":1,"method":"system.ping"})";
  HttpRequest probe = post_json("/api/v1/rpc", ping);
  send_to_endpoint(ctx, bearer(ctx, probe));
  HttpRequest none = post_json("/api/v1/rpc", ping);
  none.headers.clear();
  require_error_body(send(ctx, bearer(ctx, none)), 415, -32600, "POST without Content-Type");
  HttpRequest plain = post_json("/api/v1/rpc", ping);
  plain.headers = {{"Content-Type", "text/plain"}};
  require_error_body(send(ctx, bearer(ctx, plain)), 415, -32600,
                     "POST with Content-Type text/plain");
  HttpRequest mixed = post_json("/api/v1/rpc", ping);
  mixed.headers = {{"Content-Type", "Application/JSON; charset=utf-8"}};
  require_status(send(ctx, bearer(ctx, mixed)), 200,
                 "Content-Type Application/JSON; charset=utf-8");
  return pass();
}

Outcome cors(CaseContext& ctx) {
  require_rest(ctx);
  HttpRequest r = get("/api/v1/health");
  r.headers = {{"Origin", "tauri://localhost"}};
  const HttpResponse a = send(ctx, r);
  require_status(a, 200, "GET /api/v1/health with an allowed Origin");
  require(a.head.header("access-control-allow-origin").value_or("") == "tauri://localhost",
          "Access-Control-Allow-Origin: tauri://localhost",
          a.head.header("access-control-allow-origin").value_or("none"));
  require(header_has_token(a.head.combined("vary").value_or(""), "Origin"), "Vary: Origin",
          a.head.combined("vary").value_or("none"));
  HttpRequest pre;
  pre.method = "OPTIONS";
  pre.path = "/api/v1/health";
  pre.headers = {{"Origin", "tauri://localhost"},
                 {"Access-Control-Request-Method", "POST"},
                 {"Access-Control-Request-Headers", "authorization, content-type"}};
  const HttpResponse p = send(ctx, pre);
  require_status(p, 204, "OPTIONS /api/v1/rpc preflight without authentication");
  const std::string headers = p.head.combined("access-control-allow-headers").value_or("");
  for (const char* h : {"Authorization", "Content-Type", "Last-Event-ID"}) {
    require(header_has_token(headers, h), std::string("Access-Control-Allow-Headers with ") + h,
            headers.empty() ? "none" : headers);
  }
  const std::string methods = p.head.combined("access-control-allow-methods").value_or("");
  for (const char* m : {"GET", "POST", "OPTIONS"}) {
    require(header_has_token(methods, m), std::string("Access-Control-Allow-Methods with ") + m,
            methods.empty() ? "none" : methods);
  }
  return pass();
}

Outcome unknown_path_and_method(CaseContext& ctx) {
  require_rest(ctx);
  HttpRequest unknown = get("/api/v1/no-such-endpoint");
  require_error_body(send(ctx, bearer(ctx, unknown)), 404, -32004, "GET /api/v1/no-such-endpoint");
  HttpRequest wrong = post_json("/api/v1/health", "{}");
  const HttpResponse r = send(ctx, bearer(ctx, wrong));
  require_error_body(r, 405, -32600, "POST /api/v1/health");
  require(header_has_token(r.head.combined("allow").value_or(""), "GET"),
          "an Allow header listing GET", r.head.combined("allow").value_or("none"));
  return pass();
}

Outcome ticket(CaseContext& ctx) {
  require_rest(ctx);
  HttpRequest r = post_json("/api/v1/auth/ticket", "");
  const HttpResponse t = send_to_endpoint(ctx, bearer(ctx, r));
  require_status(t, 200, "POST /api/v1/auth/ticket with an empty body");
  const json body = json_body(t, "ticket");
  require(body.contains("ticket") && body["ticket"].is_string() &&
              body.value("expiresInMs", 0) == 30000,
          "{\"ticket\":<string>,\"expiresInMs\":30000}", show(body));
  return pass();
}

}  // namespace

void add_rest_cases(Catalog& c) {
  c.add({"1.4/1", Tier::Must, Group::Rest, "A request with two or more Host headers MUST get 400.",
         two_hosts});
  c.add({"4.3/6", Tier::Must, Group::Rest,
         "The Host check MUST apply to every HTTP request, health included (403, -32008).",
         health_host_check});
  c.add({"4.4/4", Tier::Must, Group::Rest,
         "The Origin check MUST apply to every endpoint, health included (403, -32008).",
         health_origin_check});
  c.add({"4.10/1", Tier::Must, Group::Rest,
         "HTTP endpoints but health MUST require Authorization: Bearer (scheme case-insensitive); "
         "else 401, WWW-Authenticate, -32001.",
         bearer_required});
  c.add({"9.2/1", Tier::Must, Group::Rest,
         "An unknown path MUST get 404 (-32004); a known path with a wrong method 405 (-32600) "
         "with an Allow header.",
         unknown_path_and_method});
  c.add(
      {"9.4/1", Tier::Must, Group::Rest,
       "A POST without Content-Type application/json MUST get 415 and -32600; parameters and case "
       "do not matter.",
       content_type});
  c.add({"9.5/1", Tier::Must, Group::Rest,
         "An allowed Origin gets Access-Control-Allow-Origin with that value and Vary: Origin; "
         "preflights get 204.",
         cors});
  c.add({"9.7/1", Tier::Must, Group::Rest,
         "POST /api/v1/rpc answers JSON-RPC with HTTP 200 (errors included), 204 for "
         "notifications, -32601 for socket-only methods.",
         rpc_over_http});
  c.add({"9.8/1", Tier::Must, Group::Rest,
         "GET /api/v1/health MUST answer 200 {\"status\":\"ok\",\"protocol\":\"flake.v1\","
         "\"version\"} without authentication.",
         health});
  c.add({"9.9/1", Tier::Must, Group::Rest,
         "The dashboard endpoints MUST answer the documents of getDashboard and "
         "multi.getDashboard; unknown service 404.",
         dashboards});
  c.add({"9.11/1", Tier::Must, Group::Rest,
         "POST /api/v1/auth/ticket MUST answer 200 {\"ticket\",\"expiresInMs\":30000}.", ticket});
}

}  // namespace flake::conform
