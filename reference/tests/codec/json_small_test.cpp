// The small-object fast path gives exactly the general parser's tree whenever it answers: on the
// fuzz corpora, on every request line of the dispatcher corpus, on generated objects, and on
// inputs built to sit just outside its grammar (where it must decline).
#include "reference/codec/json_small.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "reference/codec/json_parse.hpp"

namespace flake {
namespace {

// Type bits, numbers (valueint and the double's bits), strings, keys and order, recursively.
void expect_same_tree(const cJSON* a, const cJSON* b, const std::string& where) {
  ASSERT_NE(a, nullptr) << where;
  ASSERT_NE(b, nullptr) << where;
  EXPECT_EQ(a->type & 0xFF, b->type & 0xFF) << where;
  EXPECT_EQ(a->valueint, b->valueint) << where;
  EXPECT_EQ(std::memcmp(&a->valuedouble, &b->valuedouble, sizeof(double)), 0) << where;
  EXPECT_EQ(a->valuestring == nullptr, b->valuestring == nullptr) << where;
  if (a->valuestring && b->valuestring) {
    EXPECT_STREQ(a->valuestring, b->valuestring) << where;
  }
  EXPECT_EQ(a->string == nullptr, b->string == nullptr) << where;
  if (a->string && b->string) {
    EXPECT_STREQ(a->string, b->string) << where;
  }
  const cJSON* x = a->child;
  const cJSON* y = b->child;
  for (; x && y; x = x->next, y = y->next)
    expect_same_tree(x, y, where + "/" + (x->string ? x->string : "[]"));
  EXPECT_EQ(x == nullptr, y == nullptr) << where << ": member counts differ";
  if (a->child) {
    EXPECT_EQ(a->child->prev->next, nullptr) << where << ": head's prev is the last";
  }
}

// How many inputs the fast path took.
int check(std::string_view text) {
  JsonPtr fast = parse_small_json(text);
  if (!fast) return 0;
  ParseResult general = parse_json(text);
  EXPECT_TRUE(general.value) << "fast path accepted what the parser refuses: " << text;
  if (general.value) expect_same_tree(fast.get(), general.value.get(), std::string(text));
  return 1;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

TEST(JsonSmall, AgreesWithTheParserOnTheCorpora) {
  int taken = 0;
  int inputs = 0;
  for (const char* corpus : {"fuzz_json", "fuzz_dispatcher", "fuzz_ws_reader", "fuzz_http"}) {
    const auto dir = std::filesystem::path(FLAKE_TEST_FIXTURES) / "corpus" / corpus;
    if (!std::filesystem::is_directory(dir)) continue;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      const std::string bytes = read_file(entry.path());
      taken += check(bytes);
      ++inputs;
      // The dispatcher corpus holds one message per line between "~~" separators.
      std::istringstream lines(bytes);
      for (std::string line; std::getline(lines, line); ++inputs) taken += check(line);
    }
  }
  EXPECT_GT(inputs, 50);
  EXPECT_GE(taken, 10) << "the corpora should exercise the fast path";
}

TEST(JsonSmall, TakesTypicalRequests) {
  for (
      const char* text :
      {R"({"jsonrpc":"2.0","method":"system.ping","id":1})",
       R"({"jsonrpc":"2.0","id":-42,"method":"logs.subscribe","params":{"service":"vercel","level":"debug"}})",
       R"({"jsonrpc":"2.0","method":"x","params":{"a":{"b":true,"c":false,"d":null}},"id":"s-1"})",
       R"({"id":999999999999999,"n":2147483647,"m":2147483648,"k":-2147483649})", R"({})",
       R"({"":0,"a":{}})"}) {
    EXPECT_EQ(check(text), 1) << text;
  }
}

TEST(JsonSmall, DeclinesWhatLiesOutsideItsGrammar) {
  for (const char* text : {R"({"a":1,"a":2})",
                           R"({"a":1.5})",
                           R"({"a":1e3})",
                           R"({"a":-0})",
                           R"({"a":01})",
                           R"({"a":1234567890123456})",
                           R"({"a":"\u0041"})",
                           R"({"a":"tab	here"})",
                           "{\"a\":\"\xc3\xa9\"}",
                           R"({"a":[1]})",
                           R"({ "a":1})",
                           R"({"a":1} )",
                           R"({"a":{"b":{"c":{}}}})",
                           R"([1])",
                           R"("s")",
                           R"(1)",
                           R"({"a":tru})",
                           R"({"a":1,})",
                           R"({"a")",
                           R"({"a":1}x)",
                           ""}) {
    EXPECT_EQ(parse_small_json(text), nullptr) << text;
  }
}

// Random flat and nested objects in the grammar (and a few characters outside it), compared.
TEST(JsonSmall, AgreesWithTheParserOnGeneratedObjects) {
  std::mt19937_64 random(20261207);
  auto pick = [&](int n) { return static_cast<int>(random() % static_cast<uint64_t>(n)); };
  const std::string alphabet = "abcXYZ09 _-.:/,{}[]\"\\\t";
  auto word = [&] {
    std::string s;
    for (int i = pick(6); i > 0; --i)
      s += alphabet[static_cast<size_t>(pick(static_cast<int>(alphabet.size())))];
    return s;
  };
  auto quoted = [&] {
    std::string s = "\"";
    for (char c : word()) s += (c == '"' || c == '\\' || c == '\t') ? 'q' : c;
    return s + "\"";
  };
  std::function<std::string(int)> object = [&](int depth) {
    std::string s = "{";
    for (int i = pick(5); i > 0; --i) {
      s += quoted() + ":";
      switch (pick(depth < 4 ? 7 : 6)) {
        case 0:
          s += quoted();
          break;
        case 1:
          s += std::to_string(static_cast<int64_t>(random() % 2000000000000000ULL) -
                              1000000000000000LL);
          break;
        case 2:
          s += "true";
          break;
        case 3:
          s += "false";
          break;
        case 4:
          s += "null";
          break;
        case 5:
          s += std::to_string(pick(100));
          break;
        default:
          s += object(depth + 1);
          break;
      }
      if (i > 1) s += ",";
    }
    return s + "}";
  };
  int taken = 0;
  for (int i = 0; i < 20000; ++i) taken += check(object(1));
  EXPECT_GT(taken, 5000);
}

}  // namespace
}  // namespace flake
