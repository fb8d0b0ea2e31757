// §5.12 and §6.7-6.10: logs.getLarge metadata, data.chunk order and encoding, chunk payloads
// (MessagePack arrays, optionally zlib), bytes and sha256, with history made by test.emitLogs
// (§11.6) so the export is known.
#include "case_util.hpp"
#include "cases.hpp"
#include "data_codec.hpp"

namespace flake::conform {
namespace {

constexpr int kEmitted = 20000;  // §11.6 keeps at least this many per service

struct Export {
  json meta;
  std::vector<json> chunks;        // params of each data.chunk
  std::vector<Encoding> encodings;  // how each arrived
  Encoding meta_encoding = Encoding::Json;
};

// Fills the service's history with kEmitted test entries, then exports it.
Export fetch_export(CaseContext& ctx, RpcClient& rpc, const std::string& service, const json& params,
                    Encoding encoding) {
  ctx.call_test_method(rpc, "test.emitLogs", {{"service", service}, {"count", kEmitted}, {"perNotification", 1000}});
  const json id = "large";
  rpc.send(make_request("logs.getLarge", params, id), encoding);
  const Incoming first = rpc.wait_for_id(id, ctx.deadline());
  unimplemented_if_missing(first, "logs.getLarge");
  Export e;
  const json r = require_value(first, "the logs.getLarge metadata response");
  require(r.contains("result") && r["result"].is_object(), "logs.getLarge: a metadata result", show(r));
  e.meta = r["result"];
  e.meta_encoding = first.encoding;
  const json& m = e.meta;
  for (const char* key : {"stream", "sha256", "format"}) {
    require(m.contains(key) && m[key].is_string(), std::string("metadata \"") + key + "\" string", show(m));
  }
  for (const char* key : {"totalEntries", "chunks", "bytes"}) {
    require(m.contains(key) && m[key].is_number_integer() && m[key].get<std::int64_t>() >= 0,
            std::string("metadata \"") + key + "\" integer >= 0", show(m));
  }
  require(m.contains("compressed") && m["compressed"].is_boolean(), "metadata \"compressed\" boolean",
          show(m));
  const std::int64_t k = m["chunks"];
  require(k < 10000, "a sane number of chunks", show(m));
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
std::vector<json> check_export(const Export& e, bool json_format, bool compressed) {
  const json& m = e.meta;
  require(m["format"] == (json_format ? "json" : "msgpack") && m["compressed"] == compressed,
          "format and compressed echo the request", show(m));
  std::string all;
  std::vector<json> entries;
  for (std::size_t i = 0; i < e.chunks.size(); ++i) {
    const json& c = e.chunks[i];
    const std::string where = "data.chunk " + std::to_string(i);
    require(c.value("stream", "") == m["stream"] && c.value("index", -1) == static_cast<int>(i),
            where + ": same stream, index " + std::to_string(i) + " (in order)", show(c, 200));
    require(!c.contains("seq"), where + ": no seq (6.2)", show(c, 200));
    std::string payload;
    if (json_format) {
      require(e.encodings[i] == Encoding::Json, where + ": a text message", "binary");
      require(c.contains("payload") && c["payload"].is_string(), where + ": base64 string payload",
              show(c, 200));
      const auto decoded = base64_decode(c["payload"].get<std::string>());
      require(decoded.has_value(), where + ": standard base64 with padding", show(c, 200));
      payload = *decoded;
    } else {
      require(e.encodings[i] == Encoding::MsgPack, where + ": a binary message", "text");
      require(c.contains("payload") && c["payload"].is_binary(), where + ": bin payload", show(c, 200));
      const auto& bin = c["payload"].get_binary();
      payload.assign(bin.begin(), bin.end());
    }
    require(payload.size() <= (1u << 20), where + ": payload at most 1 MiB",
            std::to_string(payload.size()) + " bytes");
    all += payload;
    std::string array = payload;
    if (compressed) {
      const auto inflated = zlib_inflate(payload, std::size_t{256} << 20);
      require(inflated.has_value(), where + ": one complete zlib stream", "does not inflate");
      array = *inflated;
    }
    const json items = json::from_msgpack(array.begin(), array.end(), true, false);
    require(!items.is_discarded() && items.is_array() && !items.empty(),
            where + ": one MessagePack array of at least one entry", WireLog::hex_prefix(array));
    for (const auto& item : items) entries.push_back(item);
  }
  require(static_cast<std::int64_t>(all.size()) == m["bytes"].get<std::int64_t>(),
          "bytes = the sum of the raw payload lengths", std::to_string(all.size()) + " vs " + show(m["bytes"]));
  require(sha256_hex(all) == m["sha256"], "sha256 over the concatenated raw payloads", sha256_hex(all));
  require(static_cast<std::int64_t>(entries.size()) == m["totalEntries"].get<std::int64_t>(),
          "totalEntries = the entries in all chunks", std::to_string(entries.size()));
  return entries;
}

void check_entries(const std::vector<json>& entries) {
  std::int64_t last_ts = INT64_MIN;
  std::vector<char> seen(kEmitted, 0);
  std::int64_t last_n = -1;
  for (const auto& e : entries) {
    require(e.is_object() && e.contains("ts") && e["ts"].is_number_integer() && e.contains("level") &&
                e.contains("message"),
            "entries {\"ts\",\"level\",\"message\",...}", show(e));
    const std::int64_t ts = e["ts"];
    require(ts >= last_ts, "entries ordered by ascending ts (5.12)", show(e));
    last_ts = ts;
    if (e.value("source", "") == "test.emitLogs" && e.contains("n") && e["n"].is_number_integer()) {
      const std::int64_t n = e["n"];
      if (n >= 0 && n < kEmitted) {
        seen[static_cast<std::size_t>(n)] = 1;
        // Entries with equal ts keep production order (5.12): n only grows.
        require(n > last_n || last_n == -1 || n == 0, "emitted entries in production order", show(e));
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

Outcome export_case(CaseContext& ctx, const std::string& service, bool json_format, bool compressed) {
  if (!json_format) require_msgpack_capability(ctx);
  auto rpc = ctx.connect_authenticated();
  json params = {{"service", service}, {"timeRange", "1h"}, {"format", json_format ? "json" : "msgpack"}};
  if (compressed) params["compress"] = true;
  const Export e = fetch_export(ctx, *rpc, service, params, Encoding::Json);
  if (!json_format) {
    require(e.meta_encoding == Encoding::MsgPack,
            "the metadata of a msgpack export in a binary message (2.4)", "a text message");
  }
  require(e.meta["chunks"].get<std::int64_t>() >= 1, "an export of 20,000 entries has chunks",
          show(e.meta));
  check_entries(check_export(e, json_format, compressed));
  return pass(std::to_string(e.chunks.size()) + " chunks, " + show(e.meta["bytes"]) + " bytes");
}

Outcome params(CaseContext& ctx) {
  auto rpc = ctx.connect_authenticated();
  const json probe = make_request("logs.getLarge", {{"service", "vercel"}, {"timeRange", "0s"}}, "probe");
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
    const json e = require_error(rpc->wait_for_id(id, ctx.deadline()), -32602, id, "logs.getLarge " + show(p));
    require(e.contains("data") && e["data"].value("field", "") == field,
            std::string("data {\"field\":\"") + field + "\"}", show(e));
    ++id;
  }
  rpc->send(make_request("logs.getLarge", {{"service", "nosuch"}, {"timeRange", "1h"}}, id));
  require_error(rpc->wait_for_id(id, ctx.deadline()), -32004, id, "logs.getLarge for service nosuch");
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
  c.add({"5.12/1", Tier::Must, Group::LargeData,
         "logs.getLarge MUST answer -32602 with data.field for a bad timeRange, format or compress, "
         "and -32004 for an unknown service.",
         params});
}

}  // namespace flake::conform
