// §3.4 batches and the batch of §3.11's examples.

#include <set>
#include "conformance/cases/case_util.hpp"
#include "conformance/cases/cases.hpp"
#include "conformance/harness/rpc_path.hpp"

namespace flake::conform {
namespace {

// Every member of `answer` must be a response; returns them keyed by dump of id.
std::multiset<std::string> ids_of(const json& answer) {
  std::multiset<std::string> ids;
  for (const auto& r : answer) {
    require_response_shape(r, "batch member response");
    ids.insert(r["id"].dump());
  }
  return ids;
}

const json* find_by_id(const json& answer, const json& id) {
  for (const auto& r : answer) {
    if (r.is_object() && r.contains("id") && r["id"] == id) return &r;
  }
  return nullptr;
}

// -32601 for a feature method inside a batch: the sidecar lacks it (harness/expect.hpp), not a
// batch bug.
void unimplemented_if_member_missing(const json& answer, const json& id, std::string_view method) {
  const json* m = answer.is_array() ? find_by_id(answer, id) : nullptr;
  if (m != nullptr && is_method_not_found(*m)) {
    unimplemented_case("the sidecar answers -32601 for " + std::string(method));
  }
}

Outcome single_error(CaseContext& ctx, std::string_view text, int code, std::string_view what) {
  auto path = open_rpc_path(ctx);
  const Incoming in = path->send(text);
  const json& r = require_value(in, std::string(what) + ": one error object");
  require(r.is_object(), std::string(what) + ": a single error object, not an array", show(r));
  require_error_value(r, code, nullptr, what);
  return pass();
}

Outcome array_of_invalid(CaseContext& ctx, std::string_view text, std::size_t n,
                         std::string_view what) {
  auto path = open_rpc_path(ctx);
  const json& r = require_value(path->send(text), std::string(what) + ": an array");
  require(r.is_array() && r.size() == n,
          std::string(what) + ": an array of " + std::to_string(n) + " responses", show(r));
  for (const auto& m : r) require_error_value(m, -32600, nullptr, what);
  return pass();
}

}  // namespace

void add_s3_batches_cases(Catalog& c) {
  c.add({.id = "3.4/1",
         .tier = Tier::Must,
         .requirement = "A batch that is not valid JSON MUST be answered with a single -32700 "
                        "error (spec example).",
         .rules = {"2.8a"},
         .paths = kJsonTextPaths,
         .run = [](CaseContext& ctx) {
           return single_error(ctx,
                               R"([
  {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
  {"jsonrpc": "2.0", "method"
])",
                               -32700, "a batch with invalid JSON");
         }});
  c.add(
      {.id = "3.4/2",
       .tier = Tier::Must,
       .requirement = "An empty batch MUST be answered with a single -32600 error object with id "
                      "null, not an array.",
       .rules = {"3.4a"},
       .paths = kEveryPath,
       .run = [](CaseContext& ctx) { return single_error(ctx, "[]", -32600, "an empty batch"); }});
  c.add({.id = "3.4/3",
         .tier = Tier::Must,
         .requirement = "A non-empty invalid batch [1] MUST be answered with an array of one "
                        "-32600 (spec example).",
         .rules = {"3.4e"},
         .paths = kEveryPath,
         .run = [](CaseContext& ctx) { return array_of_invalid(ctx, "[1]", 1, "the batch [1]"); }});
  c.add({.id = "3.4/4",
         .tier = Tier::Must,
         .requirement = "The invalid batch [1,2,3] MUST be answered with an array of three -32600 "
                        "(spec example).",
         .rules = {"3.4e"},
         .paths = kEveryPath,
         .run = [](CaseContext& ctx) {
           return array_of_invalid(ctx, "[1,2,3]", 3, "the batch [1,2,3]");
         }});
  c.add({.id = "3.4/5",
         .tier = Tier::Must,
         .requirement = "A mixed batch MUST get one response per member that is not a valid "
                        "notification (spec example).",
         .rules = {"3.4e"},
         .paths = kEveryPath,
         .run = [](CaseContext& ctx) {
           auto path = open_rpc_path(ctx);
           // The JSON-RPC 2.0 specification's mixed batch, with flake.v1 methods in place of
           // sum/subtract.
           const std::string text = R"([
    {"jsonrpc": "2.0", "method": "system.ping", "id": "1"},
    {"jsonrpc": "2.0", "method": "system.ping", "params": {}},
    {"jsonrpc": "2.0", "method": "vercel.getDeployments", "params": {"limit": 2}, "id": "2"},
    {"foo": "boo"},
    {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},
    {"jsonrpc": "2.0", "method": "get_data", "id": "9"}
  ])";
           const json& r = require_value(path->send(text), "an array answer");
           require(r.is_array() && r.size() == 5,
                   "an array of 5 responses (the notification gets none)", show(r));
           ids_of(r);
           unimplemented_if_member_missing(r, "2", "vercel.getDeployments");
           const json* one = find_by_id(r, "1");
           const json* two = find_by_id(r, "2");
           const json* five = find_by_id(r, "5");
           const json* nine = find_by_id(r, "9");
           const json* null_id = find_by_id(r, nullptr);
           require(one && one->contains("result"), "id \"1\": a result", show(r));
           require(two && two->contains("result"), "id \"2\": a result", show(r));
           require(five && (*five)["error"]["code"] == -32601, "id \"5\": error -32601", show(r));
           require(nine && (*nine)["error"]["code"] == -32601, "id \"9\": error -32601", show(r));
           require(null_id && (*null_id)["error"]["code"] == -32600,
                   "id null: error -32600 for {\"foo\":\"boo\"}", show(r));
           return pass();
         }});
  c.add(
      {.id = "3.4/6",
       .tier = Tier::Must,
       .requirement =
           "When every member is a valid client notification, the sidecar MUST NOT send anything.",
       .rules = {"3.4d"},
       .paths = kEveryPath,
       .run = [](CaseContext& ctx) {
         auto path = open_rpc_path(ctx);
         path->require_no_answer(R"([
    {"jsonrpc": "2.0", "method": "system.ping", "params": [1,2,4]},
    {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]}
  ])",
                                 "a batch of notifications");
         return pass();
       }});
  c.add({.id = "3.4/7",
         .tier = Tier::Must,
         .requirement = "A batch of more than 100 members MUST get one -32600 with data "
                        "{\"maxBatch\":100}, and no member is executed.",
         .rules = {"3.4b", "3.4c", "3.9c"},
         .paths = kEveryPath,
         .run = [](CaseContext& ctx) {
           auto path = open_rpc_path(ctx);
           json batch = json::array();
           // If anything were executed, the subscription plus the emitted entry would show up.
           batch.push_back(make_request("logs.subscribe", {{"service", "vercel"}}, "sub"));
           batch.push_back(
               make_request("test.emitLogs", {{"service", "vercel"}, {"count", 1}}, "emit"));
           for (int i = 0; i < 99; ++i) batch.push_back(make_request("system.ping", nullptr, i));
           const json& r = require_value(path->send(batch.dump()), "one error object");
           require(r.is_object(), "a single -32600 error object for a batch of 101", show(r));
           const json error = require_error_value(r, -32600, nullptr, "a batch of 101 members");
           require(has_object(error, "data") && error["data"].value("maxBatch", 0) == 100,
                   "data {\"maxBatch\":100}", show(error));
           const Incoming after = path->unsolicited(std::chrono::milliseconds(500));
           require(after.kind == Incoming::Kind::Timeout,
                   "no member of the batch executed (no notification)", after.describe());
           return pass();
         }});
  c.add({.id = "3.4/8",
         .tier = Tier::Must,
         .requirement =
             "A batch of exactly 100 members MUST be answered with 100 responses, matched by id.",
         .rules = {"3.4e"},
         .paths = kEveryPath,
         .run = [](CaseContext& ctx) {
           auto path = open_rpc_path(ctx);
           json batch = json::array();
           for (int i = 0; i < 100; ++i) batch.push_back(make_request("system.ping", nullptr, i));
           const json& r = require_value(path->send(batch.dump()), "an array answer");
           require(r.is_array() && r.size() == 100, "an array of 100 responses", show(r, 200));
           std::set<int> seen;
           for (const auto& m : r) {
             require_response_shape(m, "batch member");
             require(m["id"].is_number_integer() && m.contains("result"), "results with ids 0..99",
                     show(m));
             seen.insert(m["id"].get<int>());
           }
           require(seen.size() == 100 && *seen.begin() == 0 && *seen.rbegin() == 99,
                   "each id 0..99 exactly once", std::to_string(seen.size()) + " distinct ids");
           return pass();
         }});
  c.add(
      {.id = "3.4/9",
       .tier = Tier::Must,
       .requirement = "A member's effect on the connection (authentication) MUST be visible to the "
                      "members after it.",
       .rules = {"3.4g", "3.4h"},
       .paths = kSocketPaths,
       .run = [](CaseContext& ctx) {
         const Encoding encoding = socket_encoding(ctx);
         auto rpc = ctx.connect();
         const json batch = json::array(
             {make_request("auth.authenticate",
                           {{"token", ctx.target().token}, {"clientInfo", client_info()}}, 1),
              make_request("vercel.getDashboard", nullptr, 2)});
         rpc->send(batch, encoding);
         const json& r = require_value(rpc->wait_for_response(ctx.deadline()), "an array answer");
         require(r.is_array() && r.size() == 2, "an array of 2 responses", show(r));
         unimplemented_if_member_missing(r, 2, "vercel.getDashboard");
         const json* auth = find_by_id(r, 1);
         const json* dash = find_by_id(r, 2);
         require(auth && auth->contains("result"), "auth.authenticate succeeds", show(r));
         require(dash && dash->contains("result"),
                 "vercel.getDashboard after auth.authenticate in the same batch succeeds", show(r));
         return pass();
       }});
  c.add({.id = "3.4/10",
         .tier = Tier::Must,
         .requirement = "A text batch holding a successful logs.getLarge with format msgpack MUST "
                        "be answered in one binary message.",
         .rules = {"3.4i"},
         .budget = std::chrono::milliseconds(20000),
         .run = [](CaseContext& ctx) {
           require_msgpack_capability(ctx);
           auto rpc = ctx.connect_authenticated();
           const json batch = json::array(
               {make_request("system.ping", nullptr, 1),
                make_request("logs.getLarge",
                             {{"service", "vercel"}, {"timeRange", "1h"}, {"format", "msgpack"}},
                             2)});
           rpc->send(batch, Encoding::Json);
           const Incoming in = rpc->wait_for_response(ctx.deadline());
           const json& r = require_value(in, "the batch answer");
           require(r.is_array() && r.size() == 2, "one array of 2 responses", show(r));
           unimplemented_if_member_missing(r, 2, "logs.getLarge");
           const json* ping = find_by_id(r, 1);
           const json* large = find_by_id(r, 2);
           require(ping && ping->contains("result") && large && large->contains("result"),
                   "results for system.ping and logs.getLarge", show(r, 300));
           require(in.encoding == Encoding::MsgPack,
                   "the batch answer in one binary (MessagePack) message", "a text message");
           return pass();
         }});
  c.add({.id = "3.4/11",
         .tier = Tier::Must,
         .requirement = "A batch holding test.dropSession MUST NOT be answered: the connection "
                        "drops without an answer to any member.",
         .rules = {"3.4j"},
         .run = [](CaseContext& ctx) {
           auto rpc = ctx.connect_authenticated();
           rpc->send(json::array({make_request("system.ping", nullptr, 1),
                                  make_request("test.dropSession", nullptr, 2)}));
           for (;;) {
             const Incoming in = rpc->receive(ctx.deadline());
             if (in.kind == Incoming::Kind::Eof) break;
             if (in.is_value() && is_notification(in.value)) continue;
             if (in.is_value()) unimplemented_if_member_missing(in.value, 2, "test.dropSession");
             fail_case("the connection dropped without an answer to the batch", in.describe());
           }
           return pass();
         }});
  c.add({.id = "3.11/1",
         .tier = Tier::Must,
         .requirement = "The mixed batch of 3.11's examples MUST get the six responses that 3.2, "
                        "3.4, 3.6 and 3.8 require: result, -32601, -32600, -32600, -32600, -32602.",
         .rules = {"3.4e", "3.2b", "3.2c", "3.8b", "3.6c"},
         .paths = kEveryPath,
         .run = [](CaseContext& ctx) {
           auto path = open_rpc_path(ctx);
           const std::string text = R"([
  {"jsonrpc":"2.0","id":1,"method":"system.ping"},
  {"jsonrpc":"2.0","method":"system.ping"},
  {"jsonrpc":"2.0","id":"b","method":"no.such.method"},
  {"jsonrpc":"1.0","id":3,"method":"system.ping"},
  {"foo":"bar"},
  42,
  {"jsonrpc":"2.0","id":4,"method":"vercel.getDeployments","params":{"limit":0}}
])";
           const json& r = require_value(path->send(text), "an array answer");
           require(r.is_array() && r.size() == 6, "an array of 6 responses", show(r));
           const std::multiset<std::string> ids = ids_of(r);
           unimplemented_if_member_missing(r, 4, "vercel.getDeployments");
           const std::multiset<std::string> want = {"1", "\"b\"", "3", "null", "null", "4"};
           require(ids == want, "ids 1, \"b\", 3, null, null, 4", show(r));
           require((*find_by_id(r, 1)).contains("result"), "id 1: a result", show(r));
           require((*find_by_id(r, "b"))["error"]["code"] == -32601, "id \"b\": -32601", show(r));
           require((*find_by_id(r, 3))["error"]["code"] == -32600, "id 3: -32600", show(r));
           require((*find_by_id(r, 4))["error"]["code"] == -32602, "id 4: -32602", show(r));
           for (const auto& m : r) {
             if (m["id"].is_null())
               require(m["error"]["code"] == -32600, "id null: -32600", show(r));
           }
           return pass();
         }});
}

}  // namespace flake::conform
