// §11: the test contract (conformance mode, test.emitMetrics).

#include <optional>
#include <regex>
#include <set>
#include "conformance/cases/case_util.hpp"
#include "conformance/cases/cases.hpp"
#include "conformance/cases/sse_notifications.hpp"
#include "conformance/client/sidecar_process.hpp"

namespace flake::conform {
namespace {}  // namespace

void add_s11_test_contract_cases(Catalog& c) {
  c.add({.id = "11.1/1",
         .tier = Tier::Must,
         .requirement =
             "test.* methods MUST require authentication like every other method (-32001 before).",
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
  c.add({.id = "11.3/1",
         .tier = Tier::Must,
         .requirement = "test.emitMetrics sample n goes to service n mod S as one metrics.update "
                        "with metrics[\"test.n\"] = n.",
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
}

}  // namespace flake::conform
