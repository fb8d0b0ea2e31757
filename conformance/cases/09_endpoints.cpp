// §9.7-9.11: POST /api/v1/rpc, health, dashboards and actions, log export, tickets.

#include "conformance/cases/case_util.hpp"
#include "conformance/cases/cases.hpp"
#include "conformance/cases/rest_case_util.hpp"
#include "conformance/client/http_client.hpp"

namespace flake::conform {
namespace {

using namespace rest;  // the shared REST helpers (rest_case_util.hpp)

constexpr const char* kService = "supabase";

constexpr int kEmitted = 3;

HttpRequest export_request(CaseContext& ctx, const std::string& query,
                           std::optional<std::string> accept) {
  HttpRequest r = with_bearer(ctx, get(std::string("/api/v1/logs/") + kService + query));
  if (accept) r.headers.emplace_back("Accept", *accept);
  return r;
}

// The document shape of §9.10 and the just-emitted entries as the newest ones, in order.
void require_export_document(const json& doc, std::string_view how) {
  const std::string what(how);
  require(
      doc.is_object() && doc.value("service", "") == kService &&
          doc.value("timeRange", "") == "1h" && has_integer(doc, "totalEntries") &&
          has_array(doc, "entries"),
      what +
          ": {\"service\":\"supabase\",\"timeRange\":\"1h\",\"totalEntries\":n,\"entries\":[...]}",
      show(doc));
  const json& entries = doc["entries"];
  require(doc["totalEntries"].get<std::int64_t>() == static_cast<std::int64_t>(entries.size()),
          what + ": totalEntries equal to the number of entries",
          "totalEntries " + show(doc["totalEntries"]) + ", " + std::to_string(entries.size()) +
              " entries");
  // The newest kEmitted entries from test.emitLogs: n = 0, 1, 2 of the last emission, in order.
  std::vector<std::int64_t> ns;
  for (const json& e : entries) {
    if (is_test_entry(e)) ns.push_back(e["n"].get<std::int64_t>());
  }
  bool found = ns.size() >= kEmitted;
  for (int i = 0; found && i < kEmitted; ++i) found = ns[ns.size() - kEmitted + i] == i;
  require(found,
          what + ": the " + std::to_string(kEmitted) +
              " entries test.emitLogs just produced, last and in order (n = 0, 1, 2)",
          std::to_string(ns.size()) + " test entries, the last " +
              (ns.empty() ? std::string("none") : "n = " + std::to_string(ns.back())));
}

}  // namespace

void add_s9_endpoints_cases(Catalog& c) {
  c.add(
      {.id = "9.7/1",
       .tier = Tier::Must,
       .requirement = "POST /api/v1/rpc answers JSON-RPC with HTTP 200 (errors included), 204 for "
                      "notifications, -32601 for socket-only methods.",
       .run = [](CaseContext& ctx) {
         require_rest(ctx);
         HttpRequest ping =
             post_json("/api/v1/rpc", R"({"jsonrpc":"2.0","id":1,"method":"system.ping"})");
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
         require_error_value(json_body(s, "socket-only"), -32601, 2,
                             "socket-only method over HTTP");
         HttpRequest note = post_json("/api/v1/rpc", R"({"jsonrpc":"2.0","method":"system.ping"})");
         const HttpResponse n = send(ctx, bearer(ctx, note));
         require(n.complete && n.status == 204 && n.body.empty(),
                 "a notification-only body: HTTP 204, no body",
                 "HTTP " + std::to_string(n.status) + " " + WireLog::summarize_text(n.body, 100));
         return pass();
       }});
  c.add(
      {.id = "9.8/1",
       .tier = Tier::Must,
       .requirement =
           "GET /api/v1/health MUST answer 200 "
           "{\"status\":\"ok\",\"protocol\":\"flake.v1\",\"version\"} without authentication.",
       .run = [](CaseContext& ctx) {
         require_rest(ctx);
         const HttpResponse r = send(ctx, get("/api/v1/health"));
         require_status(r, 200, "GET /api/v1/health without credentials");
         require(r.head.header("content-type").value_or("").rfind("application/json", 0) == 0,
                 "Content-Type: application/json", r.head.header("content-type").value_or("none"));
         const json body = json_body(r, "health");
         require(body.value("status", "") == "ok" && body.value("protocol", "") == "flake.v1" &&
                     has_string(body, "version"),
                 "{\"status\":\"ok\",\"protocol\":\"flake.v1\",\"version\":<string>}", show(body));
         return pass();
       }});
  c.add({.id = "9.9/1",
         .tier = Tier::Must,
         .requirement = "The dashboard endpoints MUST answer the documents of getDashboard and "
                        "multi.getDashboard; unknown service 404.",
         .run = [](CaseContext& ctx) {
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
           require(json_body(m, "multi dashboard") == multi,
                   "the document multi.getDashboard returns", WireLog::summarize_text(m.body, 200));
           HttpRequest unknown = get("/api/v1/nosuch/dashboard");
           const HttpResponse u = send(ctx, bearer(ctx, unknown));
           require_error_body(u, 404, -32004, "GET /api/v1/nosuch/dashboard");
           require(json_body(u, "404")["error"].value("data", json()).value("resource", "") ==
                       "service:nosuch",
                   "data {\"resource\":\"service:nosuch\"}", WireLog::summarize_text(u.body, 200));
           return pass();
         }});
  c.add({.id = "9.10/1",
         .tier = Tier::Must,
         .requirement =
             "The log export MUST answer {service,timeRange,totalEntries,entries} with the newest "
             "entries, JSON unless Accept lists application/msgpack (q > 0), with Vary: Accept.",
         .run = [](CaseContext& ctx) {
           require_rest(ctx);
           {
             auto rpc = ctx.connect_authenticated();
             ctx.call_test_method(
                 *rpc, "test.emitLogs",
                 {{"service", kService}, {"count", kEmitted}, {"perNotification", 1}});
           }
           const HttpResponse j = send(ctx, export_request(ctx, "?timeRange=1h", std::nullopt));
           if (j.complete && j.status == 404)
             unimplemented_case("GET /api/v1/logs/supabase answers 404");
           require_status(j, 200, "GET /api/v1/logs/supabase?timeRange=1h");
           require(j.head.header("content-type").value_or("").rfind("application/json", 0) == 0,
                   "without Accept: Content-Type: application/json",
                   j.head.header("content-type").value_or("none"));
           require(header_has_token(j.head.combined("vary").value_or(""), "Accept"), "Vary: Accept",
                   j.head.combined("vary").value_or("none"));
           require_export_document(json_body(j, "export"), "the JSON export");

           const HttpResponse m = send(
               ctx,
               export_request(ctx, "?timeRange=1h", "application/json;q=0.5, application/msgpack"));
           require_status(m, 200, "the export with Accept: application/msgpack");
           require(m.head.header("content-type").value_or("").rfind("application/msgpack", 0) == 0,
                   "Accept listing application/msgpack: Content-Type: application/msgpack",
                   m.head.header("content-type").value_or("none"));
           require(header_has_token(m.head.combined("vary").value_or(""), "Accept"),
                   "the MessagePack export: Vary: Accept",
                   m.head.combined("vary").value_or("none"));
           const json unpacked = json::from_msgpack(m.body, true, false);
           require(!unpacked.is_discarded(), "a MessagePack body",
                   WireLog::summarize_text(m.body, 100));
           require_export_document(unpacked, "the MessagePack export");

           const HttpResponse q0 =
               send(ctx, export_request(ctx, "?timeRange=1h", "application/msgpack;q=0"));
           require_status(q0, 200, "the export with Accept: application/msgpack;q=0");
           require(q0.head.header("content-type").value_or("").rfind("application/json", 0) == 0,
                   "Accept: application/msgpack;q=0: Content-Type: application/json",
                   q0.head.header("content-type").value_or("none"));
           return pass();
         }});
  c.add({.id = "9.10/2",
         .tier = Tier::Must,
         .requirement = "A missing or malformed timeRange MUST get 400 and -32602 "
                        "{\"field\":\"timeRange\"}; an unknown service 404 and -32004.",
         .run = [](CaseContext& ctx) {
           require_rest(ctx);
           for (const char* query : {"", "?timeRange=", "?timeRange=1y", "?timeRange=0h",
                                     "?timeRange=-1h", "?timeRange=1h30m", "?timerange=1h"}) {
             const std::string what = std::string("GET /api/v1/logs/supabase") + query;
             const HttpResponse r = send(ctx, export_request(ctx, query, std::nullopt));
             if (r.complete && r.status == 404 && std::string_view(query).empty())
               unimplemented_case(what + " answers 404");
             const json body = require_error_body(r, 400, -32602, what);
             require(body["error"].value("data", json()).value("field", "") == "timeRange",
                     what + ": data {\"field\":\"timeRange\"}", show(body));
           }
           HttpRequest unknown = with_bearer(ctx, get("/api/v1/logs/nosuch?timeRange=1h"));
           require_error_body(send(ctx, unknown), 404, -32004,
                              "GET /api/v1/logs/nosuch?timeRange=1h");
           return pass();
         }});
  c.add({.id = "9.11/1",
         .tier = Tier::Must,
         .requirement =
             "POST /api/v1/auth/ticket MUST answer 200 {\"ticket\",\"expiresInMs\":30000}.",
         .run = [](CaseContext& ctx) {
           require_rest(ctx);
           HttpRequest r = post_json("/api/v1/auth/ticket", "");
           const HttpResponse t = send_to_endpoint(ctx, bearer(ctx, r));
           require_status(t, 200, "POST /api/v1/auth/ticket with an empty body");
           const json body = json_body(t, "ticket");
           require(has_string(body, "ticket") && body.value("expiresInMs", 0) == 30000,
                   "{\"ticket\":<string>,\"expiresInMs\":30000}", show(body));
           return pass();
         }});
}

}  // namespace flake::conform
