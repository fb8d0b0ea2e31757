// The tree-less system.ping path against the general one (parse, dispatch, print): what it accepts,
// what it declines (every prefix and every one-byte change of a ping included), byte-identical
// answers on generated pings, on their one-byte mutations and on the fuzz corpora, and that defect
// switches and the rate limit leave it to the general path.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>

#include "reference/codec/json_parse.hpp"
#include "reference/rpc/dispatcher.hpp"
#include "reference/rpc/small_ping.hpp"
#include "reference/tests/test_support.hpp"

namespace flake {
namespace {

// The answer's "now" with its digits, and the answer with those digits removed.
std::pair<int64_t, std::string> split_now(const std::string& answer) {
  const std::string key = "\"now\":";
  const size_t at = answer.find(key);
  if (at == std::string::npos) return {-1, answer};
  size_t end = at + key.size();
  while (end < answer.size() && std::isdigit(static_cast<unsigned char>(answer[end]))) ++end;
  const std::string digits = answer.substr(at + key.size(), end - at - key.size());
  return {digits.empty() ? -1 : std::stoll(digits),
          answer.substr(0, at + key.size()) + answer.substr(end)};
}

class SmallPing : public ::testing::Test {
 protected:
  void SetUp() override {
    state = test::make_state();
    conn = &test::open_connection(*state);
  }

  // What the general path answers: parse, dispatch, print ("" when nothing is owed).
  std::string general(std::string_view payload) {
    ParseResult parsed = parse_json(payload);
    if (!parsed.value) return "(parse error)";
    CallContext ctx(*state, conn, conn->authenticated());
    JsonPtr response = dispatch_message(ctx, parsed.value.get());
    return response ? print_json(response.get()) : "";
  }

  // Whenever the fast path takes `payload`, its answer is the general path's, byte for byte ("now"
  // read from the clock a moment apart on each side). Returns whether it took it.
  bool same_as_general(std::string_view payload) {
    std::string fast;
    CallContext ctx(*state, conn, conn->authenticated());
    if (!answer_small_ping(ctx, payload, fast)) return false;
    const auto [fast_now, fast_rest] = split_now(fast);
    const auto [general_now, general_rest] = split_now(general(payload));
    EXPECT_EQ(fast_rest, general_rest) << "payload: " << payload;
    EXPECT_GE(fast_now, 0) << fast;
    EXPECT_LE(std::abs(fast_now - general_now), 1000) << fast;
    return true;
  }

