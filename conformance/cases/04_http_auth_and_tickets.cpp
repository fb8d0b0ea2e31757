// §4.10-4.11: HTTP authentication and SSE tickets.

#include <algorithm>
#include <set>
#include <thread>
#include "conformance/cases/case_util.hpp"
#include "conformance/cases/cases.hpp"
#include "conformance/cases/rest_case_util.hpp"
#include "conformance/client/http_client.hpp"
#include "conformance/client/sse_client.hpp"

namespace flake::conform {
using namespace rest;  // the shared REST helpers (rest_case_util.hpp)

void add_s4_http_auth_and_tickets_cases(Catalog& c) {
  c.add({.id = "4.10/1",
         .tier = Tier::Must,
         .requirement = "HTTP endpoints but health MUST require Authorization: Bearer (scheme "
                        "case-insensitive); else 401, WWW-Authenticate, -32001.",
         .rules = {"4.10a", "4.10b", "4.10e"},
         .run = [](CaseContext& ctx) {
           require_rest(ctx);
           const HttpResponse none = send_to_endpoint(ctx, get("/api/v1/vercel/dashboard"));
           require_error_body(none, 401, -32001,
                              "GET /api/v1/vercel/dashboard without Authorization");
           require(header_has_token(none.head.header("www-authenticate").value_or(""), "Bearer") ||
                       none.head.header("www-authenticate").value_or("").rfind("Bearer", 0) == 0,
                   "WWW-Authenticate: Bearer",
                   none.head.header("www-authenticate").value_or("none"));
           HttpRequest wrong = get("/api/v1/vercel/dashboard");
           wrong.headers = {{"Authorization", "Bearer " + ctx.target().token + "x"}};
           require_error_body(send(ctx, wrong), 401, -32001, "a wrong Bearer token");
           HttpRequest lower = get("/api/v1/vercel/dashboard");
           lower.headers = {{"Authorization", "bearer " + ctx.target().token}};
           require_status(send(ctx, lower), 200,
                          "scheme \"bearer\" (case-insensitive) with the right token");
           return pass();
         }});
  c.add({.id = "4.10/2",
         .tier = Tier::Must,
         .requirement = "When an Authorization header is present it alone MUST decide whether the "
                        "request is authenticated; a ticket is then neither checked nor consumed.",
         .rules = {"4.10d", "4.10c"},
         .run = [](CaseContext& ctx) {
           const std::string with_ticket = std::string(kPath) + "?ticket=" + issue_ticket(ctx);
           HttpRequest wrong = stream_request(ctx, with_ticket, false);
           wrong.headers = {{"Authorization", "Bearer " + ctx.target().token + "x"}};
           auto refused = open_stream(ctx, wrong, 401);
           // The refusal did not consume the ticket: on its own it still opens one stream.
           { auto s = open_stream(ctx, stream_request(ctx, with_ticket, false), 200); }
           // The right token admits the request whatever the ticket beside it says.
           auto admitted = open_stream(
               ctx, stream_request(ctx, std::string(kPath) + "?ticket=not-a-ticket", true), 200);
           // ... and leaves a valid ticket beside it unused.
           const std::string unused = std::string(kPath) + "?ticket=" + issue_ticket(ctx);
           auto with_both = open_stream(ctx, stream_request(ctx, unused, true), 200);
           auto alone = open_stream(ctx, stream_request(ctx, unused, false), 200);
           return pass();
         }});
  c.add({.id = "4.11/1",
         .tier = Tier::Must,
         .requirement =
             "A ticket authenticates one SSE request only; reuse and a missing credential get 401.",
         .rules = {"4.11a", "4.11d", "4.11e", "4.10c"},
         .run = [](CaseContext& ctx) {
           HttpRequest post;
           post.method = "POST";
           post.path = "/api/v1/auth/ticket";
           post.headers = {{"Authorization", "Bearer " + ctx.target().token},
                           {"Content-Type", "application/json"}};
           post.body = "{}";
           const HttpResponse t = http_request(ctx.target().url, post, ctx.deadline(), &ctx.log(),
                                               ctx.next_connection_number());
           if (t.complete && t.status == 404)
             unimplemented_case("POST /api/v1/auth/ticket answers 404");
           const json body = json::parse(t.body, nullptr, false);
           require(t.status == 200 && has_string(body, "ticket"), "a ticket",
                   "HTTP " + std::to_string(t.status) + " " + WireLog::summarize_text(t.body, 200));
           const std::string path =
               std::string(kPath) + "?ticket=" + body["ticket"].get<std::string>();
           { auto s = open_stream(ctx, stream_request(ctx, path, false), 200); }
           auto reused = open_stream(ctx, stream_request(ctx, path, false), 401);
           auto none = open_stream(ctx, stream_request(ctx, kPath, false), 401);
           return pass();
         }});
  c.add({.id = "4.11/2",
         .tier = Tier::Must,
         .requirement = "A ticket MUST expire 30,000 ms after issue on the sidecar clock (then "
                        "401, -32001); a stream it opened stays open.",
         .rules = {"4.11a", "4.11e", "4.11f"},
         .budget = std::chrono::milliseconds(15000),
         .timing = true,
         .run = [](CaseContext& ctx) {
           require_rest(ctx);
           const std::string kept = issue_ticket(ctx);
           auto open_with_ticket =
               open_sse(ctx, get("/api/v1/stream/logs/vercel?ticket=" + kept), 200);
           const std::string stale = issue_ticket(ctx);
           ClockGuard clock(ctx);
           if (!clock.set(31000)) unimplemented_case("test.setClock is not available");
           // §11.5: deadlines the shifted clock has passed take effect within 1,000 ms.
           std::this_thread::sleep_for(std::chrono::milliseconds(1100));
           const HttpResponse refused = send(ctx, get("/api/v1/stream/metrics?ticket=" + stale));
           require_error_body(refused, 401, -32001,
                              "a ticket used 31 s (sidecar clock) after its issue");
           const std::string fresh = issue_ticket(ctx);
           open_sse(ctx, get("/api/v1/stream/metrics?ticket=" + fresh), 200);
           // The stream opened with the first ticket outlives that ticket's expiry.
           auto rpc = ctx.connect_authenticated();
           ctx.call_test_method(*rpc, "test.emitLogs",
                                {{"service", "vercel"}, {"count", 1}, {"perNotification", 1}});
           for (;;) {
             auto e = open_with_ticket->next(ctx.deadline());
             require(
                 e.has_value(),
                 "the stream opened with a ticket still delivers events after the ticket's expiry",
                 open_with_ticket->ended() ? "the stream ended" : "nothing in time");
             if (e->event == "logs.update") break;
           }
           return pass();
         }});
  c.add({.id = "4.11/3",
         .tier = Tier::Must,
         .requirement = "A ticket MUST be a string from [A-Za-z0-9_-] with at least 128 bits of "
                        "randomness (>= 22 characters), new for every request.",
         .rules = {"4.11b"},
         .run = [](CaseContext& ctx) {
           require_rest(ctx);
           std::set<std::string> tickets;
           for (int i = 0; i < 3; ++i) {
             const std::string t = issue_ticket(ctx);
             const bool charset = !t.empty() && std::all_of(t.begin(), t.end(), [](char ch) {
               return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                      (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
             });
             require(charset, "a ticket of characters from [A-Za-z0-9_-]",
                     WireLog::summarize_text(t, 80));
             // 128 bits need at least 22 characters of a 64-letter alphabet.
             require(t.size() >= 22, "a ticket of at least 22 characters (128 random bits)",
                     std::to_string(t.size()) + " characters: " + t);
             require(t.find(ctx.target().token) == std::string::npos,
                     "a ticket that does not contain the token", "the token appears in the ticket");
             require(tickets.insert(t).second, "a new ticket on every request",
                     "ticket " + t + " issued twice");
           }
           return pass();
         }});
  c.add({.id = "4.11/4",
         .tier = Tier::Must,
         .requirement = "A ticket MUST authenticate only requests to the SSE endpoints: elsewhere "
                        "it gets 401 and -32001.",
         .rules = {"4.11c"},
         .run = [](CaseContext& ctx) {
           require_rest(ctx);
           const std::string ticket = issue_ticket(ctx);
           const HttpResponse r = send(ctx, get("/api/v1/vercel/dashboard?ticket=" + ticket));
           require_error_body(r, 401, -32001,
                              "GET /api/v1/vercel/dashboard with a fresh ticket and no "
                              "Authorization header");
           return pass();
         }});
}

}  // namespace flake::conform
