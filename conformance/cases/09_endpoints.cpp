// §9.7-9.11: POST /api/v1/rpc, health, dashboards and actions, log export, tickets.

#include <charconv>
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

// POST /api/v1/{service}/action with `body`, with the Bearer token.
HttpResponse action(CaseContext& ctx, const std::string& service, std::string body) {
  return send(ctx, with_bearer(ctx, post_json("/api/v1/" + service + "/action", std::move(body))));
}

// The head and body of a response read from a raw socket, framed by Content-Length.
HttpResponse read_framed(TcpSocket& socket, Deadline deadline) {
  HttpResponse response;
  std::string buffered;
  HeadRead read = read_response_head(socket, buffered, deadline);
  if (read.status != HeadRead::Status::Ok) {
    response.error =
        read.status == HeadRead::Status::Timeout ? "no answer in time" : "no answer: " + read.error;
    return response;
  }
  response.head = std::move(read.head);
  response.status = response.head.status;
  std::size_t length = 0;
  const std::string cl = response.head.header("content-length").value_or("0");
  std::from_chars(cl.data(), cl.data() + cl.size(), length);
  char buf[4096];
  while (buffered.size() < length) {
    const RecvResult r = socket.recv_some(buf, sizeof buf, deadline);
    if (r.status != IoStatus::Ok) {
      response.error = "the body ended early";
      return response;
    }
    buffered.append(buf, r.bytes);
  }
  response.body = buffered.substr(0, length);
  response.complete = true;
  return response;
}

}  // namespace

