// Strict parsing: the last duplicate key wins in small objects (pairwise comparison) and large ones
// (hashed), at every depth, and the pre-scan's refusals.
#include "reference/codec/json_parse.hpp"

#include <gtest/gtest.h>

#include <string>

namespace flake {
namespace {

std::string reparsed(std::string_view text) {
  ParseResult parsed = parse_json(text);
  EXPECT_TRUE(parsed.value) << text << ": " << parsed.error;
  return parsed.value ? print_json(parsed.value.get()) : std::string();
}

// An object of `members` keys k0..k{members-1}, each written twice, the second time with value 2,
// plus `extra` written three times.
std::string object_with_repeats(int members) {
  std::string text = "{";
  for (int i = 0; i < members; ++i) text += "\"k" + std::to_string(i) + "\":1,";
  text += "\"extra\":0,";
  for (int i = 0; i < members; ++i) text += "\"k" + std::to_string(i) + "\":2,";
  text += "\"extra\":1,\"extra\":3}";
  return text;
}

std::string expected_object(int members) {
  std::string text = "{";
  for (int i = 0; i < members; ++i) text += "\"k" + std::to_string(i) + "\":2,";
  return text + "\"extra\":3}";
}

TEST(JsonParse, LastDuplicateWinsInSmallAndLargeObjects) {
  // 3 and 15 members stay under the pairwise limit with their repeats counted once; 40 do not.
  for (int members : {1, 3, 7, 15, 16, 17, 40, 200}) {
    EXPECT_EQ(reparsed(object_with_repeats(members)), expected_object(members)) << members;
  }
}

TEST(JsonParse, LastDuplicateWinsAtEveryDepthAndInsideArrays) {
  EXPECT_EQ(reparsed(R"({"a":{"b":1,"b":{"c":1,"c":2}},"a":{"b":[{"d":1,"d":2},{"d":3}],"b":4}})"),
            R"({"a":{"b":4}})");
  EXPECT_EQ(reparsed(R"([{"x":1,"x":2},[{"y":1,"y":{"z":0,"z":9}}]])"),
            R"([{"x":2},[{"y":{"z":9}}]])");
  EXPECT_EQ(reparsed(R"({"":1,"":2,"a":3})"), R"({"":2,"a":3})");
}

TEST(JsonParse, KeysDifferingOnlyInCaseAreDistinct) {
  EXPECT_EQ(reparsed(R"({"id":1,"ID":2,"Id":3})"), R"({"id":1,"ID":2,"Id":3})");
}

TEST(JsonParse, FirstDuplicateKeptWhenAsked) {
  ParseResult parsed = parse_json(R"({"a":1,"a":2})", kMaxJsonDepth, false);
  ASSERT_TRUE(parsed.value);
  EXPECT_EQ(cJSON_GetObjectItemCaseSensitive(parsed.value.get(), "a")->valueint, 1);
}

TEST(JsonParse, PreScanRefusals) {
  EXPECT_EQ(parse_json(std::string(65, '[') + std::string(65, ']')).error,
            "JSON nests deeper than 64 levels");
  EXPECT_EQ(parse_json("\"a\nb\"").error, "unescaped control character in a JSON string");
  EXPECT_EQ(parse_json("01").error, "malformed JSON number");
  EXPECT_EQ(parse_json("{} x").error, "unexpected data after the JSON value");
  EXPECT_TRUE(parse_json(" {\"a\":[1,2.5e3,-0]} \r\n").value);
}

}  // namespace
}  // namespace flake
