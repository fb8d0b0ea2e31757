// §11: the test contract (conformance mode, test.emitLogs errors, test.emitMetrics,
// test.dropSession); the reasons for the rules of §11 and §13 that no case checks.

#include <map>
#include <optional>
#include <regex>
#include <set>
#include <vector>
#include "conformance/cases/case_util.hpp"
#include "conformance/cases/cases.hpp"
#include "conformance/cases/rest_case_util.hpp"
#include "conformance/cases/sse_notifications.hpp"
#include "conformance/client/sidecar_process.hpp"
#include "conformance/harness/target/sidecar_startup.hpp"

namespace flake::conform {
namespace {

using std::chrono::milliseconds;

// The suite's own wall clock in ms since the epoch, to compare with the sidecar clock.
std::int64_t suite_epoch_ms() {
  return std::chrono::duration_cast<milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// How far the sidecar clock may be from the suite's (same machine, loopback: only the time a
// request takes, and a wall clock that an NTP step may move).
constexpr std::int64_t kClockTolerance = 60'000;

std::string within(std::int64_t expected) {
  return std::to_string(expected) + " +/- " + std::to_string(kClockTolerance) + " ms";
}

// test.setClock through `rpc`: the answer as it came.
Incoming set_clock(CaseContext& ctx, RpcClient& rpc, const json& offset) {
  return rpc.call("test.setClock", {{"offsetMs", offset}}, ctx.timeout());
}

}  // namespace

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

