// The dispatcher against every example of the JSON-RPC 2.0 specification (adapted to flake.v1
// methods) and the batch, depth, id and auth rules of docs/protocol.md §3 and §4.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "reference/rpc/dispatcher.hpp"
#include "reference/tests/test_support.hpp"

namespace flake {
namespace {

using test::error_code;
using test::roundtrip;

class DispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    state = test::make_state();
    conn = &test::open_connection(*state);
    test::authenticate(*conn);
  }
  std::vector<std::string> send(std::string_view text) {
    handle_message(*conn, text, false);
    return test::drain(*conn);
  }
  std::unique_ptr<ServerState> state;
  Connection* conn = nullptr;
};

TEST_F(DispatcherTest, CallWithNamedParamsGetsResultAndSameId) {
  JsonPtr r = roundtrip(
      *conn, R"({"jsonrpc":"2.0","method":"vercel.getProjects","params":{"limit":2},"id":1})");
  EXPECT_EQ(print_json(member(r.get(), "id")), "1");
  EXPECT_STREQ(member(r.get(), "jsonrpc")->valuestring, "2.0");
  EXPECT_EQ(cJSON_GetArraySize(member(member(r.get(), "result"), "projects")), 2);
  EXPECT_EQ(member(r.get(), "error"), nullptr);
}

TEST_F(DispatcherTest, NotificationIsNeverAnswered) {
  EXPECT_TRUE(send(R"({"jsonrpc":"2.0","method":"system.ping"})").empty());
  EXPECT_TRUE(send(R"({"jsonrpc":"2.0","method":"no.such.method"})").empty());
  EXPECT_TRUE(send(R"({"jsonrpc":"2.0","method":"vercel.getProjects","params":[1]})").empty());
}

TEST_F(DispatcherTest, UnknownMethodIsMethodNotFound) {
  JsonPtr r = roundtrip(*conn, R"({"jsonrpc":"2.0","method":"foobar","id":"1"})");
  EXPECT_EQ(error_code(r.get()), -32601);
  EXPECT_STREQ(member(member(member(r.get(), "error"), "data"), "method")->valuestring, "foobar");
  EXPECT_STREQ(member(r.get(), "id")->valuestring, "1");
}

TEST_F(DispatcherTest, InvalidJsonIsParseErrorWithNullId) {
  JsonPtr r = roundtrip(*conn, R"({"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz])");
  EXPECT_EQ(error_code(r.get()), -32700);
  EXPECT_TRUE(cJSON_IsNull(member(r.get(), "id")));
}

TEST_F(DispatcherTest, InvalidRequestObject) {
  JsonPtr r = roundtrip(*conn, R"({"jsonrpc": "2.0", "method": 1, "params": "bar"})");
  EXPECT_EQ(error_code(r.get()), -32600);
  EXPECT_TRUE(cJSON_IsNull(member(r.get(), "id")));
}

TEST_F(DispatcherTest, BatchWithInvalidJsonIsOneParseError) {
  JsonPtr r = roundtrip(
      *conn,
      R"([{"jsonrpc": "2.0", "method": "system.ping", "id": "1"},{"jsonrpc": "2.0", "method"])");
  ASSERT_TRUE(cJSON_IsObject(r.get()));
  EXPECT_EQ(error_code(r.get()), -32700);
}

TEST_F(DispatcherTest, EmptyArrayIsOneInvalidRequestNotAnArray) {
  JsonPtr r = roundtrip(*conn, "[]");
  ASSERT_TRUE(cJSON_IsObject(r.get()));
  EXPECT_EQ(error_code(r.get()), -32600);
  EXPECT_TRUE(cJSON_IsNull(member(r.get(), "id")));
}

TEST_F(DispatcherTest, InvalidBatchMembersEachGetAnError) {
  JsonPtr one = roundtrip(*conn, "[1]");
  ASSERT_TRUE(cJSON_IsArray(one.get()));
  ASSERT_EQ(cJSON_GetArraySize(one.get()), 1);
  EXPECT_EQ(error_code(cJSON_GetArrayItem(one.get(), 0)), -32600);
  JsonPtr three = roundtrip(*conn, "[1,2,3]");
  ASSERT_EQ(cJSON_GetArraySize(three.get()), 3);
  for (const cJSON* item = three->child; item; item = item->next) {
    EXPECT_EQ(error_code(item), -32600);
    EXPECT_TRUE(cJSON_IsNull(member(item, "id")));
  }
}

