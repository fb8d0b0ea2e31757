// §6 and §11.2-11.3: logs.update / metrics.update shape, one contiguous seq counter per session,
// level filtering, unsubscribe, notification encoding, all driven by test.emitLogs/emitMetrics.
#include "conformance/cases/case_util.hpp"
#include "conformance/cases/cases.hpp"

#include <set>

namespace flake::conform {
namespace {

const char* const kLevels[] = {"debug", "info", "warn", "error"};

int level_rank(const std::string& level) {
  for (int i = 0; i < 4; ++i) {
    if (level == kLevels[i]) return i;
  }
  return -1;
}

std::string subscribe(CaseContext& ctx, RpcClient& rpc, std::string_view method, const json& params,
                      Encoding encoding = Encoding::Json) {
  const Incoming in = rpc.call(method, params, CallOptions{ctx.timeout(), encoding});
  const json& r = require_value(in, std::string(method) + " answered");
  require(r.contains("result") && r["result"].is_object() && r["result"].contains("subscription") &&
              r["result"]["subscription"].is_string(),
          std::string(method) + ": {\"subscription\":<string>}", show(r));
  return r["result"]["subscription"];
}

// Sends test.emitLogs and collects notifications until its response. §11.2: the response comes
// after the last notification the call produced for this connection.
SeqCollector emit_and_collect(CaseContext& ctx, RpcClient& rpc, const json& params) {
  SeqCollector c;
  // Notifications queued while earlier calls waited for their answers come first.
  while (!rpc.notifications().empty()) {
    c.add(rpc.notifications().front());
    rpc.notifications().pop_front();
  }
  const json id = "emit";
  rpc.send(make_request("test.emitLogs", params, id));
  for (;;) {
    const Incoming in = rpc.receive(ctx.deadline());
    const json& v = require_value(in, "logs.update notifications, then the test.emitLogs response");
    if (is_notification(v)) {
      c.add(v);
      continue;
    }
    unimplemented_if_missing(in, "test.emitLogs");
    require(v.is_object() && v.value("id", json()) == id && v.contains("result"),
            "the test.emitLogs result", show(v));
    return c;
  }
}

void check_log_update(const json& params, const std::string& subscription,
                      std::string_view service) {
  require(params.value("subscription", "") == subscription,
          "params.subscription equal to the subscribe result", show(params, 200));
  require(params.value("service", "") == service, "params.service \"" + std::string(service) + "\"",
          show(params, 200));
  require(params.contains("entries") && params["entries"].is_array() && !params["entries"].empty(),
          "a non-empty entries array", show(params, 200));
  for (const auto& e : params["entries"]) {
    require(e.is_object() && e.contains("ts") && e["ts"].is_number_integer() &&
                e.contains("level") && e["level"].is_string() && level_rank(e["level"]) >= 0 &&
                e.contains("message") && e["message"].is_string(),
            "entries {\"ts\":<int>,\"level\":debug|info|warn|error,\"message\":<string>}", show(e));
    if (e.value("source", "") == "test.emitLogs" && e.contains("n") && e["n"].is_number_integer()) {
      const std::int64_t n = e["n"];
      require(e["message"] == "test entry " + std::to_string(n) && e["level"] == kLevels[n % 4],
              "test entry n: message \"test entry <n>\", level by n mod 4 (11.2)", show(e));
    }
  }
}

Outcome log_updates(CaseContext& ctx) {
  auto rpc = ctx.connect_authenticated();
  const std::string sub = subscribe(ctx, *rpc, "logs.subscribe", {{"service", "vercel"}});
  const SeqCollector c =
      emit_and_collect(ctx, *rpc, {{"service", "vercel"}, {"count", 50}, {"perNotification", 5}});
  require(c.problem.empty(), "well-formed notifications with contiguous seq", c.problem);
  require(c.has_all_entries(50), "entries n = 0..49 before the test.emitLogs response",
          std::to_string(c.test_entries()) + " distinct test entries");
  for (const auto& [n, times] : c.entries_by_n) {
    require(times == 1, "each test entry exactly once",
            "entry " + std::to_string(n) + " " + std::to_string(times) + " times");
  }
  for (const auto& [seq, params] : c.by_seq) check_log_update(params, sub, "vercel");
  return pass();
}

Outcome seq_counter(CaseContext& ctx) {
  auto rpc = ctx.connect_authenticated();
  subscribe(ctx, *rpc, "logs.subscribe", {{"service", "vercel"}});
  subscribe(ctx, *rpc, "logs.subscribe", {{"service", "aws"}});
  subscribe(ctx, *rpc, "metrics.subscribe", json::object());
  SeqCollector c =
      emit_and_collect(ctx, *rpc, {{"service", "vercel"}, {"count", 30}, {"perNotification", 3}});
  SeqCollector more =
      emit_and_collect(ctx, *rpc, {{"service", "aws"}, {"count", 30}, {"perNotification", 3}});
  for (const auto& [seq, params] : more.by_seq)
    c.add({{"method", "logs.update"}, {"params", params}});
  const json m = ctx.call_test_method(*rpc, "test.emitMetrics", {{"count", 6}});
  (void)m;
  // Metrics notifications arrived before the response and are queued; take them in order.
  while (!rpc->notifications().empty()) {
    c.add(rpc->notifications().front());
    rpc->notifications().pop_front();
  }
  require(!c.by_seq.empty() && c.first == 1, "the session's first notification has seq 1",
          c.by_seq.empty() ? "no notification" : "first seq " + std::to_string(c.first));
  require(c.problem.empty(), "seq + 1 for every notification, across all subscriptions", c.problem);
  return pass();
}

Outcome level_filter(CaseContext& ctx) {
  auto rpc = ctx.connect_authenticated();
  const std::string sub =
      subscribe(ctx, *rpc, "logs.subscribe", {{"service", "vercel"}, {"level", "warn"}});
  const SeqCollector c =
      emit_and_collect(ctx, *rpc, {{"service", "vercel"}, {"count", 40}, {"perNotification", 4}});
  require(c.problem.empty(), "well-formed notifications", c.problem);
  for (const auto& [seq, params] : c.by_seq) {
    check_log_update(params, sub, "vercel");
    for (const auto& e : params["entries"]) {
      require(level_rank(e["level"]) >= 2, "only warn and error entries with level \"warn\"",
              show(e));
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
}

Outcome unsubscribe_stops(CaseContext& ctx) {
  auto rpc = ctx.connect_authenticated();
  const std::string gone = subscribe(ctx, *rpc, "logs.subscribe", {{"service", "vercel"}});
  const std::string kept = subscribe(ctx, *rpc, "logs.subscribe", {{"service", "vercel"}});
  const json ok = ctx.call_result(*rpc, "logs.unsubscribe", {{"subscription", gone}});
  require(ok == json{{"ok", true}}, "logs.unsubscribe: {\"ok\":true}", show(ok));
  // Anything queued so far predates the unsubscribe response and may still name it.
  rpc->notifications().clear();
  const SeqCollector c = emit_and_collect(ctx, *rpc, {{"service", "vercel"}, {"count", 20}});
  for (const auto& [seq, params] : c.by_seq) {
    require(params.value("subscription", "") != gone,
            "no notification for a subscription after its unsubscribe response", show(params, 200));
  }
  require(c.has_all_entries(20), "the remaining subscription still gets every entry",
          std::to_string(c.test_entries()) + " entries");
  (void)kept;
  return pass();
}

Outcome notification_encoding(CaseContext& ctx) {
  require_msgpack_capability(ctx);
  auto rpc = ctx.connect_authenticated();
  subscribe(ctx, *rpc, "logs.subscribe", {{"service", "supabase"}}, Encoding::MsgPack);
  const json id = "emit";
  rpc->send(make_request("test.emitLogs", {{"service", "supabase"}, {"count", 5}}, id));
  int binary = 0;
  for (;;) {
    const Incoming in = rpc->receive(ctx.deadline());
    const json& v = require_value(in, "notifications and the test.emitLogs response");
    if (is_notification(v)) {
      require(in.encoding == Encoding::MsgPack,
              "logs.update in binary MessagePack, like the logs.subscribe request",
              "a text message");
      ++binary;
      continue;
    }
    unimplemented_if_missing(in, "test.emitLogs");
    require(in.encoding == Encoding::Json, "the JSON test.emitLogs answered in text", "binary");
    break;
  }
  require(binary > 0, "at least one logs.update", "none before the test.emitLogs response");
  return pass();
}

Outcome metrics_updates(CaseContext& ctx) {
  auto rpc = ctx.connect_authenticated();
  const std::string sub = subscribe(ctx, *rpc, "metrics.subscribe", json::object());
  ctx.call_test_method(*rpc, "test.emitMetrics", {{"count", 9}});
  const char* const sorted[] = {"aws", "supabase", "vercel"};
  std::set<std::int64_t> seen;
  while (!rpc->notifications().empty()) {
    const json n = rpc->notifications().front();
    rpc->notifications().pop_front();
    if (n.value("method", "") != "metrics.update") continue;
    const json& p = n["params"];
    require(p.value("subscription", "") == sub && p.contains("metrics") && p["metrics"].is_object(),
            "metrics.update {\"subscription\",\"service\",\"seq\",\"metrics\":{...}}", show(n));
    for (const auto& [k, v] : p["metrics"].items()) {
      require(v.is_number(), "metrics members are numbers", show(p["metrics"]));
    }
    if (!p["metrics"].contains("test.n")) continue;
    const std::int64_t i = p["metrics"]["test.n"];
    require(p.value("service", "") == sorted[i % 3],
            "sample n for the service at position n mod 3 of aws, supabase, vercel", show(p));
    seen.insert(i);
  }
  require(seen.size() == 9, "samples test.n = 0..8 before the test.emitMetrics response",
          std::to_string(seen.size()) + " samples");
  return pass();
}

}  // namespace

void add_notification_cases(Catalog& c) {
  c.add({"6.1/1", Tier::Must, Group::Notifications,
         "logs.update carries the subscription id, service, seq and non-empty well-formed entries; "
         "every emitted entry arrives once.",
         log_updates});
  c.add({"6.2/1", Tier::Must, Group::Notifications,
         "A session's first notification MUST carry seq 1 and each further one seq + 1, across all "
         "subscriptions.",
         seq_counter});
  c.add({"5.9/2", Tier::Must, Group::Notifications,
         "A subscription MUST receive only entries at or above its level.", level_filter});
  c.add({"5.11/2", Tier::Must, Group::Notifications,
         "After a successful unsubscribe response, no further notification for that subscription.",
         unsubscribe_stops});
  c.add({"2.4/2", Tier::Must, Group::MsgPack,
         "Notifications of a subscription MUST use the encoding of its subscribe request.",
         notification_encoding});
  c.add({"11.3/1", Tier::Must, Group::Notifications,
         "test.emitMetrics sample n goes to service n mod S as one metrics.update with "
         "metrics[\"test.n\"] = n.",
         metrics_updates});
}

}  // namespace flake::conform
