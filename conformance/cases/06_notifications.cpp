// §6: server notifications, sequence numbers, chunk payloads and data.chunk.

#include <set>
#include <thread>
#include "conformance/cases/case_util.hpp"
#include "conformance/cases/cases.hpp"
#include "conformance/cases/sse_notifications.hpp"
#include "conformance/client/chunk_assembler.hpp"
#include "conformance/client/data_codec.hpp"
#include "conformance/harness/rpc_path.hpp"

namespace flake::conform {
namespace {

constexpr int kEmitted = 20000;  // §11.6 keeps at least this many per service

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

// Reads every message up to the answer of a system.ping sent now, and fails on any data.chunk of
// stream `stream` among them or among the notifications already queued.
void require_no_chunk_of(CaseContext& ctx, RpcClient& rpc, const std::string& stream,
                         const std::string& what) {
  const auto is_chunk = [&](const json& v) {
    return is_notification(v) && v.value("method", "") == "data.chunk" &&
           v.value("params", json()).value("stream", "") == stream;
  };
  for (const json& n : rpc.notifications()) require(!is_chunk(n), what, show(n, 200));
  const json id = "after";
  rpc.send(make_request("system.ping", nullptr, id));
  for (;;) {
    const Incoming in = rpc.receive(ctx.deadline());
    const json& v = require_value(in, "the answer to a system.ping sent after the export");
    if (v.is_object() && v.value("id", json()) == id) return;
    require(!is_chunk(v), what, show(v, 200));
  }
}

// test.emitDeployment (§11.8) to a deployments subscription: the deployments.update notifications
// that precede its answer. The case is skipped when the sidecar does not offer the method.
std::vector<json> emitted_deployments(CaseContext& ctx, RpcClient& rpc) {
  const std::string sub = subscribe(ctx, rpc, "deployments.subscribe", json::object());
  const json id = "deploy";
  rpc.send(make_request("test.emitDeployment", nullptr, id));
  std::vector<json> updates;
  for (;;) {
    const Incoming in = rpc.receive(ctx.deadline());
    const json& v = require_value(in, "deployments.update, then the test.emitDeployment answer");
    if (is_notification(v)) {
      if (v.value("method", "") == "deployments.update" &&
          v.value("params", json()).value("subscription", "") == sub) {
        updates.push_back(v["params"]);
      }
      continue;
    }
    if (!v.is_object() || v.value("id", json()) != id) continue;
    if (is_method_not_found(v)) {
      skip_case(
          "the sidecar does not offer test.emitDeployment (-32601, 11.8), and nothing else "
          "makes it send a deployments.update on demand");
    }
    require(v.contains("result"), "test.emitDeployment answered with a result", show(v));
    require(!updates.empty(), "a deployments.update before the test.emitDeployment answer (11.8)",
            "none");
    return updates;
  }
}

}  // namespace

void add_s6_notifications_cases(Catalog& c) {
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
                   "6.2e", "11.6a", "11.6b"},
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
  c.add({.id = "6.3/1",
         .tier = Tier::Must,
         .requirement = "No notification of a subscription MUST precede the response to its "
                        "logs.subscribe, while another connection emits entries for the service.",
         .rules = {"6.3a"},
         .run = [](CaseContext& ctx) {
           auto emitter = ctx.connect_authenticated();
           auto rpc = ctx.connect_authenticated();
           // Entries flow for the service while the subscriptions below are made: the emitter's
           // call is answered at the end. Its connection is read now and then meanwhile, so that
           // it answers the sidecar's pings (7.6b) however slow this machine is.
           emitter->send(make_request(
               "test.emitLogs", {{"service", "vercel"}, {"count", 3000}, {"perNotification", 1}},
               "emit"));
           Incoming emitted;  // Timeout until the emitter's answer (or its end) has been read
           const auto pump = [&] {
             if (emitted.kind == Incoming::Kind::Timeout)
               emitted =
                   emitter->wait_for_id("emit", ctx.deadline_after(std::chrono::milliseconds(1)));
           };
           std::size_t met = 0;
           for (int i = 0; i < 5; ++i) {
             const json id = "sub" + std::to_string(i);
             rpc->send(make_request("logs.subscribe", {{"service", "vercel"}}, id));
             std::vector<json> before;
             json answer;
             for (;;) {
               const Incoming in = rpc->receive(ctx.deadline());
               unimplemented_if_missing(in, "logs.subscribe");
               const json& v = require_value(in, "the logs.subscribe response");
               if (v.is_object() && v.value("id", json()) == id) {
                 answer = v;
                 break;
               }
               if (is_notification(v)) before.push_back(v);
               if (before.size() % 100 == 0) pump();
             }
             pump();
             require(has_object(answer, "result") && has_string(answer["result"], "subscription"),
                     "logs.subscribe: {\"subscription\":<string>}", show(answer));
             const std::string sub = answer["result"]["subscription"];
             for (const json& n : before) {
               require(n.value("params", json()).value("subscription", "") != sub,
                       "no notification of subscription " + sub + " before its subscribe response",
                       show(n, 200));
             }
             met += before.size();
           }
           rpc.reset();  // its subscriptions must not hold the emission back (8.7 pacing)
           if (emitted.kind == Incoming::Kind::Timeout)
             emitted = emitter->wait_for_id("emit", ctx.deadline());
           require_value(emitted, "the emitter's test.emitLogs answer");
           return pass(std::to_string(met) + " notifications of earlier subscriptions in between");
         }});
  c.add({.id = "6.4/1",
         .tier = Tier::Should,
         .requirement = "A log entry SHOULD carry a string source: every entry of an export of the "
                        "last minute of a service's history, its own entries and emitted ones.",
         .rules = {"6.4b"},
         .run = [](CaseContext& ctx) {
           auto rpc = ctx.connect_authenticated();
           ctx.call_test_method(*rpc, "test.emitLogs", {{"service", "aws"}, {"count", 3}});
           const std::vector<json> entries = exported_entries(
               ctx, *rpc, {{"service", "aws"}, {"timeRange", "1m"}, {"format", "json"}});
           require(!entries.empty(), "the three entries just emitted in the export", "none");
           for (const json& e : entries) {
             require(has_string(e, "source"), "a string source in every entry", show(e, 300));
           }
           return pass(std::to_string(entries.size()) + " entries");
         }});
  c.add({.id = "6.5/1",
         .tier = Tier::Should,
         .requirement = "The entries of one logs.update SHOULD be in ascending ts order.",
         .rules = {"6.5a"},
         .run = [](CaseContext& ctx) {
           auto rpc = ctx.connect_authenticated();
           subscribe(ctx, *rpc, "logs.subscribe", {{"service", "aws"}});
           const SeqCollector c = emit_logs_and_collect(
               ctx, *rpc, {{"service", "aws"}, {"count", 40}, {"perNotification", 10}});
           std::size_t several = 0;
           for (const auto& [seq, p] : c.by_seq) {
             const json entries = p.value("entries", json::array());
             several += entries.size() > 1 ? 1 : 0;
             for (std::size_t i = 1; i < entries.size(); ++i) {
               require(has_integer(entries[i - 1], "ts") && has_integer(entries[i], "ts") &&
                           entries[i - 1]["ts"].get<std::int64_t>() <=
                               entries[i]["ts"].get<std::int64_t>(),
                       "entries in ascending ts within one logs.update", show(p, 400));
             }
           }
           require(several > 0, "logs.update notifications of several entries (perNotification 10)",
                   "none");
           return pass();
         }});
  c.add({.id = "6.6/2",
         .tier = Tier::Must,
         .requirement = "The deployment of a deployments.update MUST be an object (the update "
                        "sent on demand by test.emitDeployment, before its answer).",
         .rules = {"6.6b", "11.8a", "11.8b"},
         .run = [](CaseContext& ctx) {
           auto rpc = ctx.connect_authenticated();
           for (const json& p : emitted_deployments(ctx, *rpc)) {
             require(has_object(p, "deployment"), "params.deployment, an object", show(p, 300));
           }
           return pass();
         }});
  c.add({.id = "6.6/3",
         .tier = Tier::Should,
         .requirement = "The deployment of a deployments.update SHOULD carry an id and a state, "
                        "both strings.",
         .rules = {"6.6c"},
         .run = [](CaseContext& ctx) {
           auto rpc = ctx.connect_authenticated();
           for (const json& p : emitted_deployments(ctx, *rpc)) {
             const json d = p.value("deployment", json());
             require(has_string(d, "id") && has_string(d, "state"),
                     "deployment {\"id\":<string>,\"state\":<string>,...}", show(p, 300));
           }
           return pass();
         }});
  c.add({.id = "6.7/2",
         .tier = Tier::Must,
         .requirement = "An export without matching entries MUST answer totalEntries 0, chunks 0, "
                        "bytes 0 and the SHA-256 of the empty string, and send no data.chunk.",
         .rules = {"6.7f"},
         .run = [](CaseContext& ctx) {
           // One day ahead, the last second holds no entry unless one is produced in it: the
           // history's entries were stamped before the shift.
           ClockGuard clock(ctx);
           if (!clock.set(86'400'000)) unimplemented_case("test.setClock is not available");
           auto rpc = ctx.connect_authenticated();
           json meta;
           for (int attempt = 0; attempt < 3; ++attempt) {
             meta = ctx.call_result(*rpc, "logs.getLarge",
                                    {{"service", "aws"}, {"timeRange", "1s"}, {"format", "json"}});
             if (meta.value("totalEntries", -1) == 0) break;
             // Entries produced in that second: let them age out and ask again.
             std::this_thread::sleep_for(std::chrono::milliseconds(1100));
           }
           require(has_string(meta, "stream") && meta.value("totalEntries", -1) == 0,
                   "totalEntries 0 for the last second, one day ahead", show(meta));
           require(meta.value("chunks", -1) == 0 && meta.value("bytes", -1) == 0 &&
                       meta.value("sha256", "") ==
                           "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                   "chunks 0, bytes 0, sha256 of the empty string", show(meta));
           require_no_chunk_of(ctx, *rpc, meta["stream"], "no data.chunk for an empty export");
           return pass();
         }});
  c.add({.id = "6.8/3",
         .tier = Tier::Must,
         .requirement = "An entry whose message alone exceeds a chunk MUST be exported with its "
                        "message shortened (made with test.emitLogs' messageBytes).",
         .rules = {"6.8e"},
         .budget = std::chrono::milliseconds(20000),
         .run = [](CaseContext& ctx) {
           auto rpc = ctx.connect_authenticated();
           // Does the sidecar offer messageBytes (11.2)? One padded entry to a subscription of
           // another service says.
           const std::string sub = subscribe(ctx, *rpc, "logs.subscribe", {{"service", "aws"}});
           const SeqCollector probe = emit_logs_and_collect(
               ctx, *rpc, {{"service", "aws"}, {"count", 1}, {"messageBytes", 64}});
           std::string padded;
           for (const auto& [seq, p] : probe.by_seq) {
             if (p.value("subscription", "") != sub) continue;
             for (const json& e : p.value("entries", json::array())) {
               if (is_test_entry(e) && e["n"] == 0) padded = e.value("message", "");
             }
           }
           if (padded == "test entry 0") {
             skip_case(
                 "the sidecar does not offer test.emitLogs' messageBytes (11.2), so it cannot be "
                 "made to hold an entry larger than a chunk");
           }
           require(padded == "test entry 0" + std::string(64 - 12, 'x'),
                   "messageBytes 64: message \"test entry 0\" padded with x to 64 bytes (11.2)",
                   show(padded));
           ctx.call_result(*rpc, "logs.unsubscribe", {{"subscription", sub}});
           constexpr std::size_t kLong = 1'100'000;  // more than a chunk's 1,048,576 bytes
           ctx.call_test_method(*rpc, "test.emitLogs",
                                {{"service", "vercel"}, {"count", 1}, {"messageBytes", kLong}});
           const std::vector<json> entries = exported_entries(
               ctx, *rpc, {{"service", "vercel"}, {"timeRange", "1m"}, {"format", "json"}});
           for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
             if (!is_test_entry(*it) || (*it)["n"] != 0) continue;
             const std::string message = it->value("message", "");
             require(
                 message.size() > 12 && message.size() < kLong &&
                     message == "test entry 0" + std::string(message.size() - 12, 'x'),
                 "the last emitted entry (n 0, 1,100,000-byte message) in the export, its "
                 "message shortened to its first bytes",
                 show(message.substr(0, 40)) + " of " + std::to_string(message.size()) + " bytes");
             return pass("message of " + std::to_string(kLong) + " bytes exported as " +
                         std::to_string(message.size()));
           }
           fail_case("the last emitted entry (n 0) in the export",
                     "no test entry among " + std::to_string(entries.size()));
         }});
  c.add({.id = "6.9/2",
         .tier = Tier::Must,
         .requirement = "The first data.chunk MUST NOT be sent before the metadata response: "
                        "messages read in arrival order after logs.getLarge.",
         .rules = {"6.9b"},
         .run = [](CaseContext& ctx) {
           auto rpc = ctx.connect_authenticated();
           ctx.call_test_method(*rpc, "test.emitLogs", {{"service", "supabase"}, {"count", 5}});
           rpc->send(make_request(
               "logs.getLarge", {{"service", "supabase"}, {"timeRange", "1m"}, {"format", "json"}},
               "large"));
           for (;;) {
             const Incoming in = rpc->receive(ctx.deadline());
             unimplemented_if_missing(in, "logs.getLarge");
             const json& v = require_value(in, "the logs.getLarge metadata response");
             require(!(is_notification(v) && v.value("method", "") == "data.chunk"),
                     "the metadata response before the first data.chunk", show(v, 200));
             if (!v.is_object() || v.value("id", json()) != "large") continue;
             require(has_object(v, "result") && v["result"].value("chunks", 0) >= 1,
                     "a metadata result announcing chunks (5 entries were just emitted)", show(v));
             return pass();
           }
         }});
  c.add(
      {.id = "6.9/3",
       .tier = Tier::Must,
       .requirement = "data.chunk notifications MUST NOT be replayed by session.resume: an "
                      "export, test.dropSession, then a resume from lastSeq 0.",
       .rules = {"6.9e"},
       .run = [](CaseContext& ctx) {
         auto rpc = ctx.connect_authenticated();
         const std::string session = ctx.last_auth_result().value("sessionId", "");
         subscribe(ctx, *rpc, "logs.subscribe", {{"service", "supabase"}});
         emit_logs_and_collect(ctx, *rpc,
                               {{"service", "supabase"}, {"count", 2}, {"perNotification", 1}});
         const json meta = export_and_drain(
             ctx, *rpc, {{"service", "supabase"}, {"timeRange", "1m"}, {"format", "json"}},
             "large");
         require(meta.value("chunks", 0) >= 1,
                 "an export with at least one data.chunk (2 entries were just emitted)",
                 show(meta));
         rpc->send(make_request("test.dropSession", nullptr, "drop"));
         for (;;) {
           const Incoming in = rpc->receive(ctx.deadline());
           if (in.kind != Incoming::Kind::Value) break;
         }
         auto again = ctx.connect_authenticated();
         const json id = "resume";
         again->send(make_request("session.resume", {{"sessionId", session}, {"lastSeq", 0}}, id));
         const json r = require_result(again->wait_for_id(id, ctx.deadline()), id,
                                       "session.resume from lastSeq 0");
         require(r.value("resumed", false) == true, "the dropped session resumes", show(r));
         int replayed = 0;
         const auto check = [&](const json& n) {
           require(n.value("method", "") != "data.chunk",
                   "no data.chunk among the notifications replayed", show(n, 200));
           if (n.value("method", "") == "logs.update") ++replayed;
         };
         for (const json& n : again->notifications()) check(n);
         again->notifications().clear();
         const json ping = "after";
         again->send(make_request("system.ping", nullptr, ping));
         for (;;) {
           const Incoming in = again->receive(ctx.deadline());
           const json& v = require_value(in, "the replay, then the system.ping answer");
           if (v.is_object() && v.value("id", json()) == ping) break;
           if (is_notification(v)) check(v);
         }
         require(replayed >= 2, "the two logs.update notifications replayed",
                 std::to_string(replayed));
         return pass(std::to_string(replayed) + " logs.update replayed");
       }});
}

}  // namespace flake::conform
