// §5.12 and §6.7-6.10: logs.getLarge metadata, data.chunk order and encoding, chunk payloads
// (MessagePack arrays, optionally zlib), bytes and sha256, with history made by test.emitLogs
// (§11.6) so the export is known.
#include "conformance/cases/case_util.hpp"
#include "conformance/cases/cases.hpp"
#include "conformance/client/chunk_assembler.hpp"
#include "conformance/client/data_codec.hpp"

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
  require(r.contains("result") && r["result"].is_object(), "logs.getLarge: a metadata result",
          show(r));
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
    require(e.is_object() && e.contains("ts") && e["ts"].is_number_integer() &&
                e.contains("level") && e.contains("message"),
            "entries {\"ts\",\"level\",\"message\",...}", show(e));
    const std::int64_t ts = e["ts"];
    require(ts >= last_ts, "entries ordered by ascending ts (5.12)", show(e));
    last_ts = ts;
    if (e.value("source", "") == "test.emitLogs" && e.contains("n") && e["n"].is_number_integer()) {
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
  auto rpc = ctx.connect_authenticated();
  json params = {
      {"service", service}, {"timeRange", "1h"}, {"format", json_format ? "json" : "msgpack"}};
  if (compressed) params["compress"] = true;
  Export e = fetch_export(ctx, *rpc, service, params, Encoding::Json);
  if (!json_format) {
    require(e.meta_encoding == Encoding::MsgPack,
            "the metadata of a msgpack export in a binary message (2.4)", "a text message");
  }
  require(e.assembler.announced_chunks() >= 1, "an export of 20,000 entries has chunks",
          show(e.assembler.meta()));
  check_entries(check_export(e, json_format, compressed));
  return pass(std::to_string(e.chunks.size()) + " chunks, " + show(e.assembler.meta()["bytes"]) +
              " bytes");
}

Outcome params(CaseContext& ctx) {
  auto rpc = ctx.connect_authenticated();
  const json probe =
      make_request("logs.getLarge", {{"service", "vercel"}, {"timeRange", "0s"}}, "probe");
  rpc->send(probe);
  const Incoming first = rpc->wait_for_id("probe", ctx.deadline());
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
    rpc->send(make_request("logs.getLarge", p, id));
    const json e =
        require_error(rpc->wait_for_id(id, ctx.deadline()), -32602, id, "logs.getLarge " + show(p));
    require(e.contains("data") && e["data"].value("field", "") == field,
            std::string("data {\"field\":\"") + field + "\"}", show(e));
    ++id;
  }
  rpc->send(make_request("logs.getLarge", {{"service", "nosuch"}, {"timeRange", "1h"}}, id));
  require_error(rpc->wait_for_id(id, ctx.deadline()), -32004, id,
                "logs.getLarge for service nosuch");
  return pass();
}

}  // namespace

void add_large_data_cases(Catalog& c) {
  c.add({"6.8/1", Tier::Must, Group::LargeData,
         "JSON export: base64 chunk payloads of MessagePack arrays, in order, bytes, sha256 and "
         "totalEntries consistent.",
         [](CaseContext& ctx) { return export_case(ctx, "aws", true, false); },
         std::chrono::milliseconds(30000)});
  c.add({"6.8/2", Tier::Must, Group::LargeData,
         "Compressed export: each payload is an independent zlib stream of a MessagePack array; "
         "sha256 before inflation.",
         [](CaseContext& ctx) { return export_case(ctx, "supabase", true, true); },
         std::chrono::milliseconds(30000)});
  c.add({"6.9/1", Tier::Must, Group::LargeData,
         "MessagePack export: metadata and every data.chunk are binary messages with bin payloads.",
         [](CaseContext& ctx) { return export_case(ctx, "vercel", false, false); },
         std::chrono::milliseconds(30000)});
  c.add(
      {"5.12/1", Tier::Must, Group::LargeData,
       "logs.getLarge MUST answer -32602 with data.field for a bad timeRange, format or compress, "
       "and -32004 for an unknown service.",
       params});
}

}  // namespace flake::conform
