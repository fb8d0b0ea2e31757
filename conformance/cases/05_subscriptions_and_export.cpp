// §5.9-5.12: logs.subscribe, unsubscribing, logs.getLarge's parameters.

#include <set>
#include "conformance/cases/case_util.hpp"
#include "conformance/cases/cases.hpp"
#include "conformance/client/chunk_assembler.hpp"
#include "conformance/client/data_codec.hpp"
#include "conformance/harness/rpc_path.hpp"

namespace flake::conform {
namespace {

void check_chunk(const std::optional<ChunkProblem>& problem) {
  if (problem) fail_case(problem->expected, problem->actual);
}

json call_result_on(CaseContext& ctx, RpcClient& rpc, std::string_view method) {
  return ctx.call_result(rpc, method, nullptr, Encoding::Json);
}

}  // namespace

void add_s5_subscriptions_and_export_cases(Catalog& c) {
  c.add({.id = "5.9/1",
         .tier = Tier::Must,
         .requirement = "logs.subscribe validates service and level (-32602 with data.field); each "
                        "call creates a new subscription.",
         .rules = {"5.9a", "5.9c", "5.9d", "5.9f", "5.10a", "5.10b"},
         .paths = kSocketPaths,
         .run = [](CaseContext& ctx) {
           auto path = open_rpc_path(ctx);
           require_field(
               error_of(ctx, *path, "logs.subscribe", json::object(), -32602, "logs.subscribe {}"),
               "service", "logs.subscribe {}");
           require_field(
               error_of(ctx, *path, "logs.subscribe", {{"service", "vercel"}, {"level", "fatal"}},
                        -32602, "logs.subscribe level fatal"),
               "level", "level fatal");
           const json a = call_result(*path, "logs.subscribe", {{"service", "vercel"}});
           const json b = call_result(*path, "logs.subscribe", {{"service", "vercel"}});
           require(has_string(a, "subscription") && has_string(b, "subscription") &&
                       a["subscription"] != b["subscription"],
                   "two subscribe calls: two different subscription ids",
                   show(a) + " / " + show(b));
           error_of(ctx, *path, "metrics.subscribe", {{"service", "nosuch"}}, -32004,
                    "metrics.subscribe nosuch");
           const json m = call_result(*path, "metrics.subscribe", json::object());
           require(has_string(m, "subscription"),
                   "metrics.subscribe without service: {\"subscription\":<id>}", show(m));
           return pass();
         }});
  c.add({.id = "5.9/2",
         .tier = Tier::Must,
         .requirement = "A subscription MUST receive only entries at or above its level.",
         .rules = {"5.9e"},
         .paths = kSocketPaths,
         .run = [](CaseContext& ctx) {
           auto rpc = ctx.connect_authenticated();
           const Encoding encoding = socket_encoding(ctx);
           const std::string sub = subscribe(ctx, *rpc, "logs.subscribe",
                                             {{"service", "vercel"}, {"level", "warn"}}, encoding);
           const SeqCollector c = emit_logs_and_collect(
               ctx, *rpc, {{"service", "vercel"}, {"count", 40}, {"perNotification", 4}});
           require(c.problem.empty(), "well-formed notifications", c.problem);
           for (const auto& [seq, params] : c.by_seq) {
             check_log_update(params, sub, "vercel");
             for (const auto& e : params["entries"]) {
               require(level_rank(e["level"]) >= 2,
                       "only warn and error entries with level \"warn\"", show(e));
             }
           }
           std::set<std::int64_t> want;
           for (std::int64_t n = 0; n < 40; ++n) {
             if (n % 4 >= 2) want.insert(n);
           }
           std::set<std::int64_t> got;
           for (const auto& [n, times] : c.entries_by_n) got.insert(n);
           require(got == want, "exactly the 20 test entries with n mod 4 in {2,3}",
                   std::to_string(got.size()) + " entries");
           return pass();
         }});
  c.add({.id = "5.10/1",
         .tier = Tier::Must,
         .requirement = "metrics.subscribe without service MUST receive every service's updates; "
                        "with service, only that service's.",
         .rules = {"5.10c", "5.10d"},
         .paths = kSocketPaths,
         .run = [](CaseContext& ctx) {
           auto rpc = ctx.connect_authenticated();
           const Encoding encoding = socket_encoding(ctx);
           const std::string all =
               subscribe(ctx, *rpc, "metrics.subscribe", json::object(), encoding);
           const std::string one =
               subscribe(ctx, *rpc, "metrics.subscribe", {{"service", "supabase"}}, encoding);
           ctx.call_test_method(*rpc, "test.emitMetrics", {{"count", 6}});
           // The updates precede the emitter's answer, so they are queued by now.
           std::set<std::string> all_services;
           std::set<std::string> one_services;
           for (const json& n : rpc->notifications()) {
             if (n.value("method", "") != "metrics.update" || !has_object(n, "params")) continue;
             const json& p = n["params"];
             const std::string service = p.value("service", "");
             if (p.value("subscription", "") == all) all_services.insert(service);
             if (p.value("subscription", "") == one) one_services.insert(service);
           }
           const auto list = [](const std::set<std::string>& s) {
             std::string out;
             for (const auto& x : s) out += (out.empty() ? "" : ", ") + x;
             return out.empty() ? std::string("none") : out;
           };
           require(all_services.count("vercel") && all_services.count("supabase") &&
                       all_services.count("aws"),
                   "without service: updates of vercel, supabase and aws", list(all_services));
           require(one_services == std::set<std::string>{"supabase"},
                   "with service supabase: supabase's updates only", list(one_services));
           return pass();
         }});
  c.add({.id = "5.11/1",
         .tier = Tier::Must,
         .requirement = "Unsubscribing an unknown id or another family's id MUST get -32004; a "
                        "valid one answers {\"ok\":true}.",
         .rules = {"5.11a", "5.11b", "3.9c"},
         .paths = kSocketPaths,
         .run = [](CaseContext& ctx) {
           auto path = open_rpc_path(ctx);
           const json e =
               error_of(ctx, *path, "logs.unsubscribe", {{"subscription", "no-such-sub"}}, -32004,
                        "logs.unsubscribe of an unknown id");
           require(
               e.contains("data") && e["data"].value("resource", "") == "subscription:no-such-sub",
               "data {\"resource\":\"subscription:no-such-sub\"}", show(e));
           const json logs = call_result(*path, "logs.subscribe", {{"service", "vercel"}});
           error_of(ctx, *path, "metrics.unsubscribe",
                    {{"subscription", logs.value("subscription", "")}}, -32004,
                    "metrics.unsubscribe of a logs subscription");
           const json ok = call_result(*path, "logs.unsubscribe",
                                       {{"subscription", logs.value("subscription", "")}});
           require(ok == json{{"ok", true}}, "{\"ok\":true}", show(ok));
           return pass();
         }});
  c.add({.id = "5.11/2",
         .tier = Tier::Must,
         .requirement = "After a successful unsubscribe response, no further notification for that "
                        "subscription.",
         .rules = {"5.11c", "5.9b"},
         .paths = kSocketPaths,
         .run = [](CaseContext& ctx) {
           auto rpc = ctx.connect_authenticated();
           const Encoding encoding = socket_encoding(ctx);
           const std::string gone =
               subscribe(ctx, *rpc, "logs.subscribe", {{"service", "vercel"}}, encoding);
           const std::string kept =
               subscribe(ctx, *rpc, "logs.subscribe", {{"service", "vercel"}}, encoding);
           const json ok =
               ctx.call_result(*rpc, "logs.unsubscribe", {{"subscription", gone}}, encoding);
           require(ok == json{{"ok", true}}, "logs.unsubscribe: {\"ok\":true}", show(ok));
           // Anything queued so far predates the unsubscribe response and may still name it.
           rpc->notifications().clear();
           const SeqCollector c =
               emit_logs_and_collect(ctx, *rpc, {{"service", "vercel"}, {"count", 20}});
           for (const auto& [seq, params] : c.by_seq) {
             require(params.value("subscription", "") != gone,
                     "no notification for a subscription after its unsubscribe response",
                     show(params, 200));
           }
           require(c.has_all_entries(20), "the remaining subscription still gets every entry",
                   std::to_string(c.test_entries()) + " entries");
           (void)kept;
           return pass();
         }});
  c.add({.id = "5.12/1",
         .tier = Tier::Must,
         .requirement = "logs.getLarge MUST answer -32602 with data.field for a bad timeRange, "
                        "format or compress, and -32004 for an unknown service.",
         .rules = {"5.12b", "5.12d", "5.12f", "5.2c"},
         .paths = kSocketPaths,
         .run = [](CaseContext& ctx) {
           auto path = open_rpc_path(ctx);
           const Incoming first =
               path->call("logs.getLarge", {{"service", "vercel"}, {"timeRange", "0s"}}, "probe");
           unimplemented_if_missing(first, "logs.getLarge");
           const std::pair<json, const char*> bad[] = {
               {{{"service", "vercel"}, {"timeRange", "0s"}}, "timeRange"},
               {{{"service", "vercel"}, {"timeRange", "1w"}}, "timeRange"},
               {{{"service", "vercel"}, {"timeRange", "10"}}, "timeRange"},
               {{{"service", "vercel"}, {"timeRange", "1h"}, {"format", "xml"}}, "format"},
               {{{"service", "vercel"}, {"timeRange", "1h"}, {"compress", "yes"}}, "compress"},
           };
           require_error(first, -32602, "probe", "timeRange \"0s\"");
           int id = 1;
           for (const auto& [p, field] : bad) {
             const json e = require_error(path->call("logs.getLarge", p, id), -32602, id,
                                          "logs.getLarge " + show(p));
             require(e.contains("data") && e["data"].value("field", "") == field,
                     std::string("data {\"field\":\"") + field + "\"}", show(e));
             ++id;
           }
           require_error(
               path->call("logs.getLarge", {{"service", "nosuch"}, {"timeRange", "1h"}}, id),
               -32004, id, "logs.getLarge for service nosuch");
           return pass();
         }});
  c.add({.id = "5.12/2",
         .tier = Tier::Must,
         .requirement = "An absent format MUST mean \"json\" and an absent compress false; the "
                        "export holds the entries of the time range in ascending ts.",
         .rules = {"5.12c", "5.12e", "5.12a", "5.12g"},
         .paths = kSocketPaths,
         .budget = std::chrono::milliseconds(20000),
         .run = [](CaseContext& ctx) {
           auto rpc = ctx.connect_authenticated();
           const Encoding encoding = socket_encoding(ctx);
           ctx.call_test_method(*rpc, "test.emitLogs", {{"service", "vercel"}, {"count", 5}});
           const std::int64_t before =
               call_result_on(ctx, *rpc, "system.ping").value("now", std::int64_t{0});
           rpc->send(
               make_request("logs.getLarge", {{"service", "vercel"}, {"timeRange", "1m"}}, "x"),
               encoding);
           const Incoming in = rpc->wait_for_id("x", ctx.deadline());
           unimplemented_if_missing(in, "logs.getLarge");
           const json meta = require_result(in, "x", "logs.getLarge without format and compress");
           require(meta.value("format", "") == "json" && meta.value("compressed", true) == false,
                   "metadata with format \"json\" and compressed false", show(meta));
           ChunkAssembler assembler;
           check_chunk(assembler.start(meta));
           for (std::int64_t got = 0; got < assembler.announced_chunks();) {
             const Incoming c = rpc->receive(ctx.deadline());
             const json& v = require_value(c, "data.chunk notifications");
             if (v.value("method", "") != "data.chunk") continue;
             require(c.encoding == Encoding::Json, "each data.chunk a text message", "binary");
             check_chunk(assembler.add(v.value("params", json()), c.encoding));
             ++got;
           }
           check_chunk(assembler.finish());
           const std::int64_t after =
               call_result_on(ctx, *rpc, "system.ping").value("now", std::int64_t{0});
           std::int64_t last = INT64_MIN;
           int emitted = 0;
           for (const json& e : assembler.entries()) {
             const std::int64_t ts = e.value("ts", std::int64_t{0});
             require(ts >= last, "entries in ascending ts", show(e));
             require(ts > before - 60000 && ts <= after,
                     "entries with ts in (now - 1m, now] for timeRange \"1m\"", show(e));
             last = ts;
             if (e.value("source", "") == "test.emitLogs") ++emitted;
           }
           require(emitted >= 5, "the 5 entries just emitted in the export",
                   std::to_string(emitted) + " of them");
           return pass();
         }});
}

}  // namespace flake::conform
