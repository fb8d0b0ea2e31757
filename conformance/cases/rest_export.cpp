// §9.10 the log export GET /api/v1/logs/{service}?timeRange=: the document, its JSON and
// MessagePack forms chosen by Accept, and the refusals. Entries come from test.emitLogs (§11.6).
#include "conformance/cases/cases.hpp"
#include "conformance/cases/rest_case_util.hpp"

namespace flake::conform {
namespace {

using namespace rest;

constexpr const char* kService = "supabase";
constexpr int kEmitted = 3;

HttpRequest export_request(CaseContext& ctx, const std::string& query,
                           std::optional<std::string> accept) {
  HttpRequest r = with_bearer(ctx, get(std::string("/api/v1/logs/") + kService + query));
  if (accept) r.headers.emplace_back("Accept", *accept);
  return r;
}

// The document shape of §9.10 and the just-emitted entries as the newest ones, in order.
void require_export_document(const json& doc, std::string_view how) {
  const std::string what(how);
  require(
      doc.is_object() && doc.value("service", "") == kService &&
          doc.value("timeRange", "") == "1h" && doc.contains("totalEntries") &&
          doc["totalEntries"].is_number_integer() && doc.contains("entries") &&
          doc["entries"].is_array(),
      what +
          ": {\"service\":\"supabase\",\"timeRange\":\"1h\",\"totalEntries\":n,\"entries\":[...]}",
      show(doc));
  const json& entries = doc["entries"];
  require(doc["totalEntries"].get<std::int64_t>() == static_cast<std::int64_t>(entries.size()),
          what + ": totalEntries equal to the number of entries",
          "totalEntries " + show(doc["totalEntries"]) + ", " + std::to_string(entries.size()) +
              " entries");
  // The newest kEmitted entries from test.emitLogs: n = 0, 1, 2 of the last emission, in order.
  std::vector<std::int64_t> ns;
  for (const json& e : entries) {
    if (e.is_object() && e.value("source", "") == "test.emitLogs" && e.contains("n") &&
        e["n"].is_number_integer())
      ns.push_back(e["n"].get<std::int64_t>());
  }
  bool found = ns.size() >= kEmitted;
  for (int i = 0; found && i < kEmitted; ++i) found = ns[ns.size() - kEmitted + i] == i;
  require(found,
          what + ": the " + std::to_string(kEmitted) +
              " entries test.emitLogs just produced, last and in order (n = 0, 1, 2)",
          std::to_string(ns.size()) + " test entries, the last " +
              (ns.empty() ? std::string("none") : "n = " + std::to_string(ns.back())));
}

Outcome export_document(CaseContext& ctx) {
  require_rest(ctx);
  {
    auto rpc = ctx.connect_authenticated();
    ctx.call_test_method(*rpc, "test.emitLogs",
                         {{"service", kService}, {"count", kEmitted}, {"perNotification", 1}});
  }
  const HttpResponse j = send(ctx, export_request(ctx, "?timeRange=1h", std::nullopt));
  if (j.complete && j.status == 404) unimplemented_case("GET /api/v1/logs/supabase answers 404");
  require_status(j, 200, "GET /api/v1/logs/supabase?timeRange=1h");
  require(j.head.header("content-type").value_or("").rfind("application/json", 0) == 0,
          "without Accept: Content-Type: application/json",
          j.head.header("content-type").value_or("none"));
  require(header_has_token(j.head.combined("vary").value_or(""), "Accept"), "Vary: Accept",
          j.head.combined("vary").value_or("none"));
  require_export_document(json_body(j, "export"), "the JSON export");

  const HttpResponse m = send(
      ctx, export_request(ctx, "?timeRange=1h", "application/json;q=0.5, application/msgpack"));
  require_status(m, 200, "the export with Accept: application/msgpack");
  require(m.head.header("content-type").value_or("").rfind("application/msgpack", 0) == 0,
          "Accept listing application/msgpack: Content-Type: application/msgpack",
          m.head.header("content-type").value_or("none"));
  require(header_has_token(m.head.combined("vary").value_or(""), "Accept"),
          "the MessagePack export: Vary: Accept", m.head.combined("vary").value_or("none"));
  const json unpacked = json::from_msgpack(m.body, true, false);
  require(!unpacked.is_discarded(), "a MessagePack body", WireLog::summarize_text(m.body, 100));
  require_export_document(unpacked, "the MessagePack export");

  const HttpResponse q0 =
      send(ctx, export_request(ctx, "?timeRange=1h", "application/msgpack;q=0"));
  require_status(q0, 200, "the export with Accept: application/msgpack;q=0");
  require(q0.head.header("content-type").value_or("").rfind("application/json", 0) == 0,
          "Accept: application/msgpack;q=0: Content-Type: application/json",
          q0.head.header("content-type").value_or("none"));
  return pass();
}

Outcome export_refusals(CaseContext& ctx) {
  require_rest(ctx);
  for (const char* query : {"", "?timeRange=", "?timeRange=1y", "?timeRange=0h", "?timeRange=-1h",
                            "?timeRange=1h30m", "?timerange=1h"}) {
    const std::string what = std::string("GET /api/v1/logs/supabase") + query;
    const HttpResponse r = send(ctx, export_request(ctx, query, std::nullopt));
    if (r.complete && r.status == 404 && std::string_view(query).empty())
      unimplemented_case(what + " answers 404");
    const json body = require_error_body(r, 400, -32602, what);
    require(body["error"].value("data", json()).value("field", "") == "timeRange",
            what + ": data {\"field\":\"timeRange\"}", show(body));
  }
  HttpRequest unknown = with_bearer(ctx, get("/api/v1/logs/nosuch?timeRange=1h"));
  require_error_body(send(ctx, unknown), 404, -32004, "GET /api/v1/logs/nosuch?timeRange=1h");
  return pass();
}

}  // namespace

void add_rest_export_cases(Catalog& c) {
  c.add({"9.10/1", Tier::Must, Group::Rest,
         "The log export MUST answer {service,timeRange,totalEntries,entries} with the newest "
         "entries, JSON unless Accept lists application/msgpack (q > 0), with Vary: Accept.",
         export_document});
  c.add({"9.10/2", Tier::Must, Group::Rest,
         "A missing or malformed timeRange MUST get 400 and -32602 {\"field\":\"timeRange\"}; an "
         "unknown service 404 and -32004.",
         export_refusals});
}

}  // namespace flake::conform