void add_s9_endpoints_cases(Catalog& c) {
  c.add(
      {.id = "9.7/1",
       .tier = Tier::Must,
       .requirement = "POST /api/v1/rpc answers JSON-RPC with HTTP 200 (errors included), 204 for "
                      "notifications, -32601 for socket-only methods.",
       .rules = {"9.7a", "9.7c", "9.7d", "9.7e", "9.7f", "9.1b"},
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

  // §9.7b: only the head is sent; the 413 must come without the body.
  c.add(
      {.id = "9.7/2",
       .tier = Tier::Must,
       .requirement = "A POST whose Content-Length is over --max-message-bytes MUST get 413, "
                      "-32005 {\"maxBytes\":<limit>}, without the body being sent.",
       .rules = {"9.7b", "3.10b"},
       .run = [](CaseContext& ctx) {
         require_rest(ctx);
         const json& caps = ctx.capabilities();
         require(has_integer(caps, "maxMessageBytes"), "capabilities.maxMessageBytes", show(caps));
         const std::int64_t limit = caps["maxMessageBytes"].get<std::int64_t>();
         TcpSocket socket;
         require(socket.connect(ctx.target().url.host, ctx.target().url.port, ctx.deadline()),
                 "a TCP connection", "connect failed");
         const std::string head =
             "POST /api/v1/rpc HTTP/1.1\r\nHost: " + ctx.target().url.authority +
             "\r\nAuthorization: Bearer " + ctx.target().token +
             "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(limit + 1) +
             "\r\n\r\n";
         require(socket.send_all(head, ctx.deadline()) == IoStatus::Ok, "the request head sent",
                 "send failed");
         const HttpResponse r =
             read_framed(socket, ctx.deadline_after(std::chrono::milliseconds(3000)));
         const json body = require_error_body(
             r, 413, -32005, "Content-Length " + std::to_string(limit + 1) + ", no body sent");
         const json& data = body["error"].value("data", json());
         require(has_integer(data, "maxBytes") && data["maxBytes"].get<std::int64_t>() == limit,
                 "data {\"maxBytes\":" + std::to_string(limit) + "}", show(body));
         return pass();
       }});
  c.add(
      {.id = "9.8/1",
       .tier = Tier::Must,
       .requirement =
           "GET /api/v1/health MUST answer 200 "
           "{\"status\":\"ok\",\"protocol\":\"flake.v1\",\"version\"} without authentication.",
       .rules = {"9.8a", "9.1d"},
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

  c.add({.id = "9.8/2",
         .tier = Tier::Must,
         .requirement = "GET /api/v1/health MUST still apply the Host and Origin checks: a "
                        "foreign Origin or Host gets 403.",
         .rules = {"9.8b"},
         .run = [](CaseContext& ctx) {
           require_rest(ctx);
           HttpRequest origin = get("/api/v1/health");
           origin.headers = {{"Origin", "https://evil.example"}};
           require_error_body(send(ctx, origin), 403, -32008,
                              "GET /api/v1/health with Origin: https://evil.example");
           HttpRequest host = get("/api/v1/health");
           host.host = "evil.example";
           require_error_body(send(ctx, host), 403, -32008,
                              "GET /api/v1/health with Host: evil.example");
           return pass();
         }});
  // One kept-alive connection: twice as many health requests as the bucket holds, then requests
  // that cost a token until 429. Counting needs a bucket of the suite's size (§1.8).
  c.add({.id = "9.8/3",
         .tier = Tier::Must,
         .requirement = "Health MUST NOT cost rate-limit tokens: after twice burst health "
                        "requests on a connection, burst requests are still admitted there.",
         .rules = {"9.8c"},
         .budget = std::chrono::milliseconds(20000),
         .run = [](CaseContext& ctx) {
           require_rest(ctx);
           const json rl = ctx.capabilities().value("rateLimit", json());
           const double rate = rl.value("rate", 0.0);
           const double burst = rl.value("burst", 0.0);
           if (rate <= 0) skip_case("the rate limit is off (capabilities.rateLimit.rate 0)");
           if (burst > 5000 || rate > 5000)
             skip_case("a bucket of burst " + fmt(burst) + " is too large to count quickly");
           HttpPipeline pipe;
           require(pipe.connect(ctx), "a TCP connection", "connect failed");
           const int health = static_cast<int>(2 * burst);
           std::string window;
           for (int i = 0; i < 100; ++i) window += wire_get(ctx, "/api/v1/health", false);
           for (int sent = 0; sent < health; sent += 100) {
             require(pipe.send(window, ctx.deadline()), "pipelined health requests sent",
                     "send failed");
             for (int i = 0; i < 100; ++i) {
               const HttpResponse r = pipe.receive(ctx.deadline());
               require(r.complete && r.status == 200,
                       "200 for every health request on one kept-alive connection",
                       status_text(r) + " after " + std::to_string(sent + i) + " requests");
             }
           }
           const HttpAdmitted a = pipeline_until_429(
               ctx, pipe, wire_get(ctx, "/api/v1/logs/supabase?timeRange=x", true),
               static_cast<std::int64_t>(3 * burst));
           require(static_cast<double>(a.admitted) >= burst,
                   "at least burst (" + fmt(burst) + ") requests admitted after " +
                       std::to_string(health) + " health requests",
                   std::to_string(a.admitted) + " admitted before 429");
           return pass(std::to_string(a.admitted) + " admitted after " + std::to_string(health) +
                       " health requests");
         }});
  c.add({.id = "9.9/1",
         .tier = Tier::Must,
         .requirement = "The dashboard endpoints MUST answer the documents of getDashboard and "
                        "multi.getDashboard; unknown service 404.",
         .rules = {"9.9a", "9.9b", "9.9c"},
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

  c.add({.id = "9.9/2",
         .tier = Tier::Must,
         .requirement = "POST /api/v1/{service}/action MUST answer 200 with the method's result as "
                        "the whole body; its errors get the status of §3.10, an unknown action "
                        "404 and -32601.",
         .rules = {"9.9d", "9.9f", "9.9g"},
         .run = [](CaseContext& ctx) {
           require_rest(ctx);
           auto rpc = ctx.connect_authenticated();
           const json dashboard = ctx.call_result(*rpc, "vercel.getDashboard", nullptr);
           const HttpResponse d = send_to_endpoint(
               ctx, with_bearer(
                        ctx, post_json("/api/v1/vercel/action", R"({"action":"getDashboard"})")));
           require_status(d, 200, "action getDashboard");
           require(json_body(d, "action getDashboard") == dashboard,
                   "the document vercel.getDashboard returns, as the whole body",
                   WireLog::summarize_text(d.body, 200));
           const json page = ctx.call_result(*rpc, "vercel.getProjects", {{"limit", 2}});
           const HttpResponse p =
               action(ctx, "vercel", R"({"action":"getProjects","params":{"limit":2}})");
           require_status(p, 200, "action getProjects with params {\"limit\":2}");
           const json body = json_body(p, "action getProjects");
           require(body.is_object() &&
                       body.value("projects", json()) == page.value("projects", json()) &&
                       body.value("projects", json()).size() == 2,
                   "the 2 projects vercel.getProjects {\"limit\":2} returns",
                   WireLog::summarize_text(p.body, 200));
           require_error_body(
               action(ctx, "vercel", R"({"action":"getProjects","params":{"limit":0}})"), 400,
               -32602, "action getProjects with limit 0 (-32602: HTTP 400)");
           require_error_body(action(ctx, "vercel", R"({"action":"noSuchAction"})"), 404, -32601,
                              "action noSuchAction");
           return pass();
         }});
  c.add({.id = "9.9/3",
         .tier = Tier::Must,
         .requirement = "An action body that is not a JSON object with a string action MUST get "
                        "400: -32700 if it is not JSON, -32600 otherwise.",
         .rules = {"9.9e"},
         .run = [](CaseContext& ctx) {
           require_rest(ctx);
           require_error_body(action(ctx, "vercel", "getDashboard"), 400, -32700,
                              "an action body that is not JSON");
           for (const char* body :
                {"[]", R"({"params":{}})", R"({"action":7})", "\"getDashboard\""}) {
             require_error_body(action(ctx, "vercel", body), 400, -32600,
                                std::string("the action body ") + body);
           }
           return pass();
         }});
  c.add({.id = "9.10/1",
         .tier = Tier::Must,
         .requirement =
             "The log export MUST answer {service,timeRange,totalEntries,entries} with the newest "
             "entries, JSON unless Accept lists application/msgpack (q > 0), with Vary: Accept.",
         .rules = {"9.10a", "9.10c", "9.10d", "9.10e", "9.10f", "9.1d"},
         .budget = std::chrono::milliseconds(30000),  // three exports of the whole history
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
         .rules = {"9.10b", "9.10g"},
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

  c.add({.id = "9.10/3",
         .tier = Tier::Must,
         .requirement = "/api/v1/logs/dashboard and /api/v1/logs/action MUST be log exports (of "
                        "services dashboard and action): GET 404 service:<name>, POST 405.",
         .rules = {"9.10h"},
         .run = [](CaseContext& ctx) {
           require_rest(ctx);
           for (const char* name : {"dashboard", "action"}) {
             const std::string path = std::string("/api/v1/logs/") + name;
             const HttpResponse g = send(ctx, with_bearer(ctx, get(path + "?timeRange=1h")));
             const json body = require_error_body(g, 404, -32004, "GET " + path + "?timeRange=1h");
             require(
                 body["error"].value("data", json()).value("resource", "") ==
                     std::string("service:") + name,
                 "GET " + path + ": the log export's data {\"resource\":\"service:" + name + "\"}",
                 show(body));
             const HttpResponse p =
                 send(ctx, with_bearer(ctx, post_json(path, R"({"action":"getDashboard"})")));
             require_error_body(p, 405, -32600, "POST " + path + " (a GET path)");
           }
           return pass();
         }});
  c.add({.id = "9.11/1",
         .tier = Tier::Must,
         .requirement =
             "POST /api/v1/auth/ticket MUST answer 200 {\"ticket\",\"expiresInMs\":30000}.",
         .rules = {"9.11a", "9.11b"},
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

  c.add({.id = "9.11/2",
         .tier = Tier::Must,
         .requirement = "A ticket request body MUST be accepted when empty (whitespace) or an "
                        "object; otherwise 400, -32700 if not JSON, -32600 otherwise.",
         .rules = {"9.11b", "9.11c"},
         .run = [](CaseContext& ctx) {
           require_rest(ctx);
           for (const char* body : {" \r\n", R"({"purpose":"logs"})"}) {
             const HttpResponse t =
                 send_to_endpoint(ctx, with_bearer(ctx, post_json("/api/v1/auth/ticket", body)));
             require_status(t, 200, "a ticket request with the body " + show(json(body)));
             require(has_string(json_body(t, "ticket"), "ticket"), "{\"ticket\":<string>,...}",
                     WireLog::summarize_text(t.body, 200));
           }
           require_error_body(
               send(ctx, with_bearer(ctx, post_json("/api/v1/auth/ticket", "ticket please"))), 400,
               -32700, "a ticket request whose body is not JSON");
           for (const char* body : {"[]", "\"logs\"", "null"}) {
             require_error_body(send(ctx, with_bearer(ctx, post_json("/api/v1/auth/ticket", body))),
                                400, -32600, std::string("a ticket request with the body ") + body);
           }
           return pass();
         }});
}

}  // namespace flake::conform