TEST_F(DispatcherTest, MixedBatchAnswersEveryNonNotification) {
  JsonPtr r = roundtrip(*conn, R"([
    {"jsonrpc":"2.0","method":"system.ping","id":"1"},
    {"jsonrpc":"2.0","method":"system.ping"},
    {"jsonrpc":"2.0","method":"vercel.getProjects","params":{"limit":1},"id":"2"},
    {"foo":"boo"},
    {"jsonrpc":"2.0","method":"foo.get","params":{"name":"myself"},"id":"5"},
    {"jsonrpc":"2.0","method":"aws.getDashboard","id":"9"}])");
  ASSERT_TRUE(cJSON_IsArray(r.get()));
  ASSERT_EQ(cJSON_GetArraySize(r.get()), 5);
  std::map<std::string, int> codes;  // id (or "null") -> error code or 0
  for (const cJSON* item = r->child; item; item = item->next) {
    const cJSON* id = member(item, "id");
    codes[cJSON_IsString(id) ? id->valuestring : "null"] = error_code(item);
  }
  EXPECT_EQ(codes["1"], 0);
  EXPECT_EQ(codes["2"], 0);
  EXPECT_EQ(codes["null"], -32600);
  EXPECT_EQ(codes["5"], -32601);
  EXPECT_EQ(codes["9"], 0);
}

TEST_F(DispatcherTest, AllNotificationBatchSendsNothing) {
  EXPECT_TRUE(send(R"([{"jsonrpc":"2.0","method":"system.ping"},{"jsonrpc":"2.0","method":"x.y"}])")
                  .empty());
}

TEST_F(DispatcherTest, IdTypesAreEchoed) {
  EXPECT_STREQ(
      member(roundtrip(*conn, R"({"jsonrpc":"2.0","method":"system.ping","id":"abc"})").get(), "id")
          ->valuestring,
      "abc");
  EXPECT_TRUE(cJSON_IsNull(member(
      roundtrip(*conn, R"({"jsonrpc":"2.0","method":"system.ping","id":null})").get(), "id")));
  // Checked on the raw frame: re-printing through cJSON would itself round to 15 digits.
  for (const char* id : {"0", "-7", "9007199254740991", "1.5", "-2.5e-07"}) {
    std::vector<std::string> frames =
        send(std::string(R"({"jsonrpc":"2.0","method":"system.ping","id":)") + id + "}");
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_NE(frames[0].find(std::string("\"id\":") + id + "}"), std::string::npos) << frames[0];
  }
  JsonPtr bad = roundtrip(*conn, R"({"jsonrpc":"2.0","method":"system.ping","id":{"a":1}})");
  EXPECT_EQ(error_code(bad.get()), -32600);
  EXPECT_TRUE(cJSON_IsNull(member(bad.get(), "id")));
}

std::string ping_batch(int n) {
  std::string text = "[";
  for (int i = 0; i < n; ++i) {
    text += (i ? "," : "") + std::string(R"({"jsonrpc":"2.0","method":"system.ping","id":)") +
            std::to_string(i) + "}";
  }
  return text + "]";
}

TEST_F(DispatcherTest, BatchLimitIs100) {
  JsonPtr ok = roundtrip(*conn, ping_batch(100));
  EXPECT_EQ(cJSON_GetArraySize(ok.get()), 100);
  JsonPtr over = roundtrip(*conn, ping_batch(101));
  ASSERT_TRUE(cJSON_IsObject(over.get()));
  EXPECT_EQ(error_code(over.get()), -32600);
  EXPECT_EQ(member(member(member(over.get(), "error"), "data"), "maxBatch")->valueint, 100);
}

std::string nested(int depth) {
  std::string open(static_cast<size_t>(depth - 1), '[');
  std::string close(static_cast<size_t>(depth - 1), ']');
  return R"({"jsonrpc":"2.0","method":"system.ping","id":1,"params":{"x":)" + open + close + "}}";
}

TEST_F(DispatcherTest, DepthLimitIs64) {
  // The envelope object is level 1, params level 2: nested(d) reaches depth d + 1.
  EXPECT_EQ(error_code(roundtrip(*conn, nested(63)).get()), 0);
  EXPECT_EQ(error_code(roundtrip(*conn, nested(64)).get()), -32700);
}

