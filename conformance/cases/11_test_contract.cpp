// §11: the test contract (conformance mode, test.emitLogs errors, test.emitMetrics,
// test.dropSession); the reasons for the rules of §11 and §13 that no case checks.

#include <optional>
#include <regex>
#include <set>
#include "conformance/cases/case_util.hpp"
#include "conformance/cases/cases.hpp"
#include "conformance/cases/rest_case_util.hpp"
#include "conformance/cases/sse_notifications.hpp"
#include "conformance/client/sidecar_process.hpp"
#include "conformance/harness/sidecar_startup.hpp"

namespace flake::conform {
namespace {}  // namespace

void add_s11_test_contract_cases(Catalog& c) {
  c.add({.id = "11.1/1",
         .tier = Tier::Must,
         .requirement =
             "test.* methods MUST require authentication like every other method (-32001 before).",
         .rules = {"11.1d"},
         .run = [](CaseContext& ctx) {
           auto rpc = ctx.connect();
           for (const char* method : {"test.emitLogs", "test.setClock", "test.dropSession"}) {
             const json id = method;
             rpc->send(
                 make_request(method, {{"service", "vercel"}, {"count", 1}, {"offsetMs", 0}}, id));
             require_error(rpc->wait_for_id(id, ctx.deadline()), -32001, id,
                           std::string(method) + " before authentication");
           }
           return pass();
         }});
  c.add({.id = "11.1/2",
         .tier = Tier::Must,
         .requirement = "Started without --conformance (otherwise as the suite starts it), the "
                        "sidecar MUST answer every test.* method with -32601 after authentication.",
         .rules = {"11.1a", "11.1b", "11.1c"},
         .budget = std::chrono::milliseconds(20000),
         .run = [](CaseContext& ctx) {
           if (!ctx.target().start_other) {
             skip_case(
                 "needs a sidecar whose options the suite chooses: --reference, or --spawn "
                 "with {options} in the command (11.7)");
           }
           std::string why;
           const std::optional<StartedSidecar> plain =
               ctx.target().start_other(SidecarSetup::kNoConformance, why);
           if (!plain) fail_case("the sidecar started without --conformance", why);
           ctx.log().note("started without --conformance: " + plain->description);
           auto rpc = ctx.client();
           const ConnectResult connected = rpc->connect(plain->url, ctx.options());
           require_upgraded(connected, "the sidecar started without --conformance");
           const Incoming auth =
               rpc->authenticate(ctx.target().token, client_info(), ctx.timeout());
           require_result(auth, answer_id(auth), "auth.authenticate without --conformance");
           const std::pair<const char*, json> calls[] = {
               {"test.emitLogs", {{"service", "vercel"}, {"count", 1}}},
               {"test.emitMetrics", {{"count", 1}}},
               {"test.setClock", {{"offsetMs", 0}}},
               {"test.dropSession", nullptr},  // last: a sidecar that runs it hangs up
           };
           for (const auto& [method, params] : calls) {
             const json id = method;
             rpc->send(make_request(method, params, id));
             require_error(rpc->wait_for_id(id, ctx.deadline()), -32601, id,
                           std::string(method) + " without --conformance");
           }
           return pass();
         }});
  c.add({.id = "11.1/3",
         .tier = Tier::Must,
         .requirement =
             "Conformance mode MUST NOT change other behaviour: a sidecar started without "
             "--conformance (otherwise as the suite starts it) gives the same server and "
             "capabilities, the same rpc.discover apart from test.* methods, results with the "
             "same members for system.ping and vercel.getDashboard, and the same error code and "
             "data for an unknown method, an unknown service and missing params.",
         .rules = {"11.1e"},
         .budget = std::chrono::milliseconds(20000),
         .run = [](CaseContext& ctx) {
           StartSpec spec;
           spec.setup = SidecarSetup::kNoConformance;
           const StartAttempt s = start_own_sidecar(ctx, spec, "started without --conformance");
           const Url url = require_listening(ctx, s, "started without --conformance");
           auto plain = ctx.client();
           const json plain_auth =
               authenticate_at(ctx, *plain, url, ctx.target().token, "without --conformance");
           auto test = ctx.connect_authenticated();
           const json& test_auth = ctx.last_auth_result();
           for (const char* member : {"server", "capabilities"}) {
             require(plain_auth.value(member, json()) == test_auth.value(member, json()),
                     std::string("the same auth.authenticate ") + member + " in both modes",
                     show(plain_auth.value(member, json())) + " without, " +
                         show(test_auth.value(member, json())) + " with --conformance");
           }
           // What is compared of an answer: an error's code and data, a result's member names;
           // rpc.discover whole, without the test.* methods.
           auto comparable = [](const std::string& method, const Incoming& in) {
             if (!in.is_value()) return json(in.describe());
             const json& v = in.value;
             if (v.contains("error")) {
               return json{{"code", v["error"].value("code", json())},
                           {"data", v["error"].value("data", json())}};
             }
             const json result = v.value("result", json());
             if (method == "rpc.discover" && result.is_object()) {
               json copy = result;
               json methods = json::array();
               for (const json& m : result.value("methods", json::array())) {
                 if (!m.is_object() || m.value("name", "").rfind("test.", 0) != 0) {
                   methods.push_back(m);
                 }
               }
               copy["methods"] = methods;
               return copy;
             }
             json names = json::array();
             if (result.is_object()) {
               for (const auto& [k, unused] : result.items()) names.push_back(k);
             }
             return json{{"result members", names}};
           };
           const std::pair<const char*, json> calls[] = {
               {"system.ping", json::object()},
               {"rpc.discover", json::object()},
               {"vercel.getDashboard", json::object()},
               {"flake.noSuchMethod", json::object()},
               {"logs.subscribe", {{"service", "nosuchservice"}}},
               {"logs.getLarge", json::object()},
           };
           for (const auto& [method, params] : calls) {
             const json without = comparable(method, plain->call(method, params, ctx.timeout()));
             const json with = comparable(method, test->call(method, params, ctx.timeout()));
             require(without == with,
                     std::string("the same answer to ") + method + " " + params.dump() +
                         " in both modes",
                     show(without) + " without, " + show(with) + " with --conformance");
           }
           return pass();
         }});
  c.add(
      {.id = "11.2/1",
       .tier = Tier::Must,
       .requirement = "test.emitLogs MUST answer an unknown service with -32004 "
                      "{\"resource\":\"service:<name>\"} and a missing, non-integer or "
                      "out-of-range count or perNotification with -32602 naming the member.",
       .rules = {"11.2a", "11.2b"},
       .run = [](CaseContext& ctx) {
         auto rpc = ctx.connect_authenticated();
         const json unknown =
             error_of(ctx, *rpc, "test.emitLogs", {{"service", "nosuchservice"}, {"count", 1}},
                      -32004, "test.emitLogs for an unserved service");
         require(has_object(unknown, "data") &&
                     unknown["data"].value("resource", "") == "service:nosuchservice",
                 "data {\"resource\":\"service:nosuchservice\"}", show(unknown));
         const std::pair<json, const char*> bad[] = {
             {{{"service", "vercel"}}, "count"},
             {{{"service", "vercel"}, {"count", "5"}}, "count"},
             {{{"service", "vercel"}, {"count", -1}}, "count"},
             {{{"service", "vercel"}, {"count", 1000001}}, "count"},
             {{{"service", "vercel"}, {"count", 1.5}}, "count"},
             {{{"service", "vercel"}, {"count", 1}, {"perNotification", 0}}, "perNotification"},
             {{{"service", "vercel"}, {"count", 1}, {"perNotification", 1001}}, "perNotification"},
             {{{"service", "vercel"}, {"count", 1}, {"perNotification", true}}, "perNotification"},
         };
         for (const auto& [params, field] : bad) {
           const std::string what = "test.emitLogs " + params.dump();
           require_field(error_of(ctx, *rpc, "test.emitLogs", params, -32602, what), field, what);
         }
         return pass();
       }});
  c.add({.id = "11.3/1",
         .tier = Tier::Must,
         .requirement = "test.emitMetrics sample n goes to service n mod S as one metrics.update "
                        "with metrics[\"test.n\"] = n.",
         .rules = {"11.3a", "11.3b", "11.3c", "11.3d"},
         .paths = kNotificationPaths,
         .run = [](CaseContext& ctx) {
           auto rpc = ctx.connect_authenticated();
           // Socket cells: a metrics subscription, whose updates precede the emitting call's
           // answer. SSE cell: the metrics stream (§9.12), read until the samples are in.
           std::optional<SseNotifications> stream;
           std::string sub;
           if (ctx.path() == Path::Sse) {
             stream.emplace(ctx, "/api/v1/stream/metrics");
             sub = stream->path();
           } else {
             sub = subscribe(ctx, *rpc, "metrics.subscribe", json::object(), socket_encoding(ctx));
           }
           ctx.call_test_method(*rpc, "test.emitMetrics", {{"count", 9}});
           const char* const sorted[] = {"aws", "supabase", "vercel"};
           std::set<std::int64_t> seen;
           const auto next = [&]() -> std::optional<json> {
             if (stream) {
               if (seen.size() == 9) return std::nullopt;
               return stream->next(ctx.deadline());
             }
             if (rpc->notifications().empty()) return std::nullopt;
             json n = rpc->notifications().front();
             rpc->notifications().pop_front();
             return n;
           };
           while (const std::optional<json> got = next()) {
             const json& n = *got;
             if (n.value("method", "") != "metrics.update") continue;
             const json& p = n["params"];
             require(p.value("subscription", "") == sub && has_object(p, "metrics"),
                     "metrics.update {\"subscription\",\"service\",\"seq\",\"metrics\":{...}}",
                     show(n));
             for (const auto& [k, v] : p["metrics"].items()) {
               require(v.is_number(), "metrics members are numbers", show(p["metrics"]));
             }
             if (!p["metrics"].contains("test.n")) continue;
             const std::int64_t i = p["metrics"]["test.n"];
             require(p.value("service", "") == sorted[i % 3],
                     "sample n for the service at position n mod 3 of aws, supabase, vercel",
                     show(p));
             seen.insert(i);
           }
           require(seen.size() == 9,
                   stream ? "samples test.n = 0..8 on the SSE metrics stream"
                          : "samples test.n = 0..8 before the test.emitMetrics response",
                   std::to_string(seen.size()) + " samples");
           return pass();
         }});
  c.add({.id = "11.4/1",
         .tier = Tier::Must,
         .requirement = "test.dropSession MUST close the TCP connection without a close frame and "
                        "without an answer, and the session MUST stay resumable.",
         .rules = {"11.4a", "11.4b"},
         .run = [](CaseContext& ctx) {
           auto rpc = ctx.connect_authenticated();
           const std::string session = ctx.last_auth_result().value("sessionId", "");
           rpc->send(make_request("test.dropSession", nullptr, "drop"));
           for (;;) {
             const Incoming in = rpc->receive(ctx.deadline());
             if (in.kind == Incoming::Kind::Eof) break;
             if (in.is_value() && is_notification(in.value)) continue;
             unimplemented_if_missing(in, "test.dropSession");
             if (in.is_value()) fail_case("no answer to test.dropSession", show(in.value));
             fail_case("the TCP connection closed without a close frame", in.describe());
           }
           auto again = ctx.connect_authenticated();
           const json r =
               ctx.call_result(*again, "session.resume", {{"sessionId", session}, {"lastSeq", 0}});
           require(r.value("resumed", false) == true,
                   "the dropped session resumes (kept as after any connection loss)", show(r));
           return pass();
         }});
  c.add({.id = "11.4/2",
         .tier = Tier::Must,
         .requirement = "Over POST /api/v1/rpc, test.dropSession MUST get -32601.",
         .rules = {"11.4c"},
         .run = [](CaseContext& ctx) {
           HttpRequest post = rest::post_json(
               "/api/v1/rpc", make_request("test.dropSession", nullptr, "drop").dump());
           const HttpResponse r = send_to_endpoint(ctx, rest::with_bearer(ctx, std::move(post)));
           rest::require_status(r, 200, "test.dropSession over POST /api/v1/rpc");
           const json answer = rest::json_body(r, "test.dropSession over POST /api/v1/rpc");
           require_error_value(answer, -32601, "drop", "test.dropSession over HTTP");
           return pass();
         }});

  c.explain({.rule = "11.2c",
             .why = Why::Gap,
             .reason = "A case would emit a few entries to a subscription of every level and "
                       "compare each entry's members and level with n."});
  c.explain({.rule = "11.2d",
             .why = Why::Gap,
             .reason = "A case would emit to two subscriptions of different levels and the "
                       "service's SSE logs stream and compare what each receives."});
  c.explain({.rule = "11.2e",
             .why = Why::Gap,
             .reason = "A case would emit with perNotification to an unfiltered and a filtered "
                       "subscription and compare the grouping of the entries."});
  c.explain({.rule = "11.5a",
             .why = Why::Gap,
             .reason = "A case would set two offsets in a row and compare system.ping's now "
                       "with the second only."});
  c.explain({.rule = "11.5b",
             .why = Why::Gap,
             .reason = "A case would send offsets of one year, one year plus one, and non-integers "
                       "and expect results or -32602 naming offsetMs."});
  c.explain({.rule = "11.5c",
             .why = Why::Gap,
             .reason = "A case would compare the result's offsetMs and now with the offset sent "
                       "and the suite's clock."});
  c.explain({.rule = "11.5d",
             .why = Why::Gap,
             .reason = "A case would shift the clock and watch each listed deadline and time "
                       "stamp follow it."});
  c.explain({.rule = "11.5e",
             .why = Why::Gap,
             .reason = "A case would shift the clock by a day and check that the rate limit, "
                       "pings, SSE heartbeats and the header deadline keep their timing."});
  c.explain({.rule = "11.5f",
             .why = Why::Gap,
             .reason = "A case would move the clock past a ticket's expiry and require the ticket "
                       "refused within 1,000 ms."});
  c.explain({.rule = "11.6a",
             .why = Why::Gap,
             .reason = "A case would emit entries and find them, with all members, in "
                       "logs.getLarge and the log export."});
  c.explain({.rule = "11.6b",
             .why = Why::Gap,
             .reason = "A case would emit 20,000 entries and require all of them in "
                       "logs.getLarge."});
  // §13 binds the client's driver: every client case runs one and judges its lines.
  c.explain({.rule = "13.2a",
             .why = Why::Contract,
             .reason = "Every client case sets these variables and judges the driver's timing "
                       "with the suite values, so a driver that ignores them fails the timed "
                       "client cases."});
  c.explain({.rule = "13.3a",
             .why = Why::Contract,
             .reason = "Every client case scripts its sidecar for this workload and waits for "
                       "its steps in order."});
  c.explain({.rule = "13.4a",
             .why = Why::Contract,
             .reason = "Every client case reads the driver's lines and fails on a line that is "
                       "not a JSON event object."});
  c.explain({.rule = "13.4b",
             .why = Why::Contract,
             .reason = "Every client case judges events as they arrive, within its deadlines, "
                       "so unflushed lines fail it."});
}

}  // namespace flake::conform