  c.add({.id = "11.2/2",
         .tier = Tier::Must,
         .requirement =
             "test.emitLogs entries n = 0..count-1 carry ts, level by n mod 4, message, "
             "source and n; every subscription of the service gets them filtered by its "
             "level, grouped perNotification before filtering, and so does the service's "
             "SSE logs stream.",
         .rules = {"11.2c", "11.2d", "11.2e"},
         .budget = milliseconds(15000),
         .run = [](CaseContext& ctx) {
           constexpr int kCount = 40;
           constexpr int kGroup = 8;
           auto rpc = ctx.connect_authenticated();
           const std::string all = subscribe(ctx, *rpc, "logs.subscribe", {{"service", "aws"}});
           const std::string warn =
               subscribe(ctx, *rpc, "logs.subscribe", {{"service", "aws"}, {"level", "warn"}});
           SseNotifications stream(ctx, "/api/v1/stream/logs/aws");
           const std::int64_t before = suite_epoch_ms();
           const SeqCollector c = emit_logs_and_collect(
               ctx, *rpc, {{"service", "aws"}, {"count", kCount}, {"perNotification", kGroup}});
           const std::int64_t after = suite_epoch_ms();
           // The test entries of each notification, by subscription.
           std::map<std::string, std::vector<std::vector<std::int64_t>>> got;
           for (const auto& [seq, p] : c.by_seq) {
             std::vector<std::int64_t> ns;
             for (const json& e : p.value("entries", json::array())) {
               if (!is_test_entry(e)) continue;
               const std::int64_t n = e["n"];
               require(n >= 0 && n < kCount && has_integer(e, "ts") &&
                           e.value("level", "") == kLevels[n % 4] &&
                           e.value("message", "") == "test entry " + std::to_string(n),
                       "entry n: integer ts, level debug/info/warn/error for n mod 4 = 0..3, "
                       "message \"test entry <n>\", source \"test.emitLogs\", n in 0..39",
                       show(e));
               const std::int64_t ts = e["ts"];
               require(ts >= before - kClockTolerance && ts <= after + kClockTolerance,
                       "ts on the sidecar clock: " + within(before), show(e));
               ns.push_back(n);
             }
             if (!ns.empty()) got[p.value("subscription", "")].push_back(ns);
           }
           const auto show_groups = [](const std::vector<std::vector<std::int64_t>>& groups) {
             json j = groups;
             return j.dump();
           };
           std::vector<std::vector<std::int64_t>> expect_all, expect_warn;
           for (int g = 0; g < kCount; g += kGroup) {
             expect_all.emplace_back();
             expect_warn.emplace_back();
             for (int n = g; n < g + kGroup; ++n) {
               expect_all.back().push_back(n);
               if (n % 4 >= 2) expect_warn.back().push_back(n);
             }
           }
           require(got[all] == expect_all,
                   "the debug subscription: notifications of entries " + show_groups(expect_all),
                   show_groups(got[all]));
           require(got[warn] == expect_warn,
                   "the warn subscription: the same groups filtered to warn and error, " +
                       show_groups(expect_warn),
                   show_groups(got[warn]));
           std::set<std::int64_t> sse;
           while (sse.size() < static_cast<std::size_t>(kCount)) {
             const std::optional<json> n = stream.next(ctx.deadline_after(milliseconds(5000)));
             if (!n) break;
             for (const json& e : n->value("params", json()).value("entries", json::array())) {
               if (is_test_entry(e)) sse.insert(e["n"].get<std::int64_t>());
             }
           }
           require(sse.size() == static_cast<std::size_t>(kCount),
                   "entries n = 0..39 on the SSE logs stream of aws",
                   std::to_string(sse.size()) + " of them");
           return pass();
         }});
  c.add({.id = "11.5/1",
         .tier = Tier::Must,
         .requirement = "test.setClock MUST accept any integer offset within one year, answer the "
                        "offset in effect and the shifted time, replace the earlier offset, and "
                        "answer -32602 naming offsetMs otherwise.",
         .rules = {"11.5a", "11.5b", "11.5c"},
         .run = [](CaseContext& ctx) {
           ClockGuard guard(ctx);  // puts the offset back to 0 however the case ends
           if (!guard.set(0)) unimplemented_case("test.setClock is not available");
           auto rpc = ctx.connect_authenticated();
           constexpr std::int64_t kYear = 31'536'000'000;
           for (const std::int64_t offset :
                {kYear, -kYear, std::int64_t{3'600'000}, std::int64_t{7'200'000}}) {
             const std::string what = "test.setClock {\"offsetMs\":" + std::to_string(offset) + "}";
             const std::int64_t now = suite_epoch_ms();
             const Incoming in = set_clock(ctx, *rpc, offset);
             const json r = require_result(in, answer_id(in), what);
             require(has_integer(r, "offsetMs") && r["offsetMs"] == offset,
                     what + ": offsetMs " + std::to_string(offset) + ", replacing the earlier one",
                     show(r));
             require(has_integer(r, "now") &&
                         std::abs(r["now"].get<std::int64_t>() - (now + offset)) <= kClockTolerance,
                     what + ": now = the suite's time + offset, " + within(now + offset), show(r));
           }
           // The last offset replaced the one before it: system.ping's now shows 2 hours, not 3.
           const std::int64_t now = suite_epoch_ms();
           const json ping = ctx.call_result(*rpc, "system.ping", nullptr);
           require(has_integer(ping, "now") && std::abs(ping["now"].get<std::int64_t>() -
                                                        (now + 7'200'000)) <= kClockTolerance,
                   "system.ping's now 2 hours ahead (the second offset replaced the first): " +
                       within(now + 7'200'000),
                   show(ping));
           for (const json& bad :
                {json(kYear + 1), json(-kYear - 1), json(1.5), json("5"), json(nullptr)}) {
             const std::string what = "test.setClock {\"offsetMs\":" + bad.dump() + "}";
             const Incoming in = set_clock(ctx, *rpc, bad);
             require_field(require_error(in, -32602, answer_id(in), what), "offsetMs", what);
           }
           return pass();
         }});
  c.add({.id = "11.5/2",
         .tier = Tier::Must,
         .requirement = "Moved 9 min 50 s ahead, the sidecar clock MUST close a connection past "
                        "its authentication deadline within 1,000 ms, shift system.ping's now, "
                        "and keep a list cursor valid (its 10 minutes are not over).",
         .rules = {"11.5d", "11.5f", "5.7j"},
         .timing = true,
         .run = [](CaseContext& ctx) {
           constexpr std::int64_t kShift = 590'000;
           auto rpc = ctx.connect_authenticated();
           const json page = ctx.call_result(*rpc, "vercel.getDeployments", {{"limit", 1}});
           require(has_object(page, "pagination") && has_string(page["pagination"], "next"),
                   "a first page of one deployment with a next cursor", show(page, 300));
           const std::string cursor = page["pagination"]["next"];
           auto idle = ctx.connect();  // never authenticates: its deadline (4.8) is 10 s away
           ClockGuard clock(ctx);
           if (!clock.set(kShift)) unimplemented_case("test.setClock is not available");
           const auto moved = Clock::now();
           Incoming end;
           for (;;) {
             end = idle->receive(moved + milliseconds(1000) + kSlack);
             if (end.kind != Incoming::Kind::Value) break;
           }
           const long long took = ms_between(moved, Clock::now());
           require(end.kind == Incoming::Kind::Close || end.kind == Incoming::Kind::Eof,
                   "the unauthenticated connection closed within 1,000 ms of the move (its "
                   "authentication deadline passed on the sidecar clock)",
                   end.describe() + " after " + std::to_string(took) + " ms");
           const std::int64_t now = suite_epoch_ms();
           const json ping = ctx.call_result(*rpc, "system.ping", nullptr);
           require(has_integer(ping, "now") && std::abs(ping["now"].get<std::int64_t>() -
                                                        (now + kShift)) <= kClockTolerance,
                   "system.ping's now 9 min 50 s ahead: " + within(now + kShift), show(ping));
           const Incoming next = rpc->call("vercel.getDeployments",
                                           {{"limit", 1}, {"cursor", cursor}}, ctx.timeout());
           const json r = require_result(next, answer_id(next),
                                         "vercel.getDeployments with a cursor 9 min 50 s old");
           require(has_array(r, "deployments"), "the second page", show(r, 300));
           return pass("closed after " + std::to_string(took) + " ms");
         }});
  c.add({.id = "11.6/1",
         .tier = Tier::Must,
         .requirement = "20,000 entries emitted without a subscriber MUST all be in the service's "
                        "history that logs.getLarge reads, with all their members.",
         .rules = {"11.6a", "11.6b"},
         .budget = milliseconds(30000),
         .run = [](CaseContext& ctx) {
           constexpr std::int64_t kCount = 20'000;
           auto rpc = ctx.connect_authenticated();
           // No subscription: the emission costs no notification, only the history.
           ctx.call_test_method(
               *rpc, "test.emitLogs",
               {{"service", "supabase"}, {"count", kCount}, {"perNotification", 1000}});
           const std::vector<json> entries = exported_entries(ctx, *rpc,
                                                              {{"service", "supabase"},
                                                               {"timeRange", "1h"},
                                                               {"format", "json"},
                                                               {"compress", true}});
           // This emission's entries are the last test entries of the history, n = 0..19,999.
           std::vector<char> seen(kCount, 0);
           std::int64_t found = 0;
           for (auto it = entries.rbegin(); it != entries.rend() && found < kCount; ++it) {
             const json& e = *it;
             if (!is_test_entry(e)) continue;
             const std::int64_t n = e["n"];
             require(n >= 0 && n < kCount && seen[static_cast<std::size_t>(n)] == 0,
                     "the last 20,000 test entries of the export: n = 0..19,999 once each",
                     show(e));
             require(has_integer(e, "ts") && e.value("level", "") == kLevels[n % 4] &&
                         e.value("message", "") == "test entry " + std::to_string(n),
                     "each with ts, level, message, source and n as emitted (11.2)", show(e));
             seen[static_cast<std::size_t>(n)] = 1;
             ++found;
           }
           require(found == kCount, "the 20,000 emitted entries in the export",
                   std::to_string(found) + " of them");
           return pass(std::to_string(entries.size()) + " entries exported");
         }});
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
