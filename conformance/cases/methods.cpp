// §5: services, system.ping, rpc.discover, dashboards, pagination, batch.execute and the
// parameter rules of the subscribe, unsubscribe and resume methods.
#include "conformance/cases/case_util.hpp"
#include "conformance/cases/cases.hpp"

#include <set>

namespace flake::conform {
namespace {

const char* const kServices[] = {"vercel", "supabase", "aws"};

json error_of(CaseContext& ctx, RpcClient& rpc, std::string_view method, const json& params,
              int code, std::string_view what) {
  const json id = rpc.next_id();
  rpc.send(make_request(method, params, id));
  return require_error(rpc.wait_for_id(id, ctx.deadline()), code, id, what);
}

void require_field(const json& error, std::string_view field, std::string_view what) {
  require(error.contains("data") && error["data"].is_object() &&
              error["data"].value("field", "") == field,
          std::string(what) + ": data {\"field\":\"" + std::string(field) + "\"}", show(error));
}

Outcome unknown_service_param(CaseContext& ctx) {
  auto rpc = ctx.connect_authenticated();
  const json error = error_of(ctx, *rpc, "logs.subscribe", {{"service", "nosuch"}}, -32004,
                              "logs.subscribe for service nosuch");
  require(error.contains("data") && error["data"].is_object() &&
              error["data"].value("resource", "") == "service:nosuch",
          "data {\"resource\":\"service:nosuch\"}", show(error));
  return pass();
}

Outcome unknown_service_method(CaseContext& ctx) {
  auto rpc = ctx.connect_authenticated();
  error_of(ctx, *rpc, "foo.getDashboard", nullptr, -32601, "foo.getDashboard (12.2 D2)");
  return pass();
}

Outcome ping_now(CaseContext& ctx) {
  auto rpc = ctx.connect();
  const auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const json result = ctx.call_result(*rpc, "system.ping", nullptr);
  require(result.is_object() && result.contains("now") && result["now"].is_number_integer(),
          "{\"now\":<integer ms epoch>}", show(result));
  const std::int64_t now = result["now"].get<std::int64_t>();
  require(std::llabs(now - before) < 5 * 60 * 1000,
          "now within 5 minutes of the harness clock (same host)",
          "now " + std::to_string(now) + ", harness " + std::to_string(before));
  return pass();
}

Outcome discover(CaseContext& ctx) {
  auto rpc = ctx.connect_authenticated();
  const json doc = ctx.call_result(*rpc, "rpc.discover", nullptr);
  require(doc.is_object() && doc.contains("openrpc") && doc["openrpc"].is_string(),
          "\"openrpc\": a version string", show(doc));
  require(doc.contains("info") && doc["info"].is_object() &&
              doc["info"].value("title", "") == "flake.v1",
          "\"info\" {\"title\":\"flake.v1\",...}", show(doc.value("info", json())));
  require(doc.contains("methods") && doc["methods"].is_array(), "\"methods\" array", show(doc));
  require(doc.contains("notifications") && doc["notifications"].is_array(),
          "\"notifications\" array", show(doc));
  std::set<std::string> methods;
  for (const auto& m : doc["methods"]) {
    if (m.is_object() && m.contains("name") && m["name"].is_string()) methods.insert(m["name"]);
  }
  std::string missing;
  std::string unserved;
  for (const char* name : {"auth.authenticate", "system.ping", "rpc.discover"}) {
    if (methods.count(name) == 0) missing += std::string(missing.empty() ? "" : ", ") + name;
  }
  // "each method the sidecar serves": a 5.1 method is served unless it answers -32601. The probe
  // sends params [] (invalid params for methods that take some, a harmless read for the
  // dashboards), so no probe changes the connection's state.
  for (const char* name :
       {"session.resume", "vercel.getDashboard", "supabase.getDashboard", "aws.getDashboard",
        "multi.getDashboard", "vercel.getDeployments", "vercel.getProjects",
        "supabase.getDatabases", "aws.getInstances", "batch.execute", "logs.subscribe",
        "metrics.subscribe", "deployments.subscribe", "logs.unsubscribe", "metrics.unsubscribe",
        "deployments.unsubscribe", "logs.getLarge"}) {
    Incoming probe = rpc->call(name, json::array(), CallOptions{ctx.timeout(), Encoding::Json});
    probe.method.clear();  // -32601 is an answer here, not a missing feature
    const json answer = require_value(probe, std::string(name) + " with params []: a response");
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
    if (n.is_object() && n.contains("name") && n["name"].is_string()) notes.insert(n["name"]);
  }
  for (const char* name : {"logs.update", "metrics.update", "deployments.update", "data.chunk"}) {
    require(notes.count(name) != 0, std::string("notification ") + name + " listed",
            show(doc["notifications"]));
  }
  return pass();
}

Outcome dashboards(CaseContext& ctx) {
  auto rpc = ctx.connect_authenticated();
  json each;
  for (const char* service : kServices) {
    const json d = ctx.call_result(*rpc, std::string(service) + ".getDashboard", nullptr);
    require(d.is_object(), std::string(service) + ".getDashboard: a JSON object", show(d));
    each[service] = d;
  }
  const json multi = ctx.call_result(*rpc, "multi.getDashboard", nullptr);
  require(multi.is_object() && multi.contains("services") && multi["services"].is_object(),
          "multi.getDashboard: {\"services\":{...}}", show(multi));
  for (const char* service : kServices) {
    require(multi["services"].contains(service) && multi["services"][service] == each[service],
            std::string("services.") + service + " equal to " + service + ".getDashboard",
            show(multi["services"].value(service, json())));
  }
  return pass();
}

Outcome pagination_walk(CaseContext& ctx) {
  auto rpc = ctx.connect_authenticated();
  const std::pair<const char*, const char*> lists[] = {{"vercel.getDeployments", "deployments"},
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
      const json r = ctx.call_result(*rpc, method, params);
      const std::string where = std::string(method) + " page " + std::to_string(page + 1);
      require(r.is_object() && r.contains(collection) && r[collection].is_array() &&
                  r.contains("pagination") && r["pagination"].is_object(),
              where + ": {\"" + collection + "\":[...],\"pagination\":{...}}", show(r));
      require(r[collection].size() <= 2, where + ": at most limit (2) items", show(r));
      const json& p = r["pagination"];
      require(p.contains("total") && p["total"].is_number_integer() && p.contains("next") &&
                  (p["next"].is_null() || p["next"].is_string()),
              where + ": pagination {\"next\":<string|null>,\"total\":<n>}", show(p));
      total = p["total"].get<std::int64_t>();
      for (const auto& item : r[collection]) items.push_back(item);
      cursor = p["next"];
      if (cursor.is_null()) break;
    }
    require(static_cast<std::int64_t>(items.size()) == total,
            std::string(method) + ": following next returns total (" + std::to_string(total) +
                ") items",
            std::to_string(items.size()) + " items");
    std::set<std::string> distinct;
    for (const auto& item : items) distinct.insert(item.dump());
    require(distinct.size() == items.size(), std::string(method) + ": every item exactly once",
            std::to_string(items.size() - distinct.size()) + " duplicates");
    const json all = ctx.call_result(*rpc, method, {{"limit", 100}});
    if (total <= 100) {
      require(all[collection] == json(items), std::string(method) + ": a stable order",
              "pages differ from one page of 100");
    }
  }
  return pass();
}

Outcome limit_range(CaseContext& ctx) {
  auto rpc = ctx.connect_authenticated();
  for (const json& limit : {json(0), json(101), json(-1), json(2.5), json("5"), json(nullptr)}) {
    const json error = error_of(ctx, *rpc, "vercel.getDeployments", {{"limit", limit}}, -32602,
                                "limit " + show(limit));
    require_field(error, "limit", "limit " + show(limit));
  }
  return pass();
}

Outcome bad_cursor(CaseContext& ctx) {
  auto rpc = ctx.connect_authenticated();
  for (const json& cursor : {json("not-a-cursor"), json(5)}) {
    const json error = error_of(ctx, *rpc, "vercel.getDeployments", {{"cursor", cursor}}, -32602,
                                "cursor " + show(cursor));
    require_field(error, "cursor", "cursor " + show(cursor));
  }
  return pass();
}

Outcome default_limit(CaseContext& ctx) {
  auto rpc = ctx.connect_authenticated();
  const json a = ctx.call_result(*rpc, "vercel.getDeployments", nullptr);
  const json b = ctx.call_result(*rpc, "vercel.getDeployments", {{"cursor", nullptr}});
  const std::int64_t total = a["pagination"].value("total", std::int64_t{0});
  require(a["deployments"].size() == static_cast<std::size_t>(std::min<std::int64_t>(total, 20)),
          "20 items by default (or all when fewer)",
          std::to_string(a["deployments"].size()) + " items of " + std::to_string(total));
  require(a == b, "a cursor of null treated as absent", show(b, 200));
  return pass();
}

Outcome batch_execute(CaseContext& ctx) {
  auto rpc = ctx.connect_authenticated();
  const json ops = json::array({{{"method", "system.ping"}},
                                {{"method", "no.such.method"}},
                                {{"method", "vercel.getDeployments"}, {"params", {{"limit", 1}}}},
                                {{"method", "logs.subscribe"}, {"params", {{"service", "vercel"}}}},
                                json(42),
                                {{"method", "vercel.getDeployments"}, {"params", {{"limit", 0}}}}});
  const json r = ctx.call_result(*rpc, "batch.execute", {{"operations", ops}});
  require(r.is_object() && r.contains("results") && r["results"].is_array() &&
              r["results"].size() == ops.size(),
          "{\"results\":[6 elements]}", show(r));
  const json& res = r["results"];
  auto code = [&](std::size_t i) {
    return res[i].contains("error") ? res[i]["error"].value("code", 0) : 0;
  };
  require(res[0].contains("result") && res[0]["result"].contains("now"), "results[0]: ping result",
          show(res[0]));
  require(code(1) == -32601, "results[1]: -32601", show(res[1]));
  require(res[2].contains("result") && res[2]["result"].contains("deployments"),
          "results[2]: a deployments page", show(res[2]));
  require(code(3) == -32601, "results[3]: -32601 for socket-only logs.subscribe", show(res[3]));
  require(code(4) == -32600, "results[4]: -32600 for a non-object operation", show(res[4]));
  require(code(5) == -32602, "results[5]: -32602 for limit 0", show(res[5]));
  return pass();
}

Outcome batch_execute_limit(CaseContext& ctx) {
  auto rpc = ctx.connect_authenticated();
  json ops = json::array();
  for (int i = 0; i < 101; ++i) ops.push_back({{"method", "system.ping"}});
  require_field(error_of(ctx, *rpc, "batch.execute", {{"operations", ops}}, -32602,
                         "batch.execute with 101 operations"),
                "operations", "101 operations");
  require_field(error_of(ctx, *rpc, "batch.execute", json::object(), -32602,
                         "batch.execute without operations"),
                "operations", "no operations");
  return pass();
}

Outcome subscribe_params(CaseContext& ctx) {
  auto rpc = ctx.connect_authenticated();
  require_field(error_of(ctx, *rpc, "logs.subscribe", json::object(), -32602, "logs.subscribe {}"),
                "service", "logs.subscribe {}");
  require_field(error_of(ctx, *rpc, "logs.subscribe", {{"service", "vercel"}, {"level", "fatal"}},
                         -32602, "logs.subscribe level fatal"),
                "level", "level fatal");
  const json a = ctx.call_result(*rpc, "logs.subscribe", {{"service", "vercel"}});
  const json b = ctx.call_result(*rpc, "logs.subscribe", {{"service", "vercel"}});
  require(a.contains("subscription") && a["subscription"].is_string() &&
              b.contains("subscription") && b["subscription"].is_string() &&
              a["subscription"] != b["subscription"],
          "two subscribe calls: two different subscription ids", show(a) + " / " + show(b));
  error_of(ctx, *rpc, "metrics.subscribe", {{"service", "nosuch"}}, -32004,
           "metrics.subscribe nosuch");
  const json m = ctx.call_result(*rpc, "metrics.subscribe", json::object());
  require(m.contains("subscription") && m["subscription"].is_string(),
          "metrics.subscribe without service: {\"subscription\":<id>}", show(m));
  return pass();
}

Outcome unsubscribe_errors(CaseContext& ctx) {
  auto rpc = ctx.connect_authenticated();
  const json e = error_of(ctx, *rpc, "logs.unsubscribe", {{"subscription", "no-such-sub"}}, -32004,
                          "logs.unsubscribe of an unknown id");
  require(e.contains("data") && e["data"].value("resource", "") == "subscription:no-such-sub",
          "data {\"resource\":\"subscription:no-such-sub\"}", show(e));
  const json logs = ctx.call_result(*rpc, "logs.subscribe", {{"service", "vercel"}});
  error_of(ctx, *rpc, "metrics.unsubscribe", {{"subscription", logs.value("subscription", "")}},
           -32004, "metrics.unsubscribe of a logs subscription");
  const json ok =
      ctx.call_result(*rpc, "logs.unsubscribe", {{"subscription", logs.value("subscription", "")}});
  require(ok == json{{"ok", true}}, "{\"ok\":true}", show(ok));
  return pass();
}

Outcome resume_params(CaseContext& ctx) {
  auto rpc = ctx.connect_authenticated();
  require_field(error_of(ctx, *rpc, "session.resume", {{"lastSeq", 0}}, -32602, "no sessionId"),
                "sessionId", "no sessionId");
  require_field(error_of(ctx, *rpc, "session.resume", {{"sessionId", "abc"}, {"lastSeq", -1}},
                         -32602, "lastSeq -1"),
                "lastSeq", "lastSeq -1");
  require_field(error_of(ctx, *rpc, "session.resume", {{"sessionId", "abc"}, {"lastSeq", "3"}},
                         -32602, "lastSeq \"3\""),
                "lastSeq", "lastSeq \"3\"");
  return pass();
}

}  // namespace

