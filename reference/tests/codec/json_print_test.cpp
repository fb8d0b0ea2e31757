// Tests for print_json / print_json_to against cJSON_PrintUnformatted, byte for byte: every JSON
// file and fuzz corpus entry of the repository, edge and random numbers, every string byte, UTF-8,
// the type bits cJSON ignores, the trees it refuses, and appending after existing text.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cfloat>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "reference/codec/json.hpp"
#include "reference/codec/json_parse.hpp"
#include "reference/codec/msgpack.hpp"

namespace flake {
namespace {

namespace fs = std::filesystem;

// cJSON's answer: nullopt where it fails.
std::optional<std::string> cjson_print(const cJSON* value) {
  std::unique_ptr<char, CjsonFree> text(cJSON_PrintUnformatted(value));
  if (!text) return std::nullopt;
  return std::string(text.get());
}

// Both printers agree: the same text, or both fail (print_json "" and print_json_to false).
::testing::AssertionResult same_as_cjson(const cJSON* value) {
  const std::optional<std::string> expected = cjson_print(value);
  std::string appended;
  const bool ok = print_json_to(value, appended);
  const std::string printed = print_json(value);
  if (!expected) {
    if (!ok && appended.empty() && printed.empty()) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "cJSON fails, ours printed '" << appended << "'";
  }
  if (ok && appended == *expected && printed == *expected) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "cJSON '" << *expected << "', print_json_to (" << ok
                                       << ") '" << appended << "', print_json '" << printed << "'";
}

std::string hex_bits(double d) {
  char text[64];
  std::snprintf(text, sizeof text, "%016llx (%a)",
                static_cast<unsigned long long>(std::bit_cast<std::uint64_t>(d)), d);
  return text;
}

// Prints `values` as arrays of up to 1,000 numbers (one cJSON print per batch keeps millions of
// numbers quick) and, where a batch differs, finds the numbers that do.
void expect_numbers_same(const std::vector<double>& values) {
  constexpr std::size_t kBatch = 1000;
  size_t failures = 0;
  for (std::size_t first = 0; first < values.size(); first += kBatch) {
    JsonPtr array(cJSON_CreateArray());
    const std::size_t last = std::min(values.size(), first + kBatch);
    for (std::size_t i = first; i < last; ++i) {
      cJSON_AddItemToArray(array.get(), cJSON_CreateNumber(values[i]));
    }
    if (same_as_cjson(array.get())) continue;
    for (std::size_t i = first; i < last && failures < 20; ++i) {
      const JsonPtr one(cJSON_CreateNumber(values[i]));
      const ::testing::AssertionResult same = same_as_cjson(one.get());
      if (!same) {
        ++failures;
        ADD_FAILURE() << hex_bits(values[i]) << ": " << same.message();
      }
    }
  }
}

TEST(JsonPrint, EdgeNumbersPrintAsCjsonPrintsThem) {
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> values = {0.0,
                                -0.0,
                                1,
                                -1,
                                INT_MAX,
                                INT_MIN,
                                2147483648.0,
                                -2147483648.0,
                                -2147483649.0,
                                9007199254740992.0,
                                9007199254740993.0,
                                9007199254740994.0,
                                -9007199254740992.0,
                                999999999999999.0,
                                -999999999999999.0,
                                1e15,
                                -1e15,
                                1e15 + 1,
                                1e16,
                                1e21,
                                1e22,
                                1e-7,
                                0.1,
                                0.5,
                                1.0 / 3,
                                2.0 / 3,
                                5e-324,
                                -5e-324,
                                DBL_MIN,
                                DBL_MAX,
                                -DBL_MAX,
                                DBL_EPSILON,
                                std::nan(""),
                                -std::nan(""),
                                inf,
                                -inf,
                                1765118765123.0,
                                1764000000000.0,
                                1765118765123.5,
                                1765118765.123,
                                9223372036854775807.0,
                                -9223372036854775808.0,
                                18446744073709551616.0,
                                123456789012345678901234567890.0};
  // Every integer near the end of the integer fast path and near 2^53.
  for (int k = -2000; k <= 2000; ++k) {
    values.push_back(1e15 + k);
    values.push_back(-1e15 - k);
    values.push_back(9007199254740992.0 + 2 * k);
  }
  // Around every power of ten: the power, its neighbouring doubles, one either side, and the
  // 15- and 16-digit numbers just below and above it.
  for (int exponent = -20; exponent <= 25; ++exponent) {
    const std::string text = "1e" + std::to_string(exponent);
    const double power = std::strtod(text.c_str(), nullptr);
    double below = power, above = power;
    for (int step = 0; step < 4; ++step) {
      values.push_back(below = std::nextafter(below, 0.0));
      values.push_back(above = std::nextafter(above, inf));
    }
    for (double v :
         {power, power - 1, power + 1, power * (1 - 1e-15), power * (1 + 1e-15),
          power * 0.999999999999999, power * 0.9999999999999999, power * 9.5, power * 1.5}) {
      values.push_back(v);
      values.push_back(-v);
    }
  }
  expect_numbers_same(values);
}

// Random bit patterns reach every exponent, the subnormals, NaN payloads and both infinities.
TEST(JsonPrint, RandomBitPatternsPrintAsCjsonPrintsThem) {
  std::mt19937_64 random(20261207);
  std::vector<double> values(1'000'000);
  for (double& v : values) v = std::bit_cast<double>(random());
  expect_numbers_same(values);
}

// Integers of every magnitude to 2^63 (the integer fast path ends at 1e15), and decimals of 15 to
// 17 significant digits, where "%1.15g" reads back only approximately or not at all.
TEST(JsonPrint, RandomIntegersAndDecimalsPrintAsCjsonPrintsThem) {
  std::mt19937_64 random(1765118765123);
  std::vector<double> values;
  values.reserve(1'800'000);
  for (int i = 0; i < 600'000; ++i) {
    const int bits = 1 + static_cast<int>(random() % 63);
    const auto magnitude = static_cast<std::int64_t>(random() >> (64 - bits));
    values.push_back(static_cast<double>(i % 2 == 0 ? magnitude : -magnitude));
  }
  for (int i = 0; i < 300'000; ++i) {
    const int digits = 15 + static_cast<int>(random() % 3);
    std::string text = std::to_string(random() % 9 + 1);
    for (int d = 1; d < digits; ++d) text.push_back(static_cast<char>('0' + random() % 10));
    text += "e" + std::to_string(static_cast<int>(random() % 80) - 40);
    values.push_back(std::strtod(text.c_str(), nullptr));
  }
  for (int i = 0; i < 300'000; ++i) {
    // Timestamps with a fraction, cents, and small ratios, as services report them.
    const double ms = 1.7e12 + static_cast<double>(random() % 100'000'000'000);
    values.push_back(ms + static_cast<double>(random() % 1000) / 1000);
    values.push_back(static_cast<double>(random() % 10'000'000) / 100);
    values.push_back(std::ldexp(static_cast<double>(random() >> 11), -53));
  }
  expect_numbers_same(values);
}

// Every byte cJSON's strings can hold (1..255), alone and together, as a value and as a key.
TEST(JsonPrint, EveryStringByteEscapesAsCjsonEscapesIt) {
  std::string all;
  for (int byte = 1; byte <= 255; ++byte) {
    const std::string one(1, static_cast<char>(byte));
    all += one;
    for (const std::string& text : {one, "a" + one + "b", one + one}) {
      JsonPtr object(cJSON_CreateObject());
      cJSON_AddStringToObject(object.get(), text.c_str(), text.c_str());
      EXPECT_TRUE(same_as_cjson(object.get())) << "byte " << byte;
    }
  }
  JsonPtr value(cJSON_CreateString(all.c_str()));
  EXPECT_TRUE(same_as_cjson(value.get()));
  EXPECT_EQ(print_json(value.get()).substr(0, 19), R"("\u0001\u0002\u0003)");
  const JsonPtr controls(cJSON_CreateString("\b\f\n\r\t\"\\\x1f\x7f"));
  EXPECT_EQ(print_json(controls.get()), "\"\\b\\f\\n\\r\\t\\\"\\\\\\u001f\x7f\"");
}

TEST(JsonPrint, Utf8AndInvalidUtf8GoOutRaw) {
  for (const char* text :
       {"caf\xc3\xa9", "\xe2\x82\xac 100", "\xf0\x9f\x98\x80", "\xef\xbb\xbf", "\xed\xa0\x80",
        "\xc0\xaf", "\xff\xfe", "\x80", "\xf4\x90\x80\x80", "\xe2\x80\xa8\xe2\x80\xa9"}) {
    JsonPtr array(cJSON_CreateArray());
    cJSON_AddItemToArray(array.get(), cJSON_CreateString(text));
    JsonPtr object(cJSON_CreateObject());
    cJSON_AddNullToObject(object.get(), text);
    EXPECT_TRUE(same_as_cjson(array.get())) << text;
    EXPECT_TRUE(same_as_cjson(object.get())) << text;
  }
}

TEST(JsonPrint, LiteralsRawAndEmptyContainersPrintAsCjsonPrintsThem) {
  JsonPtr tree(cJSON_CreateObject());
  cJSON_AddTrueToObject(tree.get(), "t");
  cJSON_AddFalseToObject(tree.get(), "f");
  cJSON_AddNullToObject(tree.get(), "n");
  cJSON_AddArrayToObject(tree.get(), "a");
  cJSON_AddObjectToObject(tree.get(), "o");
  cJSON_AddRawToObject(tree.get(), "raw", "{ \"kept\" :  [1, 2] }");
  cJSON_AddRawToObject(tree.get(), "empty_raw", "");
  cJSON_AddItemToObject(tree.get(), "", cJSON_CreateString(""));
  cJSON* nested = cJSON_AddArrayToObject(tree.get(), "nested");
  cJSON_AddItemToArray(nested, cJSON_CreateArray());
  cJSON_AddItemToArray(nested, cJSON_CreateObject());
  cJSON_AddItemToArray(nested, cJSON_CreateRaw(""));
  cJSON_AddItemToArray(nested, cJSON_CreateRaw(""));
  EXPECT_TRUE(same_as_cjson(tree.get()));
  EXPECT_EQ(print_json(tree.get()),
            R"({"t":true,"f":false,"n":null,"a":[],"o":{},"raw":{ "kept" :  [1, 2] },)"
            R"("empty_raw":,"":"","nested":[[],{},,]})");
  for (cJSON* lone : {cJSON_CreateArray(), cJSON_CreateObject(), cJSON_CreateRaw(""),
                      cJSON_CreateString(""), cJSON_CreateNull()}) {
    const JsonPtr owned(lone);
    EXPECT_TRUE(same_as_cjson(owned.get()));
  }
}

// The flags above the type byte change nothing; a null string or key prints as "".
TEST(JsonPrint, FlagBitsAndNullStringsPrintAsCjsonPrintsThem) {
  static const char kConstKey[] = "constant";
  JsonPtr referenced(cJSON_CreateObject());
  cJSON_AddNumberToObject(referenced.get(), "x", 1.5);
  JsonPtr tree(cJSON_CreateObject());
  cJSON_AddItemToObjectCS(tree.get(), kConstKey, cJSON_CreateStringReference("by reference"));
  cJSON_AddItemReferenceToObject(tree.get(), "ref", referenced.get());
  cJSON* flagged = cJSON_AddNumberToObject(tree.get(), "float_form", 5);
  flagged->type |= kNumberWrittenAsFloat | (1 << 20);
  cJSON* no_text = cJSON_AddStringToObject(tree.get(), "no_text", "gone");
  cJSON_free(no_text->valuestring);
  no_text->valuestring = nullptr;
  cJSON* no_key = cJSON_AddTrueToObject(tree.get(), "no_key");
  cJSON_free(no_key->string);
  no_key->string = nullptr;
  EXPECT_TRUE(same_as_cjson(tree.get()));
  EXPECT_EQ(print_json(tree.get()),
            R"({"constant":"by reference","ref":{"x":1.5},"float_form":5,"no_text":"","":true})");
}

// A null item, a raw without text and every type byte that is not one type fail both printers,
// wherever they sit in the tree.
TEST(JsonPrint, TreesCjsonRefusesFail) {
  EXPECT_TRUE(same_as_cjson(nullptr));
  EXPECT_EQ(print_json(nullptr), "");
  for (int type = 0; type <= 0xFF; ++type) {
    JsonPtr tree(cJSON_CreateArray());
    cJSON* item = cJSON_CreateNull();
    cJSON_AddItemToArray(tree.get(), item);
    item->type = type;
    EXPECT_TRUE(same_as_cjson(tree.get())) << "type " << type;
    item->type = cJSON_NULL;
  }
  JsonPtr raw(cJSON_CreateObject());
  cJSON* hollow = cJSON_AddRawToObject(raw.get(), "r", "1");
  cJSON_free(hollow->valuestring);
  hollow->valuestring = nullptr;
  EXPECT_TRUE(same_as_cjson(raw.get()));
  EXPECT_EQ(print_json(raw.get()), "");
  std::string out = "kept";
  EXPECT_FALSE(print_json_to(raw.get(), out));
  EXPECT_EQ(out, "kept");
}

// The appending form leaves what `out` held and adds exactly print_json's text.
TEST(JsonPrint, PrintJsonToAppendsAfterExistingContent) {
  const ParseResult parsed =
      parse_json(R"({"jsonrpc":"2.0","id":12345,"result":{"now":1765118765123}})");
  ASSERT_TRUE(parsed.value);
  std::string frame(16, '\0');
  frame[3] = 'x';
  ASSERT_TRUE(print_json_to(parsed.value.get(), frame));
  EXPECT_EQ(frame.substr(0, 16), std::string(3, '\0') + "x" + std::string(12, '\0'));
  EXPECT_EQ(frame.substr(16), R"({"jsonrpc":"2.0","id":12345,"result":{"now":1765118765123}})");
  ASSERT_TRUE(print_json_to(parsed.value.get(), frame));
  EXPECT_EQ(frame.size(), 16 + 2 * print_json(parsed.value.get()).size());
}

TEST(JsonPrint, DeepNestingPrintsAsCjsonPrintsIt) {
  JsonPtr root(cJSON_CreateArray());
  cJSON* inner = root.get();
  for (int depth = 0; depth < 2000; ++depth) {
    cJSON* next = depth % 2 == 0 ? cJSON_CreateObject() : cJSON_CreateArray();
    if (cJSON_IsObject(inner)) {
      cJSON_AddItemToObject(inner, "k", next);
    } else {
      cJSON_AddItemToArray(inner, next);
    }
    inner = next;
  }
  EXPECT_TRUE(same_as_cjson(root.get()));
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Every *.json of the repository outside build trees and node_modules, and every corpus and
// regression input of every fuzz target (most are not JSON; cJSON refuses those).
std::vector<fs::path> repository_inputs() {
  const fs::path root = fs::path(FLAKE_TEST_FIXTURES).parent_path();
  std::vector<fs::path> inputs;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    const std::string name = it->path().filename().string();
    if (it->is_directory()) {
      if (name.starts_with(".") || name.starts_with("build") || name == "node_modules") {
        it.disable_recursion_pending();
      }
      continue;
    }
    const std::string relative = it->path().lexically_relative(root).generic_string();
    if (it->path().extension() == ".json" || relative.starts_with("fixtures/corpus/") ||
        relative.starts_with("fixtures/regressions/")) {
      inputs.push_back(it->path());
    }
  }
  return inputs;
}

TEST(JsonPrint, RepositoryJsonAndFuzzCorporaPrintAsCjsonPrintsThem) {
  int json_trees = 0, msgpack_trees = 0;
  bool saw_services = false, saw_json_corpus = false;
  for (const fs::path& path : repository_inputs()) {
    const std::string bytes = read_file(path);
    const JsonPtr lenient(cJSON_ParseWithLength(bytes.data(), bytes.size()));
    if (lenient) {
      ++json_trees;
      EXPECT_TRUE(same_as_cjson(lenient.get())) << path;
      saw_services |= path.filename() == "vercel.json";
      saw_json_corpus |= path.parent_path().filename() == "fuzz_json";
    }
    // The strict parser's tree, with the float-form flags the defect integer-form-checked sets.
    ParseResult strict = parse_json(bytes);
    if (strict.value) {
      mark_float_forms(bytes, strict.value.get());
      EXPECT_TRUE(same_as_cjson(strict.value.get())) << path;
    }
    // MessagePack brings floats (float 32 too) and keys that are not text.
    MsgpackLeniency lenient_msgpack;
    lenient_msgpack.ignore_trailing = lenient_msgpack.ext_as_string = true;
    lenient_msgpack.mark_floats = true;
    for (const MsgpackLeniency& leniency : {MsgpackLeniency{}, lenient_msgpack}) {
      const MsgpackDecodeResult decoded = decode_msgpack(bytes, kMaxJsonDepth, leniency);
      if (!decoded.value) continue;
      ++msgpack_trees;
      EXPECT_TRUE(same_as_cjson(decoded.value.get())) << path;
    }
  }
  EXPECT_GE(json_trees, 20);
  EXPECT_GE(msgpack_trees, 5);
  EXPECT_TRUE(saw_services);
  EXPECT_TRUE(saw_json_corpus);
}

}  // namespace
}  // namespace flake