TEST_F(DispatcherTest, StrictJsonGrammar) {
  EXPECT_EQ(
      error_code(roundtrip(*conn, R"({"jsonrpc":"2.0","method":"system.ping","id":1} x)").get()),
      -32700);
  EXPECT_EQ(error_code(
                roundtrip(*conn, "{\"jsonrpc\":\"2.0\",\"method\":\"system.ping\",\"id\":1} \r\n\t")
                    .get()),
            0);
  EXPECT_EQ(
      error_code(roundtrip(*conn, R"({"jsonrpc":"2.0","method":"system.ping","id":01})").get()),
      -32700);
  EXPECT_EQ(error_code(
                roundtrip(*conn, "{\"jsonrpc\":\"2.0\",\"method\":\"system.ping\",\"id\":\"a\nb\"}")
                    .get()),
            -32700);
  EXPECT_EQ(error_code(roundtrip(*conn, "").get()), -32700);
}

TEST_F(DispatcherTest, DuplicateKeysLastWinsAndKeysAreCaseSensitive) {
  JsonPtr r =
      roundtrip(*conn, R"({"jsonrpc":"2.0","method":"nope","method":"system.ping","id":1})");
  EXPECT_EQ(error_code(r.get()), 0);
  JsonPtr upper = roundtrip(*conn, R"({"jsonrpc":"2.0","Method":"system.ping","id":1})");
  EXPECT_EQ(error_code(upper.get()), -32600);
}

TEST_F(DispatcherTest, EnvelopeRules) {
  EXPECT_EQ(
      error_code(roundtrip(*conn, R"({"jsonrpc":"1.0","method":"system.ping","id":1})").get()),
      -32600);
  EXPECT_EQ(error_code(roundtrip(*conn, R"({"method":"system.ping","id":1})").get()), -32600);
  EXPECT_EQ(
      error_code(roundtrip(*conn, R"({"jsonrpc":"2.0","method":"system.ping","params":"x","id":1})")
                     .get()),
      -32600);
  JsonPtr echoed = roundtrip(*conn, R"({"jsonrpc":"2.0","method":5,"id":"k"})");
  EXPECT_EQ(error_code(echoed.get()), -32600);
  EXPECT_STREQ(member(echoed.get(), "id")->valuestring, "k");
}

TEST_F(DispatcherTest, ParamsValidation) {
  EXPECT_EQ(
      error_code(
          roundtrip(*conn, R"({"jsonrpc":"2.0","method":"vercel.getProjects","params":[5],"id":1})")
              .get()),
      -32602);
  EXPECT_EQ(
      error_code(
          roundtrip(
              *conn,
              R"({"jsonrpc":"2.0","method":"vercel.getProjects","params":{"limit":0},"id":1})")
              .get()),
      -32602);
  // A method that takes params refuses positional ones, even []; one without params ignores
  // members.
  EXPECT_EQ(
      error_code(
          roundtrip(*conn, R"({"jsonrpc":"2.0","method":"vercel.getProjects","params":[],"id":1})")
              .get()),
      -32602);
  EXPECT_EQ(
      error_code(
          roundtrip(*conn,
                    R"({"jsonrpc":"2.0","method":"aws.getDashboard","params":{"x":1},"id":1})")
              .get()),
      0);
  EXPECT_EQ(
      error_code(
          roundtrip(*conn, R"({"jsonrpc":"2.0","method":"aws.getDashboard","params":[],"id":1})")
              .get()),
      0);
  EXPECT_EQ(
      error_code(
          roundtrip(*conn, R"({"jsonrpc":"2.0","method":"aws.getDashboard","params":[1],"id":1})")
              .get()),
      -32602);
  // Parameter errors are reported before unknown resources (§3.7).
  EXPECT_EQ(
      error_code(
          roundtrip(
              *conn,
              R"({"jsonrpc":"2.0","method":"test.emitLogs","params":{"service":"nope","count":-1},"id":1})")
              .get()),
      -32602);
  EXPECT_EQ(
      error_code(
          roundtrip(
              *conn,
              R"({"jsonrpc":"2.0","method":"logs.subscribe","params":{"service":"nope","level":"x"},"id":1})")
              .get()),
      -32602);
}

TEST_F(DispatcherTest, UnknownServiceInParamsIsNotFoundButInAMethodNameIsUnknownMethod) {
  EXPECT_EQ(
      error_code(
          roundtrip(*conn, R"({"jsonrpc":"2.0","method":"github.getDashboard","id":1})").get()),
      -32601);
  JsonPtr r = roundtrip(
      *conn,
      R"({"jsonrpc":"2.0","method":"test.emitLogs","params":{"service":"github","count":1},"id":1})");
  EXPECT_EQ(error_code(r.get()), -32004);
  EXPECT_STREQ(member(member(member(r.get(), "error"), "data"), "resource")->valuestring,
               "service:github");
  EXPECT_EQ(
      error_code(
          roundtrip(
              *conn,
              R"({"jsonrpc":"2.0","method":"logs.subscribe","params":{"service":"github"},"id":1})")
              .get()),
      -32004);
}