void add_method_cases(Catalog& c) {
  c.add({"5.2/1", Tier::Must, Group::Core,
         "A service named in params that the sidecar does not serve MUST get -32004 with data "
         "{\"resource\":\"service:<name>\"}.",
         unknown_service_param});
  c.add({"5.2/2", Tier::Must, Group::Core,
         "A method name whose prefix is not a served service MUST get -32601.",
         unknown_service_method});
  c.add({"5.4/1", Tier::Must, Group::Core,
         "system.ping MUST answer {\"now\":<ms epoch>}, the current sidecar clock as an integer.",
         ping_now});
  c.add({"5.5/1", Tier::Must, Group::Core,
         "rpc.discover MUST answer openrpc, info, every method served and the four notifications.",
         discover});
  c.add({"5.6/1", Tier::Must, Group::Core,
         "{service}.getDashboard MUST answer an object; multi.getDashboard MUST hold every "
         "service's document.",
         dashboards});
  c.add({"5.7/1", Tier::Must, Group::Core,
         "Following next from the first page until null MUST return every item exactly once, "
         "total items, in a stable order.",
         pagination_walk});
  c.add({"5.7/2", Tier::Must, Group::Core,
         "limit MUST be an integer from 1 to 100; any other value gets -32602 with data "
         "{\"field\":\"limit\"}.",
         limit_range});
  c.add({"5.7/3", Tier::Must, Group::Core,
         "A cursor that no earlier pagination.next returned MUST get -32602 with data "
         "{\"field\":\"cursor\"}.",
         bad_cursor});
  c.add({"5.7/4", Tier::Must, Group::Core,
         "limit defaults to 20, and a cursor of null MUST be treated as absent.", default_limit});
  c.add({"5.8/1", Tier::Must, Group::Core,
         "batch.execute MUST answer one element per operation in order; bad operations fail in "
         "their slot only.",
         batch_execute});
  c.add({"5.8/2", Tier::Must, Group::Core,
         "operations missing or longer than 100 MUST get -32602 with data "
         "{\"field\":\"operations\"}.",
         batch_execute_limit});
  c.add({"5.9/1", Tier::Must, Group::Notifications,
         "logs.subscribe validates service and level (-32602 with data.field); each call creates a "
         "new subscription.",
         subscribe_params});
  c.add({"5.11/1", Tier::Must, Group::Notifications,
         "Unsubscribing an unknown id or another family's id MUST get -32004; a valid one answers "
         "{\"ok\":true}.",
         unsubscribe_errors});
  c.add({"5.13/1", Tier::Must, Group::Resume,
         "session.resume MUST answer -32602 with data.field for a missing sessionId or a bad "
         "lastSeq.",
         resume_params});
}

}  // namespace flake::conform
