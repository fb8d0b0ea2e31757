// §4.5-4.9: the authentication gate, auth.authenticate, failed attempts (4401), the deadline (4408)
// and sessions.

#include <algorithm>
#include <regex>
#include "conformance/cases/case_util.hpp"
#include "conformance/cases/cases.hpp"
#include "conformance/cases/session_util.hpp"
#include "conformance/client/sidecar_process.hpp"
#include "conformance/harness/rpc_path.hpp"

namespace flake::conform {
namespace {

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

}  // namespace

void add_s4_authentication_cases(Catalog& c) {
  c.explain({.rule = "4.9c",
             .why = Why::Untestable,
             .reason = "How much randomness a sessionId holds cannot be observed from outside the "
                       "sidecar; its shape is checked under 4.9b."});
  c.add({.id = "4.5/1",
         .tier = Tier::Must,
         .requirement = "Before authentication, every request except auth.authenticate and "
                        "system.ping MUST get -32001, whether or not the method exists.",
         .rules = {"4.5a", "4.5c"},
         .paths = kSocketPaths,
         .run = [](CaseContext& ctx) {
           const CallOptions how{ctx.timeout(), socket_encoding(ctx)};
           auto rpc = ctx.connect();
           const Incoming dash = rpc->call("vercel.getDashboard", nullptr, how);
           require_error(dash, -32001, answer_id(dash),
                         "vercel.getDashboard before authentication");
           const Incoming unknown = rpc->call("no.such.method", nullptr, how);
           require_error(unknown, -32001, answer_id(unknown),
                         "an unknown method before authentication");
           // Still usable on the cell's own path: system.ping in the same encoding.
           ctx.call_result(*rpc, "system.ping", nullptr, how.encoding);
           return pass();
         }});
  c.add({.id = "4.5/2",
         .tier = Tier::Must,
         .requirement = "system.ping MUST be answered before authentication.",
         .rules = {"5.4b"},
         .paths = kSocketPaths,
         .run = [](CaseContext& ctx) {
           const Encoding encoding = socket_encoding(ctx);
           auto rpc = ctx.connect();
           const json result = ctx.call_result(*rpc, "system.ping", nullptr, encoding);
           require(has_integer(result, "now"),
                   "system.ping before authentication: {\"now\":<integer>}", show(result));
           return pass();
         }});
  c.add(
      {.id = "4.5/3",
       .tier = Tier::Must,
       .requirement = "Before authentication, the sidecar MUST drop client notifications silently.",
       .rules = {"4.5b"},
       .run = [](CaseContext& ctx) {
         auto rpc = ctx.connect();
         rpc->notify("vercel.getDashboard", nullptr);
         rpc->notify("logs.subscribe", {{"service", "vercel"}});
         const Incoming in = send_text_wait(
             ctx, *rpc, R"({"jsonrpc":"2.0","method":"system.ping","id":"sentinel"})");
         const json& r = require_value(in, "the sentinel's answer");
         require(r.is_object() && r.value("id", json()) == "sentinel",
                 "client notifications before authentication dropped silently", show(r));
         ctx.authenticate(*rpc);
         // Had logs.subscribe run, its subscription would now deliver to this session.
         const Incoming later = rpc->wait_for([](const json&) { return true; },
                                              ctx.deadline_after(std::chrono::milliseconds(300)));
         require(later.kind == Incoming::Kind::Timeout,
                 "nothing sent for the dropped notifications", later.describe());
         return pass();
       }});
  c.add(
      {.id = "4.6/1",
       .tier = Tier::Must,
       .requirement = "With the right token, auth.authenticate MUST answer sessionId, server "
                      "(protocol flake.v1) and every capabilities member.",
       .rules = {"4.6a", "4.6e", "4.6f"},
       .paths = kSocketPaths,
       .run = [](CaseContext& ctx) {
         const Encoding encoding = socket_encoding(ctx);
         auto rpc = ctx.connect();
         const json r =
             ctx.call_result(*rpc, "auth.authenticate", auth_params(ctx.target().token), encoding);
         require(has_string(r, "sessionId"), "result.sessionId (string)", show(r));
         const json& server = r.value("server", json());
         require(server.is_object() && server.value("protocol", "") == "flake.v1" &&
                     has_string(server, "name") && has_string(server, "version"),
                 "result.server {\"name\":<string>,\"version\":<string>,\"protocol\":\"flake.v1\"}",
                 show(r));
         const json& caps = r.value("capabilities", json());
         require(caps.is_object(), "result.capabilities object", show(r));
         // The values in effect are reported; a sidecar without MessagePack says false (its
         // msgpack cases then report unimplemented).
         require(has_bool(caps, "msgpack"), "capabilities.msgpack boolean", show(caps));
         require(caps.value("batch", false) == true, "capabilities.batch true", show(caps));
         require(caps.value("maxBatch", 0) == 100, "capabilities.maxBatch 100", show(caps));
         require(has_integer(caps, "maxMessageBytes") &&
                     caps["maxMessageBytes"].get<std::int64_t>() >= 1024,
                 "capabilities.maxMessageBytes, an integer >= 1024", show(caps));
         require(has_array(caps, "compression"), "capabilities.compression array", show(caps));
         require(
             has_integer(caps, "resumeGraceMs") && caps["resumeGraceMs"].get<std::int64_t>() > 0,
             "capabilities.resumeGraceMs, a positive integer", show(caps));
         const json& rate = caps.value("rateLimit", json());
         require(has_number(rate, "rate") && has_number(rate, "burst"),
                 "capabilities.rateLimit {\"rate\":<n>,\"burst\":<n>}", show(caps));
         return pass();
       }});
  c.add({.id = "4.6/2",
         .tier = Tier::Must,
         .requirement = "A token that does not match MUST get -32001; the connection stays "
                        "unauthenticated and open.",
         .rules = {"4.6b", "4.2b", "4.5c"},
         .paths = kSocketPaths,
         .run = [](CaseContext& ctx) {
           const CallOptions how{ctx.timeout(), socket_encoding(ctx)};
           auto rpc = ctx.connect();
           const std::string wrong = ctx.target().token + "-wrong";
           const Incoming in = rpc->call("auth.authenticate", auth_params(wrong), how);
           const json error =
               require_error(in, -32001, answer_id(in), "auth.authenticate with a wrong token");
           require(show(error, 100000).find(ctx.target().token) == std::string::npos,
                   "no token in the error (4.2)", show(error));
           const Incoming gated = rpc->call("vercel.getDashboard", nullptr, how);
           require_error(gated, -32001, answer_id(gated),
                         "vercel.getDashboard after a failed authentication");
           ctx.call_result(*rpc, "auth.authenticate", auth_params(ctx.target().token),
                           how.encoding);
           return pass();
         }});
  c.add({.id = "4.6/3",
         .tier = Tier::Must,
         .requirement =
             "A missing or non-string token MUST get -32602 with data {\"field\":\"token\"}.",
         .rules = {"4.6c"},
         .paths = kSocketPaths,
         .run = [](CaseContext& ctx) {
           const CallOptions how{ctx.timeout(), socket_encoding(ctx)};
           for (const json& params : {json{{"clientInfo", client_info()}}, auth_params(12345)}) {
             auto rpc = ctx.connect();
             const Incoming in = rpc->call("auth.authenticate", params, how);
             const json error = require_error(in, -32602, answer_id(in),
                                              "auth.authenticate with params " + show(params));
             require(has_object(error, "data") && error["data"].value("field", "") == "token",
                     "data {\"field\":\"token\"}", show(error));
           }
           return pass();
         }});
  c.add({.id = "4.6/4",
         .tier = Tier::Must,
         .requirement = "A clientInfo that is not an object MUST get -32602 with data "
                        "{\"field\":\"clientInfo\"}.",
         .rules = {"4.6d"},
         .paths = kSocketPaths,
         .run = [](CaseContext& ctx) {
           const CallOptions how{ctx.timeout(), socket_encoding(ctx)};
           auto rpc = ctx.connect();
           const Incoming in =
               rpc->call("auth.authenticate",
                         {{"token", ctx.target().token}, {"clientInfo", "not-an-object"}}, how);
           const json error = require_error(in, -32602, answer_id(in),
                                            "auth.authenticate with clientInfo \"not-an-object\"");
           require(has_object(error, "data") && error["data"].value("field", "") == "clientInfo",
                   "data {\"field\":\"clientInfo\"}", show(error));
           return pass();
         }});
  c.add({.id = "4.6/5",
         .tier = Tier::Must,
         .requirement = "A clientInfo whose version or platform is present and not a string MUST "
                        "get -32602 with data {\"field\":\"clientInfo\"}.",
         .rules = {"4.6d"},
         .run = [](CaseContext& ctx) {
           for (const json& info :
                {json{{"version", 5}}, json{{"platform", json::array({"macos"})}},
                 json{{"version", "1.0"}, {"platform", nullptr}}}) {
             auto rpc = ctx.connect();
             const Incoming in =
                 rpc->call("auth.authenticate",
                           {{"token", ctx.target().token}, {"clientInfo", info}}, ctx.timeout());
             const json error = require_error(in, -32602, answer_id(in),
                                              "auth.authenticate with clientInfo " + show(info));
             require(has_object(error, "data") && error["data"].value("field", "") == "clientInfo",
                     "data {\"field\":\"clientInfo\"}", show(error));
           }
           return pass();
         }});
  c.add({.id = "4.6/6",
         .tier = Tier::Must,
         .requirement = "Members of clientInfo other than version and platform MUST be accepted "
                        "and ignored, whatever their type.",
         .rules = {"4.6i"},
         .run = [](CaseContext& ctx) {
           auto rpc = ctx.connect();
           const json info = {{"version", "1.4.2"},   {"platform", "linux"},
                              {"x-build", 42},        {"x-features", {{"beta", true}}},
                              {"x-tags", {"a", "b"}}, {"x-none", nullptr}};
           const json r = ctx.call_result(*rpc, "auth.authenticate",
                                          {{"token", ctx.target().token}, {"clientInfo", info}});
           require(has_string(r, "sessionId"),
                   "a result with sessionId for a clientInfo with members of other types", show(r));
           ctx.call_result(*rpc, "vercel.getDashboard", nullptr);
           return pass();
         }});
  c.add({.id = "4.7/1",
         .tier = Tier::Must,
         .requirement = "On the third failed attempt the sidecar MUST send its error response, "
                        "then close with 4401; not before.",
         .rules = {"4.7a", "4.7b"},
         .run = [](CaseContext& ctx) {
           auto rpc = ctx.connect();
           for (int attempt = 1; attempt <= 3; ++attempt) {
             const json id = "attempt-" + std::to_string(attempt);
             rpc->send(make_request("auth.authenticate",
                                    auth_params("wrong-" + std::to_string(attempt)), id));
             const Incoming in = rpc->wait_for_id(id, ctx.deadline());
             require_error(in, -32001, id, "failed attempt " + std::to_string(attempt));
             if (attempt < 3) ctx.require_usable(*rpc, "failed attempt " + std::to_string(attempt));
           }
           const Incoming end = rpc->receive(ctx.deadline());
           require_close(end, 4401, "after the third failed attempt's error response");
           return pass();
         }});
  c.add({.id = "4.7/2",
         .tier = Tier::Must,
         .requirement =
             "Attempts answered with -32602 count as failed attempts toward the 4401 close.",
         .rules = {"4.7a", "4.7b"},
         .run = [](CaseContext& ctx) {
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
         }});
  c.add({.id = "4.7/3",
         .tier = Tier::Must,
         .requirement = "A failed auth.authenticate sent as a client notification MUST count as a "
                        "failed attempt: the third closes with 4401, and none is answered.",
         .rules = {"4.7c"},
         .run = [](CaseContext& ctx) {
           auto rpc = ctx.connect();
           rpc->notify("auth.authenticate", auth_params("wrong-1"));
           rpc->notify("auth.authenticate", {{"token", 12345}});
           ctx.require_usable(*rpc, "two failed attempts sent as notifications");
           rpc->notify("auth.authenticate", auth_params("wrong-3"));
           // Answered only if the third notification did not close the connection.
           rpc->send(make_request("system.ping", nullptr, "sentinel"));
           require_close(rpc->receive(ctx.deadline()), 4401,
                         "the third failed attempt, a notification, closes the connection at once "
                         "(before the following request is answered)");
           return pass();
         }});
  c.add({.id = "4.8/1",
         .tier = Tier::Must,
         .requirement = "A connection not authenticated within 10,000 ms (sidecar clock) MUST be "
                        "closed with 4408.",
         .rules = {"4.8a", "4.8b", "8.6a"},
         .budget = std::chrono::milliseconds(14000),
         .timing = true,
         .run = [](CaseContext& ctx) { return deadline(ctx, false); }});
  c.add(
      {.id = "4.8/2",
       .tier = Tier::Must,
       .requirement =
           "Once authentication has succeeded, the deadline no longer applies to that connection.",
       .rules = {"4.8a"},
       .budget = std::chrono::milliseconds(14000),
       .run = [](CaseContext& ctx) { return deadline(ctx, true); }});
  c.add({.id = "4.9/1",
         .tier = Tier::Must,
         .requirement = "Each connection gets a new session with a well-formed sessionId; "
                        "re-authenticating returns the same one.",
         .rules = {"4.9a", "4.9b", "4.9d"},
         .run = [](CaseContext& ctx) {
           auto a = ctx.connect();
           const std::string first = ctx.authenticate(*a).value("sessionId", "");
           auto b = ctx.connect();
           const std::string second = ctx.authenticate(*b).value("sessionId", "");
           static const std::regex kShape("[A-Za-z0-9_-]{1,128}");
           require(std::regex_match(first, kShape) && std::regex_match(second, kShape),
                   "sessionId of 1 to 128 characters from [A-Za-z0-9_-]", first + " / " + second);
           require(first != second, "a new session (new sessionId) per connection",
                   first + " twice");
           const std::string again = ctx.authenticate(*a).value("sessionId", "");
           require(again == first,
                   "auth.authenticate again on the same connection returns the same sessionId",
                   first + " then " + again);
           return pass();
         }});
  c.add({.id = "4.9/2",
         .tier = Tier::Must,
         .requirement = "A failed auth.authenticate on an authenticated connection MUST leave it "
                        "authenticated, with the same session and its subscriptions.",
         .rules = {"4.9f"},
         .run = [](CaseContext& ctx) {
           auto rpc = ctx.connect();
           const std::string first = ctx.authenticate(*rpc).value("sessionId", "");
           const std::string sub = subscribe(ctx, *rpc, "logs.subscribe", {{"service", "vercel"}});
           const Incoming wrong = rpc->call(
               "auth.authenticate", auth_params(ctx.target().token + "-wrong"), ctx.timeout());
           require_error(wrong, -32001, answer_id(wrong),
                         "auth.authenticate with a wrong token on an authenticated connection");
           const Incoming dash = rpc->call("vercel.getDashboard", nullptr, ctx.timeout());
           const json& d = require_value(dash, "vercel.getDashboard after the failed attempt");
           require(d.is_object() && d.contains("result"),
                   "vercel.getDashboard still answered with a result (the connection stays "
                   "authenticated)",
                   show(d));
           SeqCollector c = emit_logs_and_collect(
               ctx, *rpc, {{"service", "vercel"}, {"count", 4}, {"perNotification", 2}});
           require(c.has_all_entries(4) && c.first == 1 && c.problem.empty(),
                   "the subscription made before the failed attempt still delivers, seq from 1",
                   c.problem.empty() ? std::to_string(c.test_entries()) + " entries, first seq " +
                                           std::to_string(c.first)
                                     : c.problem);
           for (const auto& [seq, params] : c.by_seq) check_log_update(params, sub, "vercel");
           const std::string again = ctx.authenticate(*rpc).value("sessionId", "");
           require(again == first, "the same sessionId when authenticating again",
                   first + " then " + again);
           return pass();
         }});
  c.add({.id = "4.9/3",
         .tier = Tier::Must,
         .requirement = "A connection MUST have at most one session attached: after session.resume "
                        "on a connection, only the resumed session's subscriptions deliver there.",
         .rules = {"4.9e"},
         .budget = std::chrono::milliseconds(15000),
         .run = [](CaseContext& ctx) {
           // Session A subscribes to vercel's logs and is dropped (detached, resumable).
           const Dropped a = subscribe_emit_drop(ctx, 2);
           // A fresh session B subscribes to supabase's logs, then the connection resumes A.
           auto b = ctx.connect();
           ctx.authenticate(*b);
           subscribe(ctx, *b, "logs.subscribe", {{"service", "supabase"}});
           const Resumed r = resume(ctx, *b, a.session, a.seen.last);
           require(r.response.contains("result"), "session.resume of the dropped session succeeds",
                   show(r.response));
           const SeqCollector supabase = emit_logs_and_collect(
               ctx, *b, {{"service", "supabase"}, {"count", 2}, {"perNotification", 2}});
           // Only supabase updates count against the rule: the sidecar's own vercel entries
           // reach A's vercel subscription at any time (and subscription ids are unique only
           // within a session, §5.9d, so they cannot tell the two sessions apart).
           std::string stray;
           for (const auto& [seq, params] : supabase.by_seq) {
             if (params.value("service", "") == "supabase") stray += " " + show(params);
           }
           require(stray.empty(),
                   "no supabase logs.update on the connection (the replaced session's "
                   "subscription must not deliver there)",
                   "received:" + stray);
           const SeqCollector vercel = emit_logs_and_collect(
               ctx, *b, {{"service", "vercel"}, {"count", 2}, {"perNotification", 2}});
           // The sidecar's own vercel entries may have reached A while it was detached (they
           // came with the replay) or since: A's counter goes on after the last of them.
           const std::int64_t next =
               std::max({a.seen.last, r.notes.by_seq.empty() ? 0 : r.notes.last,
                         supabase.by_seq.empty() ? 0 : supabase.last}) +
               1;
           require(!vercel.by_seq.empty() && vercel.problem.empty() && vercel.first == next,
                   "the resumed session's vercel subscription delivers, seq from " +
                       std::to_string(next),
                   vercel.by_seq.empty()
                       ? "nothing"
                       : (vercel.problem.empty() ? "first seq " + std::to_string(vercel.first)
                                                 : vercel.problem));
           for (const auto& [seq, params] : vercel.by_seq)
             check_log_update(params, a.subscription, "vercel");
           return pass();
         }});
}

}  // namespace flake::conform