TEST_F(DispatcherTest, MultiDashboardHasEveryService) {
  JsonPtr r = roundtrip(*conn, R"({"jsonrpc":"2.0","method":"multi.getDashboard","id":1})");
  const cJSON* services = member(member(r.get(), "result"), "services");
  for (const char* name : {"vercel", "supabase", "aws"})
    EXPECT_NE(member(services, name), nullptr) << name;
}

TEST_F(DispatcherTest, BatchExecuteKeepsOperationOrder) {
  JsonPtr r =
      roundtrip(*conn, R"({"jsonrpc":"2.0","method":"batch.execute","id":1,"params":{"operations":[
      {"method":"aws.getDashboard"},{"method":"nope.nope"},{"method":"system.ping"},{"method":"batch.execute"}]}})");
  const cJSON* results = member(member(r.get(), "result"), "results");
  ASSERT_EQ(cJSON_GetArraySize(results), 4);
  EXPECT_NE(member(cJSON_GetArrayItem(results, 0), "result"), nullptr);
  EXPECT_EQ(member(member(cJSON_GetArrayItem(results, 1), "error"), "code")->valueint, -32601);
  EXPECT_NE(member(cJSON_GetArrayItem(results, 2), "result"), nullptr);
  EXPECT_NE(member(cJSON_GetArrayItem(results, 3), "error"), nullptr);
}

TEST_F(DispatcherTest, DiscoverListsTheMethodTable) {
  JsonPtr r = roundtrip(*conn, R"({"jsonrpc":"2.0","method":"rpc.discover","id":1})");
  const cJSON* methods = member(member(r.get(), "result"), "methods");
  std::set<std::string> names;
  for (const cJSON* m = methods ? methods->child : nullptr; m; m = m->next)
    names.insert(member(m, "name")->valuestring);
  for (const MethodSpec& spec : method_table())
    EXPECT_TRUE(names.count(std::string(spec.name))) << spec.name;
}

// §5.5d: params as OpenRPC content descriptors, none exactly for the methods that take none.
TEST_F(DispatcherTest, DiscoverParamsAreContentDescriptors) {
  JsonPtr r = roundtrip(*conn, R"({"jsonrpc":"2.0","method":"rpc.discover","id":1})");
  const cJSON* methods = member(member(r.get(), "result"), "methods");
  ASSERT_TRUE(cJSON_IsArray(methods));
  for (const cJSON* m = methods->child; m; m = m->next) {
    const std::string name = member(m, "name")->valuestring;
    const cJSON* params = member(m, "params");
    ASSERT_TRUE(cJSON_IsArray(params)) << name;
    const MethodSpec* spec = find_method(name);
    ASSERT_NE(spec, nullptr) << name;
    EXPECT_EQ(cJSON_GetArraySize(params) == 0, spec->params == "none") << name;
    for (const cJSON* d = params->child; d; d = d->next) {
      EXPECT_TRUE(cJSON_IsString(member(d, "name"))) << name;
      EXPECT_TRUE(cJSON_IsBool(member(d, "required"))) << name;
      EXPECT_TRUE(cJSON_IsString(member(member(d, "schema"), "type"))) << name;
    }
  }
}

TEST(DispatcherAuth, EverythingButPingNeedsAuthentication) {
  auto state = test::make_state();
  Connection& c = test::open_connection(*state);
  EXPECT_EQ(
      error_code(roundtrip(c, R"({"jsonrpc":"2.0","method":"aws.getDashboard","id":1})").get()),
      -32001);
  EXPECT_EQ(error_code(roundtrip(c, R"({"jsonrpc":"2.0","method":"no.such","id":1})").get()),
            -32001);
  EXPECT_EQ(error_code(roundtrip(c, R"({"jsonrpc":"2.0","method":"system.ping","id":1})").get()),
            0);
  JsonPtr ok = roundtrip(
      c,
      R"({"jsonrpc":"2.0","method":"auth.authenticate","params":{"token":"s3cret-token","clientInfo":{"version":"1","platform":"test"}},"id":2})");
  const cJSON* result = member(ok.get(), "result");
  ASSERT_NE(result, nullptr);
  EXPECT_EQ(std::string(member(result, "sessionId")->valuestring).size(), 32u);
  EXPECT_STREQ(member(member(result, "server"), "protocol")->valuestring, "flake.v1");
  const cJSON* caps = member(result, "capabilities");
  EXPECT_EQ(member(caps, "maxBatch")->valueint, 100);
  EXPECT_EQ(member(caps, "maxMessageBytes")->valuedouble, 16.0 * 1024 * 1024);
  EXPECT_NE(member(member(caps, "rateLimit"), "burst"), nullptr);
  EXPECT_EQ(
      error_code(roundtrip(c, R"({"jsonrpc":"2.0","method":"aws.getDashboard","id":3})").get()), 0);
}

