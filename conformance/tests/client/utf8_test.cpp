// Strict UTF-8 validation vectors (Unicode Table 3-7 and the Autobahn 6.x style edge cases).
#include "conformance/client/utf8.hpp"

#include <gtest/gtest.h>

#include <string>

namespace flake::conform {
namespace {

std::string b(std::initializer_list<int> values) {
  std::string out;
  for (const int v : values) out.push_back(static_cast<char>(v));
  return out;
}

TEST(Utf8, ValidSequences) {
  const std::string valid[] = {
      "",
      "plain ascii {\"jsonrpc\":\"2.0\"}",
      "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5",  // κόσμε
      b({0x00}),
      b({0x7F}),
      b({0xC2, 0x80}),              // U+0080
      b({0xDF, 0xBF}),              // U+07FF
      b({0xE0, 0xA0, 0x80}),        // U+0800
      b({0xED, 0x9F, 0xBF}),        // U+D7FF, just below the surrogates
      b({0xEE, 0x80, 0x80}),        // U+E000, just above them
      b({0xEF, 0xBF, 0xBF}),        // U+FFFF
      b({0xEF, 0xBB, 0xBF}),        // BOM is a valid code point
      b({0xF0, 0x90, 0x80, 0x80}),  // U+10000
      b({0xF3, 0xBF, 0xBF, 0xBF}),
      b({0xF4, 0x8F, 0xBF, 0xBF}),  // U+10FFFF
  };
  for (const auto& s : valid) {
    EXPECT_TRUE(is_valid_utf8(s)) << "bytes: " << s.size();
    // A code point split across fragments must still validate.
    for (std::size_t i = 0; i <= s.size(); ++i) {
      Utf8Validator v;
      EXPECT_TRUE(v.feed(s.substr(0, i)));
      EXPECT_TRUE(v.feed(s.substr(i)));
      EXPECT_TRUE(v.complete());
    }
  }
}

TEST(Utf8, InvalidSequences) {
  const std::string invalid[] = {
      b({0x80}),  // lone continuation
      b({0xBF}),
      b({0xC0, 0x80}),        // overlong NUL
      b({0xC1, 0xBF}),        // overlong
      b({0xE0, 0x80, 0x80}),  // overlong 3-byte
      b({0xE0, 0x9F, 0xBF}),
      b({0xF0, 0x80, 0x80, 0x80}),  // overlong 4-byte
      b({0xF0, 0x8F, 0xBF, 0xBF}),
      b({0xED, 0xA0, 0x80}),                    // U+D800
      b({0xED, 0xBF, 0xBF}),                    // U+DFFF
      b({0xED, 0xA0, 0x80, 0xED, 0xB0, 0x80}),  // surrogate pair in CESU-8
      b({0xF4, 0x90, 0x80, 0x80}),              // U+110000
      b({0xF5, 0x80, 0x80, 0x80}),
      b({0xF8, 0x88, 0x80, 0x80, 0x80}),
      b({0xFE}),
      b({0xFF}),
      b({0xE2, 0x82}),  // truncated
      b({0xCE}),
      b({0xF0, 0x90, 0x80}),
      b({0xC2, 0x41}),  // continuation missing
      std::string("ok") + b({0xC2}) + "ok",
  };
  for (const auto& s : invalid) EXPECT_FALSE(is_valid_utf8(s)) << "bytes: " << s.size();
}

TEST(Utf8, ReportsTheOffsetAndStaysInvalid) {
  Utf8Validator v;
  EXPECT_TRUE(v.feed("abc"));
  EXPECT_FALSE(v.feed(b({'d', 0xC0, 0x80})));
  EXPECT_EQ(v.error_offset(), 4u);
  EXPECT_FALSE(v.feed("more"));
  EXPECT_FALSE(v.complete());
  v.reset();
  EXPECT_TRUE(v.feed("fresh"));
  EXPECT_TRUE(v.complete());
}

TEST(Utf8, EscapeInvalid) {
  EXPECT_EQ(escape_invalid_utf8("plain \xce\xba"), "plain \xce\xba");
  EXPECT_EQ(escape_invalid_utf8(b({'a', 0xFF, 'b'})), "a\\xffb");
  EXPECT_EQ(escape_invalid_utf8(b({0xE2, 0x82})), "\\xe2\\x82");
  EXPECT_EQ(escape_invalid_utf8(b({0xC0, 0x80})), "\\xc0\\x80");
  EXPECT_TRUE(is_valid_utf8(escape_invalid_utf8(b({0xF4, 0x90, 0x80, 0x80, 'x', 0xED, 0xA0}))));
}

TEST(Utf8, TruncatedIsOkSoFarButNotComplete) {
  Utf8Validator v;
  EXPECT_TRUE(v.feed(b({0xF0, 0x9F, 0x98})));
  EXPECT_TRUE(v.ok());
  EXPECT_FALSE(v.complete());
  EXPECT_TRUE(v.feed(b({0x80})));
  EXPECT_TRUE(v.complete());
}

}  // namespace
}  // namespace flake::conform