  std::unique_ptr<ServerState> state;
  Connection* conn = nullptr;
};

const std::vector<std::string> kOrders = {
    R"({"jsonrpc":"2.0","method":"system.ping","id":ID})",
    R"({"jsonrpc":"2.0","id":ID,"method":"system.ping"})",
    R"({"method":"system.ping","jsonrpc":"2.0","id":ID})",
    R"({"method":"system.ping","id":ID,"jsonrpc":"2.0"})",
    R"({"id":ID,"jsonrpc":"2.0","method":"system.ping"})",
    R"({"id":ID,"method":"system.ping","jsonrpc":"2.0"})",
};

std::string with_id(std::string form, std::string_view id) {
  return form.replace(form.find("ID"), 2, id);
}

TEST(SmallPingMatch, TakesTheThreeMembersInAnyOrderAndGivesTheIdAsWritten) {
  for (const std::string& form : kOrders) {
    for (const std::string id : {"0", "7", "1000000", "999999999999999", R"("")", R"("a b/c~")"}) {
      const std::string ping = with_id(form, id);
      const auto matched = match_small_ping(ping);
      ASSERT_TRUE(matched.has_value()) << ping;
      EXPECT_EQ(*matched, id);
    }
  }
}

TEST(SmallPingMatch, DeclinesEverythingElse) {
  for (const std::string_view payload : {
           R"({"jsonrpc":"2.0","method":"system.ping"})",                           // notification
           R"({"jsonrpc":"2.0","method":"system.ping","id":null})",                 // null id
           R"({"jsonrpc":"2.0","method":"system.ping","id":-1})",                   // sign
           R"({"jsonrpc":"2.0","method":"system.ping","id":01})",                   // leading zero
           R"({"jsonrpc":"2.0","method":"system.ping","id":1.5})",                  // fraction
           R"({"jsonrpc":"2.0","method":"system.ping","id":1e3})",                  // exponent
           R"({"jsonrpc":"2.0","method":"system.ping","id":1000000000000000})",     // 16 digits
           R"({"jsonrpc":"2.0","method":"system.ping","id":"a\"b"})",               // escape
           R"({"jsonrpc":"2.0","method":"system.ping","id":"\u0041"})",             // escape
           "{\"jsonrpc\":\"2.0\",\"method\":\"system.ping\",\"id\":\"\xc3\xa9\"}",  // non-ASCII
           "{\"jsonrpc\":\"2.0\",\"method\":\"system.ping\",\"id\":\"\t\"}",        // control
           R"({"jsonrpc":"2.0","method":"system.ping","id":1,"params":{}})",        // params
           R"({"jsonrpc":"2.0","method":"system.ping","id":1,"id":2})",             // repeated
           R"({"jsonrpc":"2.0","method":"system.ping","id":1,"x":0})",  // another member
           R"({"jsonrpc":"1.0","method":"system.ping","id":1})",        // version
           R"({"jsonrpc":"2.0","method":"system.pong","id":1})",        // method
           R"({"jsonrpc":"2.0", "method":"system.ping","id":1})",       // whitespace
           R"( {"jsonrpc":"2.0","method":"system.ping","id":1})",       // whitespace
           R"({"jsonrpc":"2.0","method":"system.ping","id":1} )",       // whitespace
           R"({"jsonrpc":"2.0","method":"system.ping","id":1}})",       // trailing bytes
           R"({"jsonrpc":"2.0","method":"system.ping","id":1,})",       // trailing comma
           R"([{"jsonrpc":"2.0","method":"system.ping","id":1}])",      // batch
       }) {
    EXPECT_FALSE(match_small_ping(payload).has_value()) << payload;
  }
}

TEST(SmallPingMatch, DeclinesEveryProperPrefix) {
  for (const std::string& form : kOrders) {
    const std::string ping = with_id(form, R"("id-1")");
    for (size_t n = 0; n < ping.size(); ++n)
      EXPECT_FALSE(match_small_ping(std::string_view(ping).substr(0, n)).has_value()) << n;
  }
}

