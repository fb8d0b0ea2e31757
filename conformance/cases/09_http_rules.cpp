// §9.1-9.6: HTTP basics, status codes, error responses, Content-Type, CORS, compression.

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <memory>
#include <thread>
#include <vector>
#include "conformance/cases/case_util.hpp"
#include "conformance/cases/cases.hpp"
#include "conformance/cases/rest_case_util.hpp"
#include "conformance/client/data_codec.hpp"
#include "conformance/client/http_client.hpp"

namespace flake::conform {
namespace {

using namespace rest;  // the shared REST helpers (rest_case_util.hpp)

HttpRequest multi_dashboard(CaseContext& ctx, std::optional<std::string> accept_encoding) {
  HttpRequest r = with_bearer(ctx, get("/api/v1/multi/dashboard"));
  if (accept_encoding) r.headers.emplace_back("Accept-Encoding", *accept_encoding);
  return r;
}

// The plain multi dashboard: a JSON body well over 1 KiB, the input of both gzip cases.
json plain_dashboard(CaseContext& ctx) {
  const HttpResponse plain = send(ctx, multi_dashboard(ctx, std::nullopt));
  if (plain.complete && plain.status == 404)
    unimplemented_case("GET /api/v1/multi/dashboard answers 404");
  require_status(plain, 200, "GET /api/v1/multi/dashboard without Accept-Encoding");
  require(!plain.head.header("content-encoding").has_value() ||
              plain.head.header("content-encoding") == "identity",
          "no Content-Encoding without Accept-Encoding",
          "Content-Encoding: " + plain.head.header("content-encoding").value_or(""));
  const json doc = json_body(plain, "plain multi dashboard");
  if (plain.body.size() <= 1024)
    skip_case("the multi dashboard is only " + std::to_string(plain.body.size()) + " bytes");
  return doc;
}

// §9.3: Retry-After in whole seconds, at least 1.
void require_retry_after(const HttpResponse& r, std::string_view what) {
  const std::string value = r.head.header("retry-after").value_or("");
  long long seconds = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  require(!value.empty() && ec == std::errc() && end == value.data() + value.size() && seconds >= 1,
          std::string(what) + ": Retry-After: <whole seconds >= 1>",
          value.empty() ? "no Retry-After" : "Retry-After: " + value);
}

// Not part of the verdict: lets the sidecar notice the closed streams before the next case, which
// would otherwise find the cap still reached.
void wait_for_free_slot(CaseContext& ctx) {
  // A sidecar may notice closed SSE responses only on its next write or tick: give it a second.
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  const auto until = Clock::now() + std::chrono::milliseconds(4000);
  while (Clock::now() < until) {
    SseStream probe;
    const HttpResponse a =
        probe.open(ctx.target().url, with_bearer(ctx, get("/api/v1/stream/deployments")),
                   ctx.deadline(), &ctx.log(), ctx.next_connection_number());
    if (a.complete && a.status == 200) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

// The Host header line the raw requests of this file carry.
std::string host_line(CaseContext& ctx) {
  return "Host: " + ctx.target().url.authority + "\r\n";
}

// "HTTP 405" or the reason no answer was read.
std::string head_text(const HeadRead& read) {
  return read.status == HeadRead::Status::Ok        ? "HTTP " + std::to_string(read.head.status)
         : read.status == HeadRead::Status::Timeout ? "no answer in time"
                                                    : "no answer: " + read.error;
}

// An OPTIONS preflight from the allowed Origin tauri://localhost.
HttpRequest preflight(std::string path) {
  HttpRequest r;
  r.method = "OPTIONS";
  r.path = std::move(path);
  r.headers = {{"Origin", "tauri://localhost"},
               {"Access-Control-Request-Method", "GET"},
               {"Access-Control-Request-Headers", "authorization"}};
  return r;
}

}  // namespace

void add_s9_http_rules_cases(Catalog& c) {
  // A chunked POST /api/v1/rpc ping: a sidecar MAY decode it (then it answers the ping) and MUST
  // otherwise refuse it with 400. Taking it as an empty or unparseable body is neither.
  c.add({.id = "9.1/1",
         .tier = Tier::Must,
         .requirement = "A Transfer-Encoding: chunked request body MUST be decoded (MAY) or "
                        "answered with 400; it is never taken as an empty body.",
         .rules = {"9.1c"},
         .run = [](CaseContext& ctx) {
           require_rest(ctx);
           const std::string ping = R"({"jsonrpc":"2.0","id":7,"method":"system.ping"})";
           HttpRequest r = with_bearer(ctx, post_json("/api/v1/rpc", ""));
           r.headers.emplace_back("Transfer-Encoding", "chunked");
           char size[16];
           std::snprintf(size, sizeof size, "%zx", ping.size());
           r.body = std::string(size) + "\r\n" + ping + "\r\n0\r\n\r\n";
           r.raw_body = true;
           const HttpResponse a = send(ctx, r);
           require(a.complete, "an HTTP answer to a chunked POST /api/v1/rpc", a.error);
           if (a.status == 400) {  // §9.2: 400 carries -32700, -32600 or -32602
             const json body = json_body(a, "a refused chunked body");
             const int code = has_object(body, "error") ? body["error"].value("code", 0) : 0;
             require(code == -32700 || code == -32600 || code == -32602,
                     "400 with {\"error\":{\"code\":-32700|-32600|-32602,...}}", show(body));
             return pass("chunked request bodies refused with 400");
           }
           require_status(a, 200, "a chunked POST /api/v1/rpc: 200 (decoded) or 400 (refused)");
           const json body = json_body(a, "chunked ping");
           require(body.is_object() && body.value("id", json()) == 7 && body.contains("result"),
                   "the ping's result with id 7 (the decoded chunked body), or HTTP 400",
                   show(body));
           return pass("chunked request bodies decoded");
         }});

  // §9.1e: HEAD and a GET pipelined behind it. Whatever the HEAD gets (200 or 405, both allowed),
  // what follows its head must be the GET's answer or the end of the connection, not a body.
  c.add({.id = "9.1/2",
         .tier = Tier::Must,
         .requirement = "A response to HEAD MUST NOT carry content: after its head come the next "
                        "response or the end of the connection.",
         .rules = {"9.1e"},
         .run = [](CaseContext& ctx) {
           require_rest(ctx);
           const std::string host = host_line(ctx);
           HttpPipeline conn;
           require(conn.connect(ctx), "a TCP connection", "connect failed");
           require(conn.send("HEAD /api/v1/health HTTP/1.1\r\n" + host +
                                 "\r\nGET /api/v1/health HTTP/1.1\r\n" + host + "\r\n",
                             ctx.deadline()),
                   "the requests sent", "send failed");
           const HeadRead head = conn.receive_head(ctx.deadline());
           require(head.status == HeadRead::Status::Ok &&
                       (head.head.status == 200 || head.head.status == 405),
                   "HEAD /api/v1/health: 200 (as GET) or 405", head_text(head));
           bool ended = false;
           const std::string next =
               conn.following(9, ctx.deadline_after(std::chrono::milliseconds(2000)), ended);
           require((next.empty() && ended) || next == "HTTP/1.1 ",
                   "after the HEAD answer's head: the GET's answer (HTTP/1.1 ...) or the end of "
                   "the connection",
                   next.empty() ? (ended ? std::string("the end") : std::string("nothing"))
                                : WireLog::summarize_text(next, 60));
           return pass(ended ? "HTTP " + std::to_string(head.head.status) + ", then the end"
                             : "HTTP " + std::to_string(head.head.status) +
                                   ", then the GET's answer");
         }});
  c.add({.id = "9.1/3",
         .tier = Tier::Must,
         .requirement = "HTTP/1.1 persistent connections MUST work: two GETs, one after the other, "
                        "on one connection both get their answers.",
         .rules = {"9.1a"},
         .run = [](CaseContext& ctx) {
           require_rest(ctx);
           const std::string get = "GET /api/v1/health HTTP/1.1\r\n" + host_line(ctx) + "\r\n";
           HttpPipeline conn;
           require(conn.connect(ctx), "a TCP connection", "connect failed");
           for (int i = 1; i <= 2; ++i) {
             const std::string what = "GET /api/v1/health number " + std::to_string(i);
             require(conn.send(get, ctx.deadline()), what + " sent on the same connection",
                     "send failed");
             const HttpResponse r = conn.receive(ctx.deadline());
             require(r.complete && r.status == 200, what + ": HTTP 200 on the same connection",
                     r.complete ? "HTTP " + std::to_string(r.status) : "no complete answer");
           }
           return pass();
         }});
  // §9.1f: the head with Expect: 100-continue first, the body after a pause (or after a 100).
  c.add({.id = "9.1/4",
         .tier = Tier::Must,
         .requirement = "A request with Expect: 100-continue MUST get the same final answer as "
                        "without it once its body arrives; 100 Continue before it is optional.",
         .rules = {"9.1f"},
         .run = [](CaseContext& ctx) {
           require_rest(ctx);
           const std::string ping = R"({"jsonrpc":"2.0","id":9,"method":"system.ping"})";
           HttpPipeline conn;
           require(conn.connect(ctx), "a TCP connection", "connect failed");
           require(conn.send("POST /api/v1/rpc HTTP/1.1\r\n" + host_line(ctx) +
                                 "Authorization: Bearer " + ctx.target().token +
                                 "\r\nContent-Type: application/json\r\nContent-Length: " +
                                 std::to_string(ping.size()) + "\r\nExpect: 100-continue\r\n\r\n",
                             ctx.deadline()),
                   "the request head sent", "send failed");
           HeadRead early = conn.receive_head(ctx.deadline_after(std::chrono::milliseconds(500)));
           const bool continued = early.status == HeadRead::Status::Ok && early.head.status == 100;
           require(continued || early.status == HeadRead::Status::Timeout,
                   "before the body: 100 Continue or nothing", head_text(early));
           require(conn.send(ping, ctx.deadline()), "the body sent", "send failed");
           HeadRead final_head = conn.receive_head(ctx.deadline());
           if (!continued && final_head.status == HeadRead::Status::Ok &&
               final_head.head.status == 100)  // a late 100 Continue
             final_head = conn.receive_head(ctx.deadline());
           require(final_head.status == HeadRead::Status::Ok && final_head.head.status == 200,
                   "the final answer: HTTP 200", head_text(final_head));
           const HttpResponse r = conn.body_after(std::move(final_head.head), ctx.deadline());
           const json body = json::parse(r.body, nullptr, false);
           require(r.complete && body.is_object() && body.value("id", json()) == 9 &&
                       body.contains("result"),
                   "the ping's result with id 9", WireLog::summarize_text(r.body, 200));
           return pass(continued ? "100 Continue, then the answer" : "the answer, no 100");
         }});
  c.add({.id = "9.2/1",
         .tier = Tier::Must,
         .requirement = "An unknown path MUST get 404 (-32004); a known path with a wrong method "
                        "405 (-32600) with an Allow header.",
         .rules = {"9.2a", "9.3a"},
         .run = [](CaseContext& ctx) {
           require_rest(ctx);
           HttpRequest unknown = get("/api/v1/no-such-endpoint");
           require_error_body(send(ctx, bearer(ctx, unknown)), 404, -32004,
                              "GET /api/v1/no-such-endpoint");
           HttpRequest wrong = post_json("/api/v1/health", "{}");
           const HttpResponse r = send(ctx, bearer(ctx, wrong));
           require_error_body(r, 405, -32600, "POST /api/v1/health");
           require(header_has_token(r.head.combined("allow").value_or(""), "GET"),
                   "an Allow header listing GET", r.head.combined("allow").value_or("none"));
           return pass();
         }});

  c.add({.id = "9.2/2",
         .tier = Tier::Must,
         .group = Group::Core,  // an upgrade, not a REST endpoint
         .requirement = "An upgrade with a Sec-WebSocket-Version other than 13 MUST get 400 (not "
                        "426) with Sec-WebSocket-Version: 13.",
         .rules = {"9.2b", "9.2a"},
         .run = [](CaseContext& ctx) {
           HttpPipeline conn;
           require(conn.connect(ctx), "a TCP connection", "connect failed");
           require(conn.send("GET /rpc HTTP/1.1\r\n" + host_line(ctx) +
                                 "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                 "Sec-WebSocket-Version: 8\r\n\r\n",
                             ctx.deadline()),
                   "the upgrade request sent", "send failed");
           const HttpResponse a = conn.receive(ctx.deadline());
           require_status(a, 400, "an upgrade with Sec-WebSocket-Version: 8");
           const std::string version = a.head.combined("sec-websocket-version").value_or("");
           require(header_has_token(version, "13"), "Sec-WebSocket-Version: 13 in the 400",
                   version.empty() ? "none" : version);
           const json body = json_body(a, "the 400");
           const int code = has_object(body, "error") ? body["error"].value("code", 0) : 0;
           require(code == -32700 || code == -32600 || code == -32602,
                   "400 with {\"error\":{\"code\":-32700|-32600|-32602,...}}", show(body));
           return pass();
         }});
  c.add({.id = "9.2/3",
         .tier = Tier::Must,
         .requirement = "An unknown {service} in a path MUST get its 404 only after "
                        "authentication: without credentials, 401.",
         .rules = {"9.2c"},
         .run = [](CaseContext& ctx) {
           require_rest(ctx);
           for (const char* path : {"/api/v1/nosuch/dashboard", "/api/v1/logs/nosuch?timeRange=1h",
                                    "/api/v1/stream/logs/nosuch"}) {
             require_error_body(send(ctx, get(path)), 401, -32001,
                                std::string("GET ") + path + " without credentials");
           }
           require_error_body(
               send(ctx, post_json("/api/v1/nosuch/action", R"({"action":"getDashboard"})")), 401,
               -32001, "POST /api/v1/nosuch/action without credentials");
           return pass();
         }});
  c.add({.id = "9.3/1",
         .tier = Tier::Must,
         .requirement = "A 405 MUST carry Allow listing the path's methods; a 401 MUST carry "
                        "WWW-Authenticate: Bearer (REST, RPC and SSE endpoints).",
         .rules = {"9.3b", "9.3d", "9.3a"},
         .run = [](CaseContext& ctx) {
           require_rest(ctx);
           struct Probe {
             const char* method;
             const char* path;
             const char* allowed;  // must be listed
           };
           for (const Probe& p :
                {Probe{"POST", "/api/v1/health", "GET"}, Probe{"GET", "/api/v1/rpc", "POST"},
                 Probe{"POST", "/api/v1/stream/metrics", "GET"},
                 Probe{"GET", "/api/v1/auth/ticket", "POST"}}) {
             HttpRequest r = with_bearer(ctx, get(p.path));
             r.method = p.method;
             if (r.method == "POST") {
               r.headers.emplace_back("Content-Type", "application/json");
               r.body = "{}";
             }
             const std::string what = std::string(p.method) + " " + p.path;
             const HttpResponse a = send(ctx, r);
             require_error_body(a, 405, -32600, what);
             const std::string allow = a.head.combined("allow").value_or("");
             require(header_has_token(allow, p.allowed) && !header_has_token(allow, p.method),
                     what + ": Allow listing " + p.allowed + " and not " + p.method,
                     allow.empty() ? "no Allow header" : "Allow: " + allow);
           }
           const auto challenge = [](const HttpResponse& a, const std::string& what) {
             require_error_body(a, 401, -32001, what);
             const std::string value = a.head.header("www-authenticate").value_or("");
             require(value.size() >= 6 && (value[0] == 'B' || value[0] == 'b') &&
                         (value.size() == 6 || value[6] == ' ' || value[6] == ',') &&
                         std::equal(value.begin() + 1, value.begin() + 6, "earer"),
                     what + ": WWW-Authenticate: Bearer", value.empty() ? "none" : value);
           };
           challenge(send(ctx, post_json("/api/v1/rpc",
                                         R"({"jsonrpc":"2.0","id":1,"method":"system.ping"})")),
                     "POST /api/v1/rpc without Authorization");
           challenge(send(ctx, get("/api/v1/stream/metrics?ticket=not-a-ticket-0123456789")),
                     "GET /api/v1/stream/metrics with an unknown ticket");
           return pass();
         }});
  c.add({.id = "9.3/2",
         .tier = Tier::Must,
         .requirement = "A 503 for the connection cap (SSE request) MUST carry Retry-After in "
                        "whole seconds >= 1 and -32003 {\"service\":\"sidecar\",\"retryAfterMs\"}.",
         .rules = {"9.3c", "9.14b", "3.10b"},
         .budget = std::chrono::milliseconds(20000),
         .run = [](CaseContext& ctx) {
           require_rest(ctx);
           // Connections of earlier cases may take a moment to leave the sidecar's books.
           std::this_thread::sleep_for(std::chrono::milliseconds(300));
           struct Streams {  // closed and waited for on every way out, failures included
             CaseContext& ctx;
             std::vector<std::unique_ptr<SseStream>> list;
             ~Streams() {
               list.clear();
               wait_for_free_slot(ctx);
             }
           } streams{ctx, {}};
           auto& open = streams.list;
           for (int i = 1; i <= 70; ++i) {
             HttpRequest r = with_bearer(ctx, get("/api/v1/stream/deployments"));
             auto stream = std::make_unique<SseStream>();
             const HttpResponse a = stream->open(ctx.target().url, r, ctx.deadline(), &ctx.log(),
                                                 ctx.next_connection_number());
             require(a.complete, "an HTTP answer to SSE request " + std::to_string(i), a.error);
             if (a.status == 404) unimplemented_case("GET /api/v1/stream/deployments answers 404");
             if (a.status == 200) {
               open.push_back(std::move(stream));
               continue;
             }
             const json body =
                 require_error_body(a, 503, -32003, "an SSE request over the connection cap");
             require_retry_after(a, "the 503 for the connection cap");
             const json& data = body["error"].value("data", json());
             require(data.is_object() && data.value("service", "") == "sidecar" &&
                         has_integer(data, "retryAfterMs") &&
                         data["retryAfterMs"].get<std::int64_t>() >= 1,
                     "data {\"service\":\"sidecar\",\"retryAfterMs\":n}", show(body));
             return pass("refused after " + std::to_string(open.size()) + " open streams");
           }
           fail_case("HTTP 503 once the connection cap (64) is reached", "70 SSE streams opened");
         }});
  // The token bucket is per connection (§8.1), so emptying it takes many requests on one kept-alive
  // connection: windows of pipelined GETs (one token each; they answer 400 for the bad timeRange
  // while admitted) until one finds the bucket empty and must get 429 with Retry-After. GETs,
  // because a sidecar may end the connection after a POST (the reference does, see docs/rest.md).
  c.add({.id = "9.3/3",
         .tier = Tier::Must,
         .requirement = "A 429 MUST carry Retry-After in whole seconds >= 1 and -32002.",
         .rules = {"9.3c", "8.3c"},
         .budget = std::chrono::milliseconds(20000),
         .run = [](CaseContext& ctx) {
           require_rest(ctx);
           const std::string host = "Host: " + ctx.target().url.authority + "\r\n";
           const std::string auth = "Authorization: Bearer " + ctx.target().token + "\r\n";
           constexpr int kWindow = 100;
           std::string gets;
           for (int i = 0; i < kWindow; ++i)
             gets += "GET /api/v1/logs/supabase?timeRange=x HTTP/1.1\r\n" + host + auth + "\r\n";
           HttpPipeline conn;
           require(conn.connect(ctx), "a TCP connection", "connect failed");
           const auto started = Clock::now();
           int requests = 0;
           std::optional<HttpResponse> limited;
           while (!limited && Clock::now() - started < std::chrono::milliseconds(12000)) {
             require(conn.send(gets, ctx.deadline()),
                     "the kept-alive connection takes pipelined GETs",
                     "send failed after " + std::to_string(requests) + " requests");
             for (int i = 0; i < kWindow; ++i) {  // read every answer: the connection stays in step
               HttpResponse g = conn.receive(ctx.deadline());
               ++requests;
               require(g.complete, "an answer to pipelined GET " + std::to_string(requests),
                       "no complete response");
               if (g.status == 429 && !limited) limited = std::move(g);
             }
           }
           if (limited) {
             require_error_body(*limited, 429, -32002, "a request that finds the bucket empty");
             require_retry_after(*limited, "the 429");
             return pass("429 after " + std::to_string(requests) + " requests");
           }
           skip_case("no 429 after " + std::to_string(requests) +
                     " requests in 12 s: the sidecar answers too slowly to empty its bucket");
         }});
  c.add({.id = "9.4/1",
         .tier = Tier::Must,
         .requirement = "A POST without Content-Type application/json MUST get 415 and -32600; "
                        "parameters and case do not matter.",
         .rules = {"9.4a", "9.4b"},
         .run = [](CaseContext& ctx) {
           require_rest(ctx);
           const std::string ping = R"({"jsonrpc":"2.0","id":1,"method":"system.ping"})";
           HttpRequest probe = post_json("/api/v1/rpc", ping);
           send_to_endpoint(ctx, bearer(ctx, probe));
           HttpRequest none = post_json("/api/v1/rpc", ping);
           none.headers.clear();
           require_error_body(send(ctx, bearer(ctx, none)), 415, -32600,
                              "POST without Content-Type");
           HttpRequest plain = post_json("/api/v1/rpc", ping);
           plain.headers = {{"Content-Type", "text/plain"}};
           require_error_body(send(ctx, bearer(ctx, plain)), 415, -32600,
                              "POST with Content-Type text/plain");
           HttpRequest mixed = post_json("/api/v1/rpc", ping);
           mixed.headers = {{"Content-Type", "Application/JSON; charset=utf-8"}};
           require_status(send(ctx, bearer(ctx, mixed)), 200,
                          "Content-Type Application/JSON; charset=utf-8");
           return pass();
         }});
  c.add({.id = "9.5/1",
         .tier = Tier::Must,
         .requirement = "An allowed Origin gets Access-Control-Allow-Origin with that value and "
                        "Vary: Origin; preflights get 204.",
         .rules = {"9.5a", "9.5b", "9.5c", "9.5d"},
         .run = [](CaseContext& ctx) {
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
             require(header_has_token(headers, h),
                     std::string("Access-Control-Allow-Headers with ") + h,
                     headers.empty() ? "none" : headers);
           }
           const std::string methods = p.head.combined("access-control-allow-methods").value_or("");
           for (const char* m : {"GET", "POST", "OPTIONS"}) {
             require(header_has_token(methods, m),
                     std::string("Access-Control-Allow-Methods with ") + m,
                     methods.empty() ? "none" : methods);
           }
           return pass();
         }});

  c.add({.id = "9.5/2",
         .tier = Tier::Must,
         .requirement = "A preflight of a path of §1.3 MUST get 204 whatever its {service} "
                        "value, served or not.",
         .rules = {"9.5c"},
         .run = [](CaseContext& ctx) {
           require_rest(ctx);
           for (const char* path : {"/api/v1/nosuch/dashboard", "/api/v1/nosuch/action",
                                    "/api/v1/logs/nosuch", "/api/v1/stream/logs/nosuch"}) {
             require_status(send(ctx, preflight(path)), 204,
                            std::string("OPTIONS ") + path + " (an unknown service)");
           }
           return pass();
         }});
  c.add({.id = "9.5/3",
         .tier = Tier::Should,
         .requirement = "CORS answers SHOULD carry Access-Control-Expose-Headers: Retry-After and "
                        "SHOULD NOT carry Access-Control-Allow-Credentials.",
         .rules = {"9.5e", "9.5f"},
         .run = [](CaseContext& ctx) {
           require_rest(ctx);
           HttpRequest r = get("/api/v1/health");
           r.headers = {{"Origin", "tauri://localhost"}};
           const HttpResponse a = send(ctx, r);
           require_status(a, 200, "GET /api/v1/health with an allowed Origin");
           const std::string exposed =
               a.head.combined("access-control-expose-headers").value_or("");
           require(header_has_token(exposed, "Retry-After"),
                   "Access-Control-Expose-Headers listing Retry-After",
                   exposed.empty() ? "none" : exposed);
           const HttpResponse p = send(ctx, preflight("/api/v1/rpc"));
           require_status(p, 204, "OPTIONS /api/v1/rpc preflight");
           for (const HttpResponse* answer : {&a, &p}) {
             const auto credentials = answer->head.header("access-control-allow-credentials");
             require(!credentials.has_value(),
                     std::string(answer == &a ? "the GET" : "the preflight") +
                         ": no Access-Control-Allow-Credentials",
                     "Access-Control-Allow-Credentials: " + credentials.value_or(""));
           }
           return pass();
         }});
  c.add({.id = "9.6/1",
         .tier = Tier::Must,
         .requirement =
             "A body over 1 KiB MUST be gzip-compressed with Content-Encoding: gzip and Vary: "
             "Accept-Encoding when Accept-Encoding allows gzip (listed or *, q > 0).",
         .rules = {"9.6a", "9.6b"},
         .run = [](CaseContext& ctx) {
           require_rest(ctx);
           const json doc = plain_dashboard(ctx);
           for (const char* offer : {"gzip", "br;q=0.9, GZIP;q=0.5", "*"}) {
             const std::string how = std::string("Accept-Encoding: ") + offer;
             const HttpResponse r = send(ctx, multi_dashboard(ctx, offer));
             require_status(r, 200, how);
             require(r.head.header("content-encoding").value_or("") == "gzip",
                     how + ": Content-Encoding: gzip",
                     "Content-Encoding: " + r.head.header("content-encoding").value_or("none"));
             require(header_has_token(r.head.combined("vary").value_or(""), "Accept-Encoding"),
                     how + ": Vary: Accept-Encoding", r.head.combined("vary").value_or("none"));
             const auto inflated = gzip_inflate(r.body, 64u << 20);
             require(inflated.has_value(), how + ": a body that is one complete gzip member",
                     WireLog::summarize_text(r.body, 60));
             const json unpacked = json::parse(*inflated, nullptr, false);
             require(unpacked == doc, how + ": a body that decompresses to the same JSON document",
                     WireLog::summarize_text(*inflated, 200));
           }
           return pass();
         }});
  c.add({.id = "9.6/2",
         .tier = Tier::Must,
         .requirement = "A body MUST NOT be compressed when Accept-Encoding is absent or does not "
                        "allow gzip, nor an SSE response.",
         .rules = {"9.6c", "9.6d"},
         .run = [](CaseContext& ctx) {
           require_rest(ctx);
           const json doc = plain_dashboard(ctx);  // checks the request without Accept-Encoding too
           for (const char* offer : {"gzip;q=0", "identity", "br, deflate", "*;q=0"}) {
             const std::string how = std::string("Accept-Encoding: ") + offer;
             const HttpResponse r = send(ctx, multi_dashboard(ctx, offer));
             require_status(r, 200, how);
             const std::string coding = r.head.header("content-encoding").value_or("identity");
             require(coding == "identity", how + ": no Content-Encoding",
                     "Content-Encoding: " + coding);
             require(json::parse(r.body, nullptr, false) == doc, how + ": the plain JSON document",
                     WireLog::summarize_text(r.body, 100));
           }
           // §9.6: SSE responses are never compressed (whatever else the stream gets wrong: §9.12).
           HttpRequest sse = with_bearer(ctx, get("/api/v1/stream/metrics"));
           sse.headers.emplace_back("Accept-Encoding", "gzip");
           HttpResponse head;
           auto stream = open_sse(ctx, sse, 200, &head);
           const std::string coding = head.head.header("content-encoding").value_or("identity");
           require(coding == "identity",
                   "an SSE stream asked with Accept-Encoding: gzip: no Content-Encoding",
                   "Content-Encoding: " + coding);
           stream->next(ctx.deadline_after(std::chrono::milliseconds(1500)));
           const std::string& text = stream->text();
           require(text.size() < 2 || text.compare(0, 2, "\x1f\x8b") != 0,
                   "an SSE stream asked with Accept-Encoding: gzip: not gzip-compressed",
                   WireLog::summarize_text(text, 60));
           return pass();
         }});
}

}  // namespace flake::conform
