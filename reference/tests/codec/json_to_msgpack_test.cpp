// The fast JSON-to-MessagePack path must give exactly encode_msgpack(parse_json(text)), or decline
// and leave its output untouched.
#include "reference/codec/json_to_msgpack.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "reference/codec/json_parse.hpp"
#include "reference/codec/msgpack.hpp"

namespace flake {
namespace {

std::string slow(const std::string& text) {
  ParseResult parsed = parse_json(text);
  EXPECT_TRUE(parsed.value) << text;
  return parsed.value ? encode_msgpack(parsed.value.get()) : std::string();
}

void expect_same(const std::string& text) {
  std::string fast = "prefix";
  ASSERT_TRUE(json_to_msgpack(text, fast)) << text;
  EXPECT_EQ(fast, "prefix" + slow(text)) << text;
}

void expect_declined(const std::string& text) {
  std::string out = "prefix";
  EXPECT_FALSE(json_to_msgpack(text, out)) << text;
  EXPECT_EQ(out, "prefix") << "output left as it was: " << text;
}

TEST(JsonToMsgpack, LogEntriesAsTheSidecarWritesThem) {
  expect_same(
      R"({"ts":1733011200000,"level":"info","message":"test entry 7","source":"test.emitLogs","n":7})");
  expect_same(
      R"({"ts":1,"level":"warn","message":"","source":"api","fields":{"a":[1,2,{"b":null}]}})");
  expect_same(" { \"a\" : [ true , false , null ] , \"b\" : { } , \"c\" : [ ] }\n");
  expect_same(R"({"utf8":"é € 😀"})");
}

TEST(JsonToMsgpack, IntegersAtEveryEncodingBoundary) {
  const std::vector<int64_t> values = {0,
                                       1,
                                       127,
                                       128,
                                       255,
                                       256,
                                       65535,
                                       65536,
                                       4294967295,
                                       4294967296,
                                       999999999999999,
                                       -1,
                                       -32,
                                       -33,
                                       -128,
                                       -129,
                                       -32768,
                                       -32769,
                                       -2147483648LL,
                                       -2147483649LL,
                                       -999999999999999};
  for (int64_t v : values) {
    expect_same(std::to_string(v));
    expect_same("[" + std::to_string(v) + "]");
  }
}

TEST(JsonToMsgpack, StringAndContainerLengthsAtEveryBoundary) {
  for (size_t length : {0, 1, 31, 32, 255, 256, 65535, 65536}) {
    expect_same("\"" + std::string(length, 'x') + "\"");
    expect_same("{\"" + std::string(length, 'k') + "\":1}");
  }
  for (size_t count : {15, 16, 65535, 65536}) {
    std::string array = "[";
    for (size_t i = 0; i < count; ++i) array += (i ? ",1" : "1");
    expect_same(array + "]");
  }
  for (size_t count : {15, 16}) {
    std::string object = "{";
    for (size_t i = 0; i < count; ++i) object += (i ? ",\"" : "\"") + std::to_string(i) + "\":0";
    expect_same(object + "}");
  }
}

TEST(JsonToMsgpack, OutputLongerThanTheText) {
  // A str 8 header is as long as the two quotes, a str 16 one 1 byte longer, a str 32 one 3: runs
  // of such strings make the MessagePack longer than the JSON text it comes from.
  for (size_t length : {256, 65536}) {
    std::string array = "[";
    for (int i = 0; i < 40; ++i) array += (i ? ",\"" : "\"") + std::string(length, 's') + "\"";
    array += "]";
    expect_same(array);
    std::string out;
    ASSERT_TRUE(json_to_msgpack(array, out));
    EXPECT_GT(out.size(), array.size());
  }
  std::string nested = "{\"a\":[";
  for (int i = 0; i < 300; ++i)
    nested += (i ? ",{\"k\":\"" : "{\"k\":\"") + std::string(300, 'v') + "\"}";
  expect_same(nested + "]}");
}

TEST(JsonToMsgpack, DeclinesWhatItDoesNotReproduceExactly) {
  expect_declined(R"({"m":"line\nbreak"})");  // escapes
  expect_declined(R"({"m":"\u0041"})");
  expect_declined(R"({"x":1.5})");  // fractions and exponents
  expect_declined(R"({"x":1e3})");
  expect_declined(R"({"x":1234567890123456})");  // 16 digits: not exact in every case
  expect_declined(R"({"x":-0})");
  expect_declined(R"({"a":1,"a":2})");  // duplicate keys: the last wins in parse_json
  std::string wide = "{";
  for (int i = 0; i < 100; ++i) wide += (i ? ",\"" : "\"") + std::to_string(i) + "\":0";
  expect_declined(wide + "}");  // many keys: the duplicate check would be quadratic
}

TEST(JsonToMsgpack, DeclinesInvalidText) {
  for (const char* text : {"", " ", "{", "[1,]", "{\"a\"}", "{\"a\":1,}", "01", "-", "tru", "nul",
                           "[1] x", "\"open", "{1:2}", "[1 2]", "\"tab\there\""}) {
    expect_declined(text);
  }
  expect_declined(std::string("\"nul\0byte\"", 10));
  expect_declined(std::string(65, '[') + std::string(65, ']'));  // deeper than parse_json allows
  expect_same(std::string(64, '[') + std::string(64, ']'));
}

}  // namespace
}  // namespace flake