TEST(SmallPingAnswer, PrintsTheGeneralPathsBytes) {
  std::string out = "prefix";
  ASSERT_TRUE(append_ping_answer(out, "42", 1765000000123));
  EXPECT_EQ(out, R"(prefix{"jsonrpc":"2.0","result":{"now":1765000000123},"id":42})");
  std::string far;
  EXPECT_FALSE(append_ping_answer(far, "1", 1'000'000'000'000'000));  // cJSON would print 1e+15
  EXPECT_TRUE(far.empty());
}

TEST_F(SmallPing, AnswersGeneratedPingsAsTheGeneralPathDoes) {
  std::mt19937 random(7);
  std::vector<std::string> ids = {"0", "1", "2147483647", "2147483648", "999999999999999"};
  for (int i = 0; i < 200; ++i) {
    std::string text = "\"";
    const int length = static_cast<int>(random() % 12);
    for (int k = 0; k < length; ++k) text += static_cast<char>(0x20 + random() % 95);
    ids.push_back(text + "\"");
    ids.push_back(std::to_string(random() % 1'000'000'000'000'000));
  }
  size_t taken = 0;
  for (const std::string& form : kOrders) {
    for (const std::string& id : ids) {
      const bool plain = id.find_first_of("\\", 1) == std::string::npos &&
                         std::count(id.begin() + 1, id.end(), '"') <= 1;
      if (same_as_general(with_id(form, id)))
        ++taken;
      else
        EXPECT_FALSE(plain) << with_id(form, id);  // only escapes and quotes may decline
    }
  }
  EXPECT_GT(taken, kOrders.size() * ids.size() / 2);
}

// Every one-byte deletion, substitution and insertion of a ping: either declined, or (a different
// valid ping) answered exactly as the general path answers it.
TEST_F(SmallPing, OneByteMutationsAreDeclinedOrAnsweredAlike) {
  const std::string ping = R"({"jsonrpc":"2.0","method":"system.ping","id":"k7"})";
  const std::string alphabet = "{}[]\":,0123456789 .-+eE\\ajk\x01\xc3";
  size_t tried = 0, taken = 0;
  for (size_t at = 0; at <= ping.size(); ++at) {
    std::vector<std::string> mutants;
    if (at < ping.size()) mutants.push_back(std::string(ping).erase(at, 1));
    for (const char ch : alphabet) {
      if (at < ping.size()) mutants.push_back(std::string(ping).replace(at, 1, 1, ch));
      mutants.push_back(std::string(ping).insert(at, 1, ch));
    }
    for (const std::string& m : mutants) {
      ++tried;
      if (same_as_general(m)) ++taken;
    }
  }
  EXPECT_GT(tried, 2000u);
  EXPECT_GT(taken, 0u);  // e.g. other string ids
}

// The dispatcher's fuzz corpus (flag byte, messages split by "\n~~\n") and the JSON corpus.
TEST_F(SmallPing, CorporaAreDeclinedOrAnsweredAlike) {
  size_t messages = 0;
  for (const char* dir : {"fuzz_dispatcher", "fuzz_json"}) {
    const std::filesystem::path root = std::filesystem::path(FLAKE_TEST_FIXTURES) / "corpus" / dir;
    ASSERT_TRUE(std::filesystem::is_directory(root)) << root;
    for (const auto& entry : std::filesystem::directory_iterator(root)) {
      std::ifstream in(entry.path(), std::ios::binary);
      std::string bytes((std::istreambuf_iterator<char>(in)), {});
      if (std::string_view(dir) == "fuzz_dispatcher" && !bytes.empty()) bytes.erase(0, 1);
      for (size_t start = 0;;) {
        const size_t end = bytes.find("\n~~\n", start);
        same_as_general(std::string_view(bytes).substr(start, end - start));
        ++messages;
        if (end == std::string::npos) break;
        start = end + 4;
      }
    }
  }
  EXPECT_GT(messages, 10u);
}

TEST_F(SmallPing, AnyDefectSwitchLeavesThePingToTheGeneralPath) {
  Options o = test::test_options();
  o.defects = {"ping-seconds"};
  auto defective = test::make_state(o);
  Connection& c = test::open_connection(*defective);
  std::string out;
  CallContext ctx(*defective, &c, false);
  EXPECT_FALSE(answer_small_ping(ctx, R"({"jsonrpc":"2.0","method":"system.ping","id":1})", out));
  // The general path's defect answers in seconds.
  JsonPtr r = test::roundtrip(c, R"({"jsonrpc":"2.0","method":"system.ping","id":1})");
  const double now = member(member(r.get(), "result"), "now")->valuedouble;
  EXPECT_LT(now, 1e11);
}

TEST_F(SmallPing, ARefusedRateLimitIsLeftToTheGeneralPathUncharged) {
  Options o = test::test_options();
  o.rate = 1;
  o.burst = 1;
  auto limited = test::make_state(o);
  Connection& c = test::open_connection(*limited);
  const std::string ping = R"({"jsonrpc":"2.0","method":"system.ping","id":1})";
  JsonPtr first = test::roundtrip(c, ping);  // takes the one token
  EXPECT_NE(member(first.get(), "result"), nullptr);
  std::string out;
  CallContext ctx(*limited, &c, false);
  EXPECT_FALSE(answer_small_ping(ctx, ping, out));
  EXPECT_TRUE(out.empty());
  JsonPtr refused = test::roundtrip(c, ping);
  EXPECT_EQ(test::error_code(refused.get()), kRateLimited);
}

}  // namespace
}  // namespace flake
