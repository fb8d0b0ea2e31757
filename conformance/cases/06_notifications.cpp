// §6: server notifications, sequence numbers, chunk payloads and data.chunk.

#include <set>
#include "conformance/cases/case_util.hpp"
#include "conformance/cases/cases.hpp"
#include "conformance/cases/sse_notifications.hpp"
#include "conformance/client/chunk_assembler.hpp"
#include "conformance/client/data_codec.hpp"
#include "conformance/harness/rpc_path.hpp"

namespace flake::conform {
namespace {

constexpr int kEmitted = 20000;

// §11.6 keeps at least this many per service
struct Export {
  ChunkAssembler assembler;         // holds the accepted metadata
  std::vector<json> chunks;         // params of each data.chunk
  std::vector<Encoding> encodings;  // how each arrived
  Encoding meta_encoding = Encoding::Json;
};

void require_ok(const std::optional<ChunkProblem>& problem) {
  if (problem) fail_case(problem->expected, problem->actual);
}

// Fills the service's history with kEmitted test entries, then exports it.
Export fetch_export(CaseContext& ctx, RpcClient& rpc, const std::string& service,
                    const json& params, Encoding encoding) {
  ctx.call_test_method(rpc, "test.emitLogs",
                       {{"service", service}, {"count", kEmitted}, {"perNotification", 1000}});
  const json id = "large";
  rpc.send(make_request("logs.getLarge", params, id), encoding);
  const Incoming first = rpc.wait_for_id(id, ctx.deadline());
  unimplemented_if_missing(first, "logs.getLarge");
  Export e;
  const json r = require_value(first, "the logs.getLarge metadata response");
  require(has_object(r, "result"), "logs.getLarge: a metadata result", show(r));
  require_ok(e.assembler.start(r["result"]));
  e.meta_encoding = first.encoding;
  const std::int64_t k = e.assembler.announced_chunks();
  while (static_cast<std::int64_t>(e.chunks.size()) < k) {
    const Incoming in = rpc.wait_for(
        [](const json& v) { return is_notification(v) && v.value("method", "") == "data.chunk"; },
        ctx.deadline());
    const json n = require_value(in, std::to_string(k) + " data.chunk notifications");
    e.chunks.push_back(n.value("params", json()));
    e.encodings.push_back(in.encoding);
  }
  return e;
}

// Checks §6.8-6.10 on an export and returns every entry in order.
std::vector<json> check_export(Export& e, bool json_format, bool compressed) {
  const json& m = e.assembler.meta();
  require(m["format"] == (json_format ? "json" : "msgpack") && m["compressed"] == compressed,
          "format and compressed echo the request", show(m));
  for (std::size_t i = 0; i < e.chunks.size(); ++i) {
    require_ok(e.assembler.add(e.chunks[i], e.encodings[i]));
  }
  require_ok(e.assembler.finish());
  return e.assembler.entries();
}

void check_entries(const std::vector<json>& entries) {
  std::int64_t last_ts = INT64_MIN;
  std::vector<char> seen(kEmitted, 0);
  std::int64_t last_n = -1;
  for (const auto& e : entries) {
    require(has_integer(e, "ts") && e.contains("level") && e.contains("message"),
            "entries {\"ts\",\"level\",\"message\",...}", show(e));
    const std::int64_t ts = e["ts"];
    require(ts >= last_ts, "entries ordered by ascending ts (5.12)", show(e));
    last_ts = ts;
    if (is_test_entry(e)) {
      const std::int64_t n = e["n"];
      if (n >= 0 && n < kEmitted) {
        seen[static_cast<std::size_t>(n)] = 1;
        // Entries with equal ts keep production order (5.12): n only grows.
        require(n > last_n || last_n == -1 || n == 0, "emitted entries in production order",
                show(e));
        last_n = n;
      }
    }
  }
  std::size_t count = 0;
  for (const char s : seen) count += static_cast<std::size_t>(s);
  require(count == static_cast<std::size_t>(kEmitted),
          "the " + std::to_string(kEmitted) + " emitted entries in the export (11.6)",
          std::to_string(count) + " of them");
}

Outcome export_case(CaseContext& ctx, const std::string& service, bool json_format,
                    bool compressed) {
  if (!json_format) require_msgpack_capability(ctx);
  // The request travels the cell's socket path; the chunks' encoding is the format's (6.9).
  const Encoding request = socket_encoding(ctx);
  auto rpc = ctx.connect_authenticated();
  json params = {
      {"service", service}, {"timeRange", "1h"}, {"format", json_format ? "json" : "msgpack"}};
  if (compressed) params["compress"] = true;
  Export e = fetch_export(ctx, *rpc, service, params, request);
  if (!json_format) {
    require(e.meta_encoding == Encoding::MsgPack,
            "the metadata of a msgpack export in a binary message (2.4)", "a text message");
  } else {
    const bool binary = request == Encoding::MsgPack;
    require(e.meta_encoding == request,
            std::string("the metadata of a json export in the request's encoding (2.4): ") +
                (binary ? "binary" : "text"),
            binary ? "a text message" : "a binary message");
  }
  require(e.assembler.announced_chunks() >= 1, "an export of 20,000 entries has chunks",
          show(e.assembler.meta()));
  check_entries(check_export(e, json_format, compressed));
  return pass(std::to_string(e.chunks.size()) + " chunks, " + show(e.assembler.meta()["bytes"]) +
              " bytes");
}

// Sends logs.getLarge and reads its metadata result and the data.chunk notifications it announces;
// returns the metadata.
json export_and_drain(CaseContext& ctx, RpcClient& rpc, const json& params, const json& id) {
  rpc.send(make_request("logs.getLarge", params, id));
  const Incoming first = rpc.wait_for_id(id, ctx.deadline());
  unimplemented_if_missing(first, "logs.getLarge");
  const json r = require_value(first, "the logs.getLarge metadata response");
  require(has_object(r, "result") && has_string(r["result"], "stream") &&
              has_integer(r["result"], "chunks"),
          "logs.getLarge: a metadata result with stream and chunks", show(r));
  const json meta = r["result"];
  const std::string stream = meta["stream"];
  for (std::int64_t i = 0; i < meta["chunks"].get<std::int64_t>(); ++i) {
    const Incoming in = rpc.wait_for(
        [&](const json& v) {
          return is_notification(v) && v.value("method", "") == "data.chunk" &&
                 v.value("params", json()).value("stream", "") == stream;
        },
        ctx.deadline());
    require_value(in, std::to_string(meta["chunks"].get<std::int64_t>()) +
                          " data.chunk notifications of stream " + stream);
  }
  return meta;
}

}  // namespace

void add_s6_notifications_cases(Catalog& c) {
  c.explain({.rule = "6.4b",
             .why = Why::Gap,
             .reason = "A case would read the entries of an export of the service history and "
                       "require a string source in each."});
  c.explain({.rule = "6.5a",
             .why = Why::Gap,
             .reason = "A case would emit entries several to a notification and require ascending "
                       "ts within each logs.update."});
  c.explain({.rule = "6.7f",
             .why = Why::Gap,
             .reason = "A case would export a time range without entries and require the empty "
                       "metadata and no data.chunk."});
  c.explain({.rule = "6.3a",
             .why = Why::Gap,
             .reason = "A case would subscribe while another connection emits entries for the same "
                       "service and require that no notification of the new subscription precedes "
                       "its subscribe response."});
  c.explain({.rule = "6.6b",
             .why = Why::Gap,
             .reason = "A case needs a way to make the sidecar send a deployments.update, and the "
                       "test methods of section 11 provide none."});
  c.explain({.rule = "6.6c",
             .why = Why::Gap,
             .reason = "A case needs a way to make the sidecar send a deployments.update, and the "
                       "test methods of section 11 provide none."});
  c.explain({.rule = "6.8e",
             .why = Why::Gap,
             .reason = "A case needs a log entry whose message alone does not fit into a chunk, "
                       "and test.emitLogs cannot produce one."});
  c.explain({.rule = "6.9b",
             .why = Why::Gap,
             .reason =
                 "A case would read every message after a logs.getLarge request in arrival order "
                 "and require the metadata response before the first data.chunk of its stream."});
  c.explain(
      {.rule = "6.9e",
       .why = Why::Gap,
       .reason =
           "A case would export on a connection, drop it with test.dropSession, resume the session "
           "with lastSeq 0 and require no data.chunk among the replayed notifications."});
  c.add({.id = "6.1/1",
         .tier = Tier::Must,
         .requirement = "logs.update carries the subscription id, service, seq and non-empty "
                        "well-formed entries; every emitted entry arrives once.",
         .rules = {"6.1a", "6.1b", "6.1c", "6.3c", "6.4a", "6.2c"},
         .paths = kNotificationPaths,
         .run = [](CaseContext& ctx) {
           auto rpc = ctx.connect_authenticated();
           const json emit = {{"service", "vercel"}, {"count", 50}, {"perNotification", 5}};
           std::string sub;
           SeqCollector c;
           if (ctx.path() == Path::Sse) {
             // The service's stream carries the same entries (§9.12, §11.2), after the emitting
             // call's answer or before it: this reader is another connection.
             SseNotifications stream(ctx, "/api/v1/stream/logs/vercel");
             sub = stream.path();
             ctx.call_test_method(*rpc, "test.emitLogs", emit);
             while (!c.has_all_entries(50)) {
               const std::optional<json> n = stream.next(ctx.deadline());
               if (!n) break;
               if (n->value("method", "") == "logs.update") c.add(*n);
             }
             require(c.has_all_entries(50), "entries n = 0..49 on the SSE logs stream",
                     std::to_string(c.test_entries()) + " distinct test entries");
           } else {
             sub = subscribe(ctx, *rpc, "logs.subscribe", {{"service", "vercel"}},
                             socket_encoding(ctx));
             c = emit_logs_and_collect(ctx, *rpc, emit);
             require(c.has_all_entries(50), "entries n = 0..49 before the test.emitLogs response",
                     std::to_string(c.test_entries()) + " distinct test entries");
           }
           require(c.problem.empty(), "well-formed notifications with contiguous seq", c.problem);
           for (const auto& [n, times] : c.entries_by_n) {
             require(times == 1, "each test entry exactly once",
                     "entry " + std::to_string(n) + " " + std::to_string(times) + " times");
           }
           for (const auto& [seq, params] : c.by_seq) check_log_update(params, sub, "vercel");
           return pass();
         }});
  c.add({.id = "6.2/1",
         .tier = Tier::Must,
         .requirement = "A session's first notification MUST carry seq 1 and each further one seq "
                        "+ 1, across all subscriptions.",
         .rules = {"6.2a", "6.2b", "6.2c", "6.3b"},
         .paths = kSocketPaths,
         .run = [](CaseContext& ctx) {
           auto rpc = ctx.connect_authenticated();
           const Encoding encoding = socket_encoding(ctx);
           subscribe(ctx, *rpc, "logs.subscribe", {{"service", "vercel"}}, encoding);
           subscribe(ctx, *rpc, "logs.subscribe", {{"service", "aws"}}, encoding);
           subscribe(ctx, *rpc, "metrics.subscribe", json::object(), encoding);
           SeqCollector c = emit_logs_and_collect(
               ctx, *rpc, {{"service", "vercel"}, {"count", 30}, {"perNotification", 3}});
           SeqCollector more = emit_logs_and_collect(
               ctx, *rpc, {{"service", "aws"}, {"count", 30}, {"perNotification", 3}});
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
           require(c.problem.empty(), "seq + 1 for every notification, across all subscriptions",
                   c.problem);
           return pass();
         }});
  c.add({.id = "6.8/1",
         .tier = Tier::Must,
         .requirement = "JSON export: base64 chunk payloads of MessagePack arrays, in order, "
                        "bytes, sha256 and totalEntries consistent.",
         .rules = {"6.8a", "6.8b", "6.8d", "6.7b", "6.7c", "6.7d", "6.7e", "6.9a", "6.9d", "6.10a",
                   "6.2e"},
         .paths = kSocketPaths,
         .budget = std::chrono::milliseconds(30000),
         .run = [](CaseContext& ctx) { return export_case(ctx, "aws", true, false); }});
  c.add({.id = "6.8/2",
         .tier = Tier::Must,
         .requirement = "Compressed export: each payload is an independent zlib stream of a "
                        "MessagePack array; sha256 before inflation.",
         .rules = {"6.8c", "6.7e", "6.10a"},
         .paths = kSocketPaths,
         .budget = std::chrono::milliseconds(30000),
         .run = [](CaseContext& ctx) { return export_case(ctx, "supabase", true, true); }});
  c.add({.id = "6.9/1",
         .tier = Tier::Must,
         .requirement = "MessagePack export: metadata and every data.chunk are binary messages "
                        "with bin payloads.",
         .rules = {"6.9c", "6.9a", "6.7e"},
         .paths = kSocketPaths,
         .budget = std::chrono::milliseconds(30000),
         .run = [](CaseContext& ctx) { return export_case(ctx, "vercel", false, false); }});
  c.add({.id = "6.2/2",
         .tier = Tier::Must,
         .requirement = "data.chunk notifications MUST NOT advance the seq counter: the updates "
                        "after an export continue where those before it ended.",
         .rules = {"6.2f"},
         .run = [](CaseContext& ctx) {
           auto rpc = ctx.connect_authenticated();
           subscribe(ctx, *rpc, "logs.subscribe", {{"service", "aws"}});
           const json emit = {{"service", "aws"}, {"count", 4}, {"perNotification", 1}};
           SeqCollector c = emit_logs_and_collect(ctx, *rpc, emit);
           const json meta = export_and_drain(
               ctx, *rpc, {{"service", "aws"}, {"timeRange", "1h"}, {"format", "json"}}, "large");
           require(meta["chunks"].get<std::int64_t>() >= 1,
                   "an export with at least one data.chunk (4 entries were just emitted)",
                   show(meta));
           const std::int64_t before = c.last;
           SeqCollector more = emit_logs_and_collect(ctx, *rpc, emit);
           for (const auto& [seq, params] : more.by_seq)
             c.add({{"method", "logs.update"}, {"params", params}});
           require(!more.by_seq.empty() && more.first == before + 1,
                   "the first logs.update after the export with seq " + std::to_string(before + 1),
                   more.by_seq.empty() ? "none" : "seq " + std::to_string(more.first));
           require(c.problem.empty(), "seq + 1 across the export", c.problem);
           return pass(std::to_string(meta["chunks"].get<std::int64_t>()) + " chunks between");
         }});
  c.add({.id = "6.6/1",
         .tier = Tier::Must,
         .requirement = "metrics.update MUST carry the subscription, the service and metrics, an "
                        "object whose members are numbers.",
         .rules = {"6.6a", "6.1b", "6.1c"},
         .run = [](CaseContext& ctx) {
           auto rpc = ctx.connect_authenticated();
           const std::string sub = subscribe(ctx, *rpc, "metrics.subscribe", json::object());
           ctx.call_test_method(*rpc, "test.emitMetrics", {{"count", 4}});
           std::set<std::string> services;
           for (const json& n : rpc->notifications()) {
             if (n.value("method", "") != "metrics.update") continue;
             const json& p = n.value("params", json());
             require(p.value("subscription", "") == sub, "params.subscription \"" + sub + "\"",
                     show(p, 300));
             require(has_string(p, "service"), "params.service, a string", show(p, 300));
             services.insert(p["service"].get<std::string>());
             require(has_object(p, "metrics"), "params.metrics, an object", show(p, 300));
             for (const auto& [name, value] : p["metrics"].items()) {
               require(value.is_number(), "metrics members that are numbers",
                       name + ": " + value.dump());
             }
           }
           require(!services.empty(),
                   "metrics.update notifications before the test.emitMetrics "
                   "response (11.3)",
                   "none");
           rpc->notifications().clear();
           return pass();
         }});
  c.add({.id = "6.7/1",
         .tier = Tier::Must,
         .requirement = "stream MUST be unique on the connection: two exports get two different "
                        "stream values.",
         .rules = {"6.7a"},
         .run = [](CaseContext& ctx) {
           auto rpc = ctx.connect_authenticated();
           ctx.call_test_method(*rpc, "test.emitLogs", {{"service", "supabase"}, {"count", 3}});
           const json params = {{"service", "supabase"}, {"timeRange", "1h"}};
           const json a = export_and_drain(ctx, *rpc, params, "first");
           const json b = export_and_drain(ctx, *rpc, params, "second");
           require(a["stream"] != b["stream"], "two different stream values on one connection",
                   show(a["stream"]) + " twice");
           return pass();
         }});
}

}  // namespace flake::conform