// §3.3e, §3.6g, §3.6h, §3.7b.
TEST_F(DispatcherTest, OutOfRangeIdsNullMembersAndPositionalValues) {
  JsonPtr huge = roundtrip(*conn, R"({"jsonrpc":"2.0","method":"system.ping","id":1e400})");
  EXPECT_EQ(error_code(huge.get()), -32600);
  EXPECT_TRUE(cJSON_IsNull(member(huge.get(), "id")));
  for (const char* method : {"system.ping", "rpc.discover", "multi.getDashboard"}) {
    const std::string text =
        std::string(R"({"jsonrpc":"2.0","params":[1],"id":1,"method":")") + method + "\"}";
    EXPECT_EQ(error_code(roundtrip(*conn, text).get()), -32602) << method;
  }
  EXPECT_EQ(
      error_code(
          roundtrip(*conn, R"({"jsonrpc":"2.0","method":"system.ping","params":[],"id":1})").get()),
      0);
  EXPECT_EQ(error_code(roundtrip(*conn, R"({"jsonrpc":"2.0","method":"logs.subscribe","id":1,
                                           "params":{"service":"vercel","level":null}})")
                           .get()),
            -32602);
  EXPECT_EQ(error_code(roundtrip(*conn, R"({"jsonrpc":"2.0","method":"logs.subscribe","id":1,
                                           "params":{"service":"nosuch","level":"fatal"}})")
                           .get()),
            -32602);
}

TEST(DispatcherAuth, ThirdFailureClosesWith4401) {
  auto state = test::make_state();
  Connection& c = test::open_connection(*state);
  const char* wrong =
      R"({"jsonrpc":"2.0","method":"auth.authenticate","params":{"token":"nope"},"id":1})";
  EXPECT_EQ(error_code(roundtrip(c, wrong).get()), -32001);
  EXPECT_EQ(error_code(
                roundtrip(c, R"({"jsonrpc":"2.0","method":"auth.authenticate","params":{},"id":1})")
                    .get()),
            -32602);
  EXPECT_EQ(c.close_code, 0);
  EXPECT_EQ(error_code(roundtrip(c, wrong).get()), -32001);
  EXPECT_EQ(c.close_code, 4401);
}

TEST(DispatcherAuth, DefectSwitchesBreakTheirRule) {
  Options o = test::test_options();
  o.defects = {"no-auth-required", "empty-batch-array", "parse-error-id", "wrong-error-code"};
  auto state = test::make_state(o);
  Connection& c = test::open_connection(*state);
  EXPECT_EQ(
      error_code(roundtrip(c, R"({"jsonrpc":"2.0","method":"multi.getDashboard","id":1})").get()),
      0);
  EXPECT_TRUE(cJSON_IsArray(roundtrip(c, "[]").get()));
  EXPECT_EQ(print_json(member(roundtrip(c, "{").get(), "id")), "0");
  EXPECT_EQ(error_code(roundtrip(c, R"({"jsonrpc":"2.0","method":"x.y","id":1})").get()), -32600);
}

TEST(DispatcherRate, OverTheBucketIsRateLimited) {
  Options o = test::test_options();
  o.rate = 1;
  o.burst = 3;
  auto state = test::make_state(o);
  Connection& c = test::open_connection(*state);
  test::authenticate(c);  // one token
  EXPECT_EQ(error_code(roundtrip(c, R"({"jsonrpc":"2.0","method":"system.ping","id":1})").get()),
            0);
  EXPECT_EQ(error_code(roundtrip(c, R"({"jsonrpc":"2.0","method":"system.ping","id":2})").get()),
            0);
  JsonPtr limited = roundtrip(c, R"({"jsonrpc":"2.0","method":"system.ping","id":3})");
  EXPECT_EQ(error_code(limited.get()), -32002);
  EXPECT_GE(member(member(member(limited.get(), "error"), "data"), "retryAfterMs")->valuedouble, 1);
}

}  // namespace
}  // namespace flake
