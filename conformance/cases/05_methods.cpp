// §5.2-5.8 and 5.13: services, system.ping, rpc.discover, dashboards, pagination, batch.execute,
// session.resume's parameters.

#include <set>
#include "conformance/cases/case_util.hpp"
#include "conformance/cases/cases.hpp"
#include "conformance/cases/rest_case_util.hpp"
#include "conformance/harness/rpc_path.hpp"

namespace flake::conform {
namespace {

const char* const kServices[] = {"vercel", "supabase", "aws"};

// §5.2b: [a-z][a-z0-9-]*
bool service_name_ok(const std::string& name) {
  if (name.empty() || name[0] < 'a' || name[0] > 'z') return false;
  for (const char ch : name) {
    if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-')) return false;
  }
  return true;
}

const std::pair<const char*, const char*> kLists[] = {{"vercel.getDeployments", "deployments"},
                                                      {"vercel.getProjects", "projects"},
                                                      {"supabase.getDatabases", "databases"},
                                                      {"aws.getInstances", "instances"}};

}  // namespace

void add_s5_methods_cases(Catalog& c) {
  c.add({.id = "5.2/1",
         .tier = Tier::Must,
         .requirement = "A service named in params that the sidecar does not serve MUST get -32004 "
                        "with data {\"resource\":\"service:<name>\"}.",
         .rules = {"5.2c", "3.9c"},
         .paths = kSocketPaths,
         .run = [](CaseContext& ctx) {
           auto path = open_rpc_path(ctx);
           const json error = error_of(ctx, *path, "logs.subscribe", {{"service", "nosuch"}},
                                       -32004, "logs.subscribe for service nosuch");
           require(
               has_object(error, "data") && error["data"].value("resource", "") == "service:nosuch",
               "data {\"resource\":\"service:nosuch\"}", show(error));
           return pass();
         }});
  c.add({.id = "5.2/2",
         .tier = Tier::Must,
         .requirement = "A method name whose prefix is not a served service MUST get -32601.",
         .rules = {"5.2d"},
         .paths = kEveryPath,
         .run = [](CaseContext& ctx) {
           auto path = open_rpc_path(ctx);
           error_of(ctx, *path, "foo.getDashboard", nullptr, -32601, "foo.getDashboard (12.2 D2)");
           return pass();
         }});
  c.add({.id = "5.2/3",
         .tier = Tier::Must,
         .requirement = "Service names MUST match [a-z][a-z0-9-]*: every service of "
                        "multi.getDashboard and every <service>.getDashboard of rpc.discover.",
         .rules = {"5.2b"},
         .run = [](CaseContext& ctx) {
           auto path = open_rpc_path(ctx);
           const json multi = call_result(*path, "multi.getDashboard", nullptr);
           require(has_object(multi, "services"), "{\"services\":{...}}", show(multi));
           std::string bad;
           for (const auto& [name, value] : multi["services"].items()) {
             if (!service_name_ok(name)) bad += " multi.getDashboard:" + name;
           }
           const json doc = call_result(*path, "rpc.discover", nullptr);
           require(has_array(doc, "methods"), "rpc.discover {\"methods\":[...]}", show(doc));
           for (const auto& m : doc["methods"]) {
             if (!has_string(m, "name")) continue;
             const std::string name = m["name"];
             const std::string suffix = ".getDashboard";
             if (name.size() <= suffix.size() || !name.ends_with(suffix)) continue;
             const std::string service = name.substr(0, name.size() - suffix.size());
             if (service != "multi" && !service_name_ok(service)) bad += " rpc.discover:" + name;
           }
           require(bad.empty(), "service names matching [a-z][a-z0-9-]*", "offending:" + bad);
           return pass();
         }});
  c.add({.id = "5.3/1",
         .tier = Tier::Must,
         .requirement = "Over POST /api/v1/rpc, a socket-only method MUST get -32601.",
         .rules = {"5.3a", "9.7f"},
         .run = [](CaseContext& ctx) {
           // One request per socket-only method of 5.3, in one batch; test.* answer -32601 over
           // HTTP whether or not the sidecar runs in conformance mode.
           const char* const socket_only[] = {
               "auth.authenticate",   "session.resume",          "logs.subscribe",
               "metrics.subscribe",   "deployments.subscribe",   "logs.unsubscribe",
               "metrics.unsubscribe", "deployments.unsubscribe", "logs.getLarge",
               "test.emitLogs",       "test.emitMetrics",        "test.dropSession"};
           json batch = json::array();
           for (const char* method : socket_only) {
             batch.push_back(make_request(method, json::object(), method));
           }
           HttpRequest post = rest::post_json("/api/v1/rpc", batch.dump());
           const HttpResponse r = send_to_endpoint(ctx, rest::with_bearer(ctx, std::move(post)));
           rest::require_status(r, 200, "POST /api/v1/rpc with socket-only methods");
           const json answer = rest::json_body(r, "POST /api/v1/rpc with socket-only methods");
           require(answer.is_array() && answer.size() == std::size(socket_only),
                   "one answer per socket-only method", show(answer));
           for (const char* method : socket_only) {
             const json* m = nullptr;
             for (const json& e : answer) {
               if (e.is_object() && e.value("id", json()) == method) m = &e;
             }
             require(m != nullptr, std::string("an answer for ") + method, show(answer));
             require_error_value(*m, -32601, method, std::string(method) + " over HTTP");
           }
           return pass();
         }});
  c.add(
      {.id = "5.4/1",
       .tier = Tier::Must,
       .requirement =
           "system.ping MUST answer {\"now\":<ms epoch>}, the current sidecar clock as an integer.",
       .rules = {"5.4a"},
       .paths = kEveryPath,
       .run = [](CaseContext& ctx) {
         auto path = open_rpc_path(ctx);
         const auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
         const json result = call_result(*path, "system.ping", nullptr);
         require(has_integer(result, "now"), "{\"now\":<integer ms epoch>}", show(result));
         const std::int64_t now = result["now"].get<std::int64_t>();
         require(std::llabs(now - before) < 5 * 60 * 1000,
                 "now within 5 minutes of the harness clock (same host)",
                 "now " + std::to_string(now) + ", harness " + std::to_string(before));
         return pass();
       }});
  c.add({.id = "5.5/1",
         .tier = Tier::Must,
         .requirement = "rpc.discover MUST answer openrpc, info, every method served and the four "
                        "notifications.",
         .rules = {"5.5a", "5.5b", "5.5c"},
         // Not over HTTP: there the socket-only methods answer -32601 (5.3) although served.
         .paths = kSocketPaths,
         .run = [](CaseContext& ctx) {
           auto path = open_rpc_path(ctx);
           const json doc = call_result(*path, "rpc.discover", nullptr);
           require(has_string(doc, "openrpc"), "\"openrpc\": a version string", show(doc));
           require(has_object(doc, "info") && doc["info"].value("title", "") == "flake.v1",
                   "\"info\" {\"title\":\"flake.v1\",...}", show(doc.value("info", json())));
           require(has_array(doc, "methods"), "\"methods\" array", show(doc));
           require(has_array(doc, "notifications"), "\"notifications\" array", show(doc));
           std::set<std::string> methods;
           for (const auto& m : doc["methods"]) {
             if (has_string(m, "name")) methods.insert(m["name"]);
           }
           std::string missing;
           std::string unserved;
           for (const char* name : {"auth.authenticate", "system.ping", "rpc.discover"}) {
             if (methods.count(name) == 0)
               missing += std::string(missing.empty() ? "" : ", ") + name;
           }
           // "each method the sidecar serves": a 5.1 method is served unless it answers -32601. The
           // probe sends params [] (invalid params for methods that take some, a harmless read for
           // the dashboards), so no probe changes the connection's state.
           for (const char* name :
                {"session.resume", "vercel.getDashboard", "supabase.getDashboard",
                 "aws.getDashboard", "multi.getDashboard", "vercel.getDeployments",
                 "vercel.getProjects", "supabase.getDatabases", "aws.getInstances", "batch.execute",
                 "logs.subscribe", "metrics.subscribe", "deployments.subscribe", "logs.unsubscribe",
                 "metrics.unsubscribe", "deployments.unsubscribe", "logs.getLarge"}) {
             Incoming probe = path->call(name, json::array(), "probe");
             probe.method.clear();  // -32601 is an answer here, not a missing feature
             const json answer =
                 require_value(probe, std::string(name) + " with params []: a response");
             const bool served = !is_method_not_found(answer);
             if (served && methods.count(name) == 0) {
               missing += std::string(missing.empty() ? "" : ", ") + name;
             } else if (!served && methods.count(name) != 0) {
               unserved += std::string(unserved.empty() ? "" : ", ") + name;
             }
           }
           require(missing.empty(), "every method the sidecar serves listed in \"methods\"",
                   "served but not listed: " + missing);
           require(unserved.empty(), "only methods the sidecar serves listed in \"methods\"",
                   "listed but answering -32601: " + unserved);
           std::set<std::string> notes;
           for (const auto& n : doc["notifications"]) {
             if (has_string(n, "name")) notes.insert(n["name"]);
           }
           for (const char* name :
                {"logs.update", "metrics.update", "deployments.update", "data.chunk"}) {
             require(notes.count(name) != 0, std::string("notification ") + name + " listed",
                     show(doc["notifications"]));
           }
           return pass();
         }});
  c.add({.id = "5.5/2",
         .tier = Tier::Should,
         .requirement = "Each method object of rpc.discover SHOULD carry params, an array of "
                        "OpenRPC content descriptors {name, required, schema}.",
         .rules = {"5.5d"},
         .run = [](CaseContext& ctx) {
           auto path = open_rpc_path(ctx);
           const json doc = call_result(*path, "rpc.discover", nullptr);
           require(has_array(doc, "methods") && !doc["methods"].empty(),
                   "rpc.discover {\"methods\":[...]}", show(doc));
           for (const auto& m : doc["methods"]) {
             const std::string name = m.value("name", "?");
             require(has_array(m, "params"), name + ": \"params\" an array",
                     show(m.value("params", json())));
             for (const auto& d : m["params"]) {
               require(has_string(d, "name") && d.contains("required") &&
                           d["required"].is_boolean() && has_object(d, "schema"),
                       name +
                           ": each params element {\"name\":<string>,\"required\":<bool>,"
                           "\"schema\":{...}}",
                       show(d));
             }
           }
           return pass();
         }});
  c.add({.id = "5.6/1",
         .tier = Tier::Must,
         .requirement = "{service}.getDashboard MUST answer an object; multi.getDashboard MUST "
                        "hold every service's document.",
         .rules = {"5.2a", "5.6a", "5.6b"},
         .paths = kEveryPath,
         .run = [](CaseContext& ctx) {
           auto path = open_rpc_path(ctx);
           json each;
           for (const char* service : kServices) {
             const json d = call_result(*path, std::string(service) + ".getDashboard", nullptr);
             require(d.is_object(), std::string(service) + ".getDashboard: a JSON object", show(d));
             each[service] = d;
           }
           const json multi = call_result(*path, "multi.getDashboard", nullptr);
           require(has_object(multi, "services"), "multi.getDashboard: {\"services\":{...}}",
                   show(multi));
           for (const char* service : kServices) {
             require(
                 multi["services"].contains(service) && multi["services"][service] == each[service],
                 std::string("services.") + service + " equal to " + service + ".getDashboard",
                 show(multi["services"].value(service, json())));
           }
           return pass();
         }});
  c.add({.id = "5.7/1",
         .tier = Tier::Must,
         .requirement = "Following next from the first page until null MUST return every item "
                        "exactly once, total items, in a stable order.",
         .rules = {"5.7a", "5.7d", "5.7g", "5.7h", "5.7i"},
         .paths = kEveryPath,
         .run = [](CaseContext& ctx) {
           auto path = open_rpc_path(ctx);
           const std::pair<const char*, const char*> lists[] = {
               {"vercel.getDeployments", "deployments"},
               {"vercel.getProjects", "projects"},
               {"supabase.getDatabases", "databases"},
               {"aws.getInstances", "instances"}};
           for (const auto& [method, collection] : lists) {
             json cursor = nullptr;
             std::vector<json> items;
             std::int64_t total = -1;
             for (int page = 0; page < 200; ++page) {
               json params = {{"limit", 2}};
               if (!cursor.is_null()) params["cursor"] = cursor;
               const json r = call_result(*path, method, params);
               const std::string where = std::string(method) + " page " + std::to_string(page + 1);
               require(has_array(r, collection) && has_object(r, "pagination"),
                       where + ": {\"" + collection + "\":[...],\"pagination\":{...}}", show(r));
               require(r[collection].size() <= 2, where + ": at most limit (2) items", show(r));
               const json& p = r["pagination"];
               require(has_integer(p, "total") && p.contains("next") &&
                           (p["next"].is_null() || p["next"].is_string()),
                       where + ": pagination {\"next\":<string|null>,\"total\":<n>}", show(p));
               total = p["total"].get<std::int64_t>();
               for (const auto& item : r[collection]) items.push_back(item);
               cursor = p["next"];
               if (cursor.is_null()) break;
             }
             require(static_cast<std::int64_t>(items.size()) == total,
                     std::string(method) + ": following next returns total (" +
                         std::to_string(total) + ") items",
                     std::to_string(items.size()) + " items");
             std::set<std::string> distinct;
             for (const auto& item : items) distinct.insert(item.dump());
             require(distinct.size() == items.size(),
                     std::string(method) + ": every item exactly once",
                     std::to_string(items.size() - distinct.size()) + " duplicates");
             const json all = call_result(*path, method, {{"limit", 100}});
             if (total <= 100) {
               require(all[collection] == json(items), std::string(method) + ": a stable order",
                       "pages differ from one page of 100");
             }
           }
           return pass();
         }});
  c.add({.id = "5.7/2",
         .tier = Tier::Must,
         .requirement = "limit MUST be an integer from 1 to 100; any other value gets -32602 with "
                        "data {\"field\":\"limit\"}.",
         .rules = {"5.7c"},
         .paths = kEveryPath,
         .run = [](CaseContext& ctx) {
           auto path = open_rpc_path(ctx);
           for (const json& limit :
                {json(0), json(101), json(-1), json(2.5), json("5"), json(nullptr)}) {
             const json error = error_of(ctx, *path, "vercel.getDeployments", {{"limit", limit}},
                                         -32602, "limit " + show(limit));
             require_field(error, "limit", "limit " + show(limit));
           }
           return pass();
         }});
  c.add({.id = "5.7/3",
         .tier = Tier::Must,
         .requirement = "A cursor that no earlier pagination.next returned MUST get -32602 with "
                        "data {\"field\":\"cursor\"}.",
         .rules = {"5.7e"},
         .paths = kEveryPath,
         .run = [](CaseContext& ctx) {
           auto path = open_rpc_path(ctx);
           for (const json& cursor : {json("not-a-cursor"), json(5)}) {
             const json error = error_of(ctx, *path, "vercel.getDeployments", {{"cursor", cursor}},
                                         -32602, "cursor " + show(cursor));
             require_field(error, "cursor", "cursor " + show(cursor));
           }
           return pass();
         }});
  c.add({.id = "5.7/4",
         .tier = Tier::Must,
         .requirement = "limit defaults to 20, and a cursor of null MUST be treated as absent.",
         .rules = {"5.7b", "5.7f", "3.6f"},
         .paths = kEveryPath,
         .run = [](CaseContext& ctx) {
           auto path = open_rpc_path(ctx);
           const json a = call_result(*path, "vercel.getDeployments", nullptr);
           const json b = call_result(*path, "vercel.getDeployments", {{"cursor", nullptr}});
           const std::int64_t total = a["pagination"].value("total", std::int64_t{0});
           require(a["deployments"].size() ==
                       static_cast<std::size_t>(std::min<std::int64_t>(total, 20)),
                   "20 items by default (or all when fewer)",
                   std::to_string(a["deployments"].size()) + " items of " + std::to_string(total));
           require(a == b, "a cursor of null treated as absent", show(b, 200));
           return pass();
         }});
  c.add({.id = "5.7/5",
         .tier = Tier::Must,
         .requirement = "A cursor that pagination.next of another list method returned MUST get "
                        "-32602 with data {\"field\":\"cursor\"}.",
         .rules = {"5.7e"},
         .paths = kEveryPath,
         .run = [](CaseContext& ctx) {
           auto path = open_rpc_path(ctx);
           const json first = call_result(*path, "vercel.getDeployments", {{"limit", 1}});
           const json next = first.value("pagination", json::object()).value("next", json());
           require(next.is_string(), "vercel.getDeployments with limit 1: a next cursor",
                   show(first, 200));
           for (const char* other : {"vercel.getProjects", "supabase.getDatabases"}) {
             require_field(error_of(ctx, *path, other, {{"cursor", next}}, -32602,
                                    std::string(other) + " with a cursor of vercel.getDeployments"),
                           "cursor", other);
           }
           return pass();
         }});
  c.add({.id = "5.7/6",
         .tier = Tier::Should,
         .requirement = "Each item of the four list methods is a JSON object and SHOULD carry an "
                        "\"id\" member.",
         .rules = {"5.7k"},
         .run = [](CaseContext& ctx) {
           auto path = open_rpc_path(ctx);
           for (const auto& [method, collection] : kLists) {
             const json r = call_result(*path, method, {{"limit", 100}});
             require(has_array(r, collection) && !r[collection].empty(),
                     std::string(method) + ": a non-empty {\"" + collection + "\":[...]}", show(r));
             for (const auto& item : r[collection]) {
               require(item.is_object() && item.contains("id"),
                       std::string(method) + ": every item an object with an \"id\" member",
                       show(item));
             }
           }
           return pass();
         }});
  c.add({.id = "5.8/1",
         .tier = Tier::Must,
         .requirement = "batch.execute MUST answer one element per operation in order; bad "
                        "operations fail in their slot only.",
         .rules = {"5.8c", "5.8d", "5.8e", "5.3b"},
         .paths = kEveryPath,
         .run = [](CaseContext& ctx) {
           auto path = open_rpc_path(ctx);
           const json ops =
               json::array({{{"method", "system.ping"}},
                            {{"method", "no.such.method"}},
                            {{"method", "vercel.getDeployments"}, {"params", {{"limit", 1}}}},
                            {{"method", "logs.subscribe"}, {"params", {{"service", "vercel"}}}},
                            json(42),
                            {{"method", "vercel.getDeployments"}, {"params", {{"limit", 0}}}}});
           const json r = call_result(*path, "batch.execute", {{"operations", ops}});
           require(has_array(r, "results") && r["results"].size() == ops.size(),
                   "{\"results\":[6 elements]}", show(r));
           const json& res = r["results"];
           auto code = [&](std::size_t i) {
             return res[i].contains("error") ? res[i]["error"].value("code", 0) : 0;
           };
           require(res[0].contains("result") && res[0]["result"].contains("now"),
                   "results[0]: ping result", show(res[0]));
           require(code(1) == -32601, "results[1]: -32601", show(res[1]));
           require(res[2].contains("result") && res[2]["result"].contains("deployments"),
                   "results[2]: a deployments page", show(res[2]));
           require(code(3) == -32601, "results[3]: -32601 for socket-only logs.subscribe",
                   show(res[3]));
           require(code(4) == -32600, "results[4]: -32600 for a non-object operation",
                   show(res[4]));
           require(code(5) == -32602, "results[5]: -32602 for limit 0", show(res[5]));
           return pass();
         }});
  c.add({.id = "5.8/2",
         .tier = Tier::Must,
         .requirement = "operations missing or longer than 100 MUST get -32602 with data "
                        "{\"field\":\"operations\"}.",
         .rules = {"5.8a"},
         .paths = kEveryPath,
         .run = [](CaseContext& ctx) {
           auto path = open_rpc_path(ctx);
           json ops = json::array();
           for (int i = 0; i < 101; ++i) ops.push_back({{"method", "system.ping"}});
           require_field(error_of(ctx, *path, "batch.execute", {{"operations", ops}}, -32602,
                                  "batch.execute with 101 operations"),
                         "operations", "101 operations");
           require_field(error_of(ctx, *path, "batch.execute", json::object(), -32602,
                                  "batch.execute without operations"),
                         "operations", "no operations");
           return pass();
         }});
  c.add({.id = "5.8/3",
         .tier = Tier::Must,
         .requirement = "batch.execute MUST execute its operations one after another, in array "
                        "order (test.setClock between system.ping operations).",
         .rules = {"5.8b"},
         .paths = kEveryPath,
         .run = [](CaseContext& ctx) {
           auto path = open_rpc_path(ctx);
           const json ops =
               json::array({{{"method", "system.ping"}},
                            {{"method", "test.setClock"}, {"params", {{"offsetMs", 3600000}}}},
                            {{"method", "system.ping"}},
                            {{"method", "test.setClock"}, {"params", {{"offsetMs", 0}}}},
                            {{"method", "system.ping"}}});
           const json r = call_result(*path, "batch.execute", {{"operations", ops}});
           // Whatever order the operations ran in, the clock ends at offset 0.
           path->call("test.setClock", {{"offsetMs", 0}}, "reset");
           require(has_array(r, "results") && r["results"].size() == ops.size(),
                   "{\"results\":[5 elements]}", show(r));
           const json& res = r["results"];
           if (res[1].contains("error") && res[1]["error"].value("code", 0) == -32601) {
             unimplemented_case("test.setClock answers -32601 (no conformance mode)");
           }
           std::int64_t now[3] = {0, 0, 0};
           for (int i = 0; i < 3; ++i) {
             const json& e = res[static_cast<std::size_t>(2 * i)];
             require(e.contains("result") && has_integer(e["result"], "now"),
                     "results[" + std::to_string(2 * i) + "]: a ping result", show(e));
             now[i] = e["result"]["now"].get<std::int64_t>();
           }
           require(now[1] - now[0] >= 3600000 - 60000 && now[1] - now[2] >= 3600000 - 60000,
                   "the middle ping an hour ahead of the first and the last",
                   std::to_string(now[0]) + ", " + std::to_string(now[1]) + ", " +
                       std::to_string(now[2]));
           return pass();
         }});
  c.add({.id = "5.13/1",
         .tier = Tier::Must,
         .requirement = "session.resume MUST answer -32602 with data.field for a missing sessionId "
                        "or a bad lastSeq.",
         .rules = {"5.13a", "5.13b"},
         .paths = kSocketPaths,
         .run = [](CaseContext& ctx) {
           auto path = open_rpc_path(ctx);
           require_field(
               error_of(ctx, *path, "session.resume", {{"lastSeq", 0}}, -32602, "no sessionId"),
               "sessionId", "no sessionId");
           require_field(error_of(ctx, *path, "session.resume",
                                  {{"sessionId", "abc"}, {"lastSeq", -1}}, -32602, "lastSeq -1"),
                         "lastSeq", "lastSeq -1");
           require_field(
               error_of(ctx, *path, "session.resume", {{"sessionId", "abc"}, {"lastSeq", "3"}},
                        -32602, "lastSeq \"3\""),
               "lastSeq", "lastSeq \"3\"");
           return pass();
         }});
}

}  // namespace flake::conform
