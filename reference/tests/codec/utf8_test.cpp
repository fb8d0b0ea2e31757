// Tests for the UTF-8 validator: Markus Kuhn's stress cases, every length boundary, every
// truncation, and exhaustive cross-checks against an independent decode-then-check oracle.
#include "reference/codec/utf8.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <random>
#include <string>

namespace flake {
namespace {

std::string bytes(std::initializer_list<int> list) {
  std::string out;
  for (int b : list) out.push_back(static_cast<char>(b));
  return out;
}

// Encodes a code point using exactly `length` bytes, so tests can also build overlong forms.
std::string encode(uint32_t cp, int length) {
  std::string out;
  switch (length) {
    case 1:
      out.push_back(static_cast<char>(cp));
      break;
    case 2:
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
      break;
    case 3:
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
      break;
    default:
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
      break;
  }
  return out;
}

int natural_length(uint32_t cp) {
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}
std::string encode(uint32_t cp) {
  return encode(cp, natural_length(cp));
}

// A deliberately different algorithm from the validator's (decode, then check the code point), used
// as an oracle for exhaustive comparisons.
bool oracle_valid(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto lead = static_cast<unsigned char>(s[i]);
    int len;
    uint32_t cp;
    if (lead < 0x80) {
      len = 1;
      cp = lead;
    } else if ((lead & 0xE0) == 0xC0) {
      len = 2;
      cp = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
      len = 3;
      cp = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
      len = 4;
      cp = lead & 0x07;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (int k = 1; k < len; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

// --- Markus Kuhn, "UTF-8 decoder capability and stress test", section by section ---

TEST(Utf8Kuhn, CorrectText) {  // 1: "κόσμε"
  EXPECT_TRUE(
      is_valid_utf8(bytes({0xCE, 0xBA, 0xE1, 0xBD, 0xB9, 0xCF, 0x83, 0xCE, 0xBC, 0xCE, 0xB5})));
}

TEST(Utf8Kuhn, FirstPossibleSequenceOfEachLength) {  // 2.1
  EXPECT_TRUE(is_valid_utf8(std::string(1, '\0')));
  EXPECT_TRUE(is_valid_utf8(bytes({0xC2, 0x80})));
  EXPECT_TRUE(is_valid_utf8(bytes({0xE0, 0xA0, 0x80})));
  EXPECT_TRUE(is_valid_utf8(bytes({0xF0, 0x90, 0x80, 0x80})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xF8, 0x88, 0x80, 0x80, 0x80})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xFC, 0x84, 0x80, 0x80, 0x80, 0x80})));
}

TEST(Utf8Kuhn, LastPossibleSequenceOfEachLength) {  // 2.2
  EXPECT_TRUE(is_valid_utf8(bytes({0x7F})));
  EXPECT_TRUE(is_valid_utf8(bytes({0xDF, 0xBF})));
  EXPECT_TRUE(is_valid_utf8(bytes({0xEF, 0xBF, 0xBF})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xF7, 0xBF, 0xBF, 0xBF})));  // U+1FFFFF: beyond RFC 3629
  EXPECT_FALSE(is_valid_utf8(bytes({0xFB, 0xBF, 0xBF, 0xBF, 0xBF})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xFD, 0xBF, 0xBF, 0xBF, 0xBF, 0xBF})));
}

TEST(Utf8Kuhn, OtherBoundaryConditions) {                        // 2.3
  EXPECT_TRUE(is_valid_utf8(bytes({0xED, 0x9F, 0xBF})));         // U+D7FF
  EXPECT_TRUE(is_valid_utf8(bytes({0xEE, 0x80, 0x80})));         // U+E000
  EXPECT_TRUE(is_valid_utf8(bytes({0xEF, 0xBF, 0xBD})));         // U+FFFD
  EXPECT_TRUE(is_valid_utf8(bytes({0xF4, 0x8F, 0xBF, 0xBF})));   // U+10FFFF
  EXPECT_FALSE(is_valid_utf8(bytes({0xF4, 0x90, 0x80, 0x80})));  // U+110000
}

TEST(Utf8Kuhn, UnexpectedContinuationBytes) {  // 3.1
  for (int b = 0x80; b <= 0xBF; ++b) {
    EXPECT_FALSE(is_valid_utf8(bytes({b}))) << std::hex << b;
    EXPECT_FALSE(is_valid_utf8("ab" + bytes({b}) + "cd")) << std::hex << b;
  }
  EXPECT_FALSE(is_valid_utf8(bytes({0x80, 0xBF})));
  EXPECT_FALSE(is_valid_utf8(bytes({0x80, 0xBF, 0x80})));
  EXPECT_FALSE(is_valid_utf8(bytes({0x80, 0xBF, 0x80, 0xBF})));
  EXPECT_FALSE(is_valid_utf8(bytes({0x80, 0xBF, 0x80, 0xBF, 0x80})));
  EXPECT_FALSE(is_valid_utf8(bytes({0x80, 0xBF, 0x80, 0xBF, 0x80, 0xBF})));
  EXPECT_FALSE(is_valid_utf8(bytes({0x80, 0xBF, 0x80, 0xBF, 0x80, 0xBF, 0x80})));
  std::string all;
  for (int b = 0x80; b <= 0xBF; ++b) all.push_back(static_cast<char>(b));
  EXPECT_FALSE(is_valid_utf8(all));
}

TEST(Utf8Kuhn, LonelyStartCharactersFollowedBySpace) {  // 3.2
  for (int b = 0xC0; b <= 0xFD; ++b) {
    EXPECT_FALSE(is_valid_utf8(bytes({b, 0x20}))) << std::hex << b;
  }
}

TEST(Utf8Kuhn, SequencesWithLastContinuationByteMissing) {  // 3.3 and 3.4
  const std::string cases[] = {
      bytes({0xC0}),
      bytes({0xE0, 0x80}),
      bytes({0xF0, 0x80, 0x80}),
      bytes({0xF8, 0x80, 0x80, 0x80}),
      bytes({0xFC, 0x80, 0x80, 0x80, 0x80}),
      bytes({0xDF}),
      bytes({0xEF, 0xBF}),
      bytes({0xF7, 0xBF, 0xBF}),
      bytes({0xFB, 0xBF, 0xBF, 0xBF}),
      bytes({0xFD, 0xBF, 0xBF, 0xBF, 0xBF}),
  };
  std::string concatenated;
  for (const std::string& c : cases) {
    EXPECT_FALSE(is_valid_utf8(c));
    EXPECT_FALSE(is_valid_utf8(c + " "));
    concatenated += c;
  }
  EXPECT_FALSE(is_valid_utf8(concatenated));
}

TEST(Utf8Kuhn, ImpossibleBytes) {  // 3.5
  EXPECT_FALSE(is_valid_utf8(bytes({0xFE})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xFF})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xFE, 0xFE, 0xFF, 0xFF})));
}

TEST(Utf8Kuhn, OverlongSlash) {  // 4.1
  EXPECT_FALSE(is_valid_utf8(bytes({0xC0, 0xAF})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xE0, 0x80, 0xAF})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xF0, 0x80, 0x80, 0xAF})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xF8, 0x80, 0x80, 0x80, 0xAF})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xFC, 0x80, 0x80, 0x80, 0x80, 0xAF})));
}

TEST(Utf8Kuhn, MaximumOverlongSequences) {  // 4.2
  EXPECT_FALSE(is_valid_utf8(bytes({0xC1, 0xBF})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xE0, 0x9F, 0xBF})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xF0, 0x8F, 0xBF, 0xBF})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xF8, 0x87, 0xBF, 0xBF, 0xBF})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xFC, 0x83, 0xBF, 0xBF, 0xBF, 0xBF})));
}

TEST(Utf8Kuhn, OverlongNul) {  // 4.3
  EXPECT_FALSE(is_valid_utf8(bytes({0xC0, 0x80})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xE0, 0x80, 0x80})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xF0, 0x80, 0x80, 0x80})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xF8, 0x80, 0x80, 0x80, 0x80})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xFC, 0x80, 0x80, 0x80, 0x80, 0x80})));
}

TEST(Utf8Kuhn, SingleUtf16Surrogates) {  // 5.1
  for (const std::string& s :
       {bytes({0xED, 0xA0, 0x80}), bytes({0xED, 0xAD, 0xBF}), bytes({0xED, 0xAE, 0x80}),
        bytes({0xED, 0xAF, 0xBF}), bytes({0xED, 0xB0, 0x80}), bytes({0xED, 0xBE, 0x80}),
        bytes({0xED, 0xBF, 0xBF})}) {
    EXPECT_FALSE(is_valid_utf8(s));
  }
}

TEST(Utf8Kuhn, PairedUtf16Surrogates) {  // 5.2: CESU-8 style pairs are still invalid UTF-8
  const int highs[][2] = {{0xA0, 0x80}, {0xAD, 0xBF}, {0xAE, 0x80}, {0xAF, 0xBF}};
  const int lows[][2] = {{0xB0, 0x80}, {0xBF, 0xBF}};
  for (const auto& h : highs) {
    for (const auto& l : lows) {
      EXPECT_FALSE(is_valid_utf8(bytes({0xED, h[0], h[1], 0xED, l[0], l[1]})));
    }
  }
}

TEST(Utf8Kuhn, NoncharactersAreValidUtf8) {               // 5.3: RFC 3629 does not exclude them
  EXPECT_TRUE(is_valid_utf8(bytes({0xEF, 0xBF, 0xBE})));  // U+FFFE
  EXPECT_TRUE(is_valid_utf8(bytes({0xEF, 0xBF, 0xBF})));  // U+FFFF
  EXPECT_TRUE(is_valid_utf8(bytes({0xEF, 0xB7, 0x90})));  // U+FDD0
  EXPECT_TRUE(is_valid_utf8(bytes({0xEF, 0xB7, 0xAF})));  // U+FDEF
  EXPECT_TRUE(is_valid_utf8(bytes({0xF0, 0x9F, 0xBF, 0xBE})));  // U+1FFFE
  EXPECT_TRUE(is_valid_utf8(bytes({0xF4, 0x8F, 0xBF, 0xBE})));  // U+10FFFE
}

// --- Boundaries and truncations ---

TEST(Utf8, EmptyAndAscii) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8(R"({"jsonrpc":"2.0","method":"system.ping","id":1})"));
  std::string all_ascii;
  for (int b = 0; b < 0x80; ++b) all_ascii.push_back(static_cast<char>(b));
  EXPECT_TRUE(is_valid_utf8(all_ascii));
}

TEST(Utf8, EncodingLengthBoundaries) {
  const uint32_t valid[] = {0x0,     0x7F,    0x80,    0x7FF,    0x800,   0xFFF,  0x1000,
                            0xCFFF,  0xD000,  0xD7FF,  0xE000,   0xFFFD,  0xFFFF, 0x10000,
                            0x3FFFF, 0x40000, 0xFFFFF, 0x100000, 0x10FFFF};
  for (uint32_t cp : valid) {
    EXPECT_TRUE(is_valid_utf8(encode(cp))) << std::hex << cp;
    // Every longer (overlong) encoding of the same code point is refused.
    for (int len = natural_length(cp) + 1; len <= 4; ++len) {
      EXPECT_FALSE(is_valid_utf8(encode(cp, len))) << std::hex << cp << " as " << len;
    }
  }
  EXPECT_FALSE(is_valid_utf8(encode(0xD800)));
  EXPECT_FALSE(is_valid_utf8(encode(0xDFFF)));
  EXPECT_FALSE(is_valid_utf8(encode(0x110000)));
  EXPECT_FALSE(is_valid_utf8(encode(0x13FFFF)));
  EXPECT_FALSE(is_valid_utf8(encode(0x1FFFFF)));
}

TEST(Utf8, EveryScalarValueIsValidAndEverySurrogateIsNot) {
  for (uint32_t cp = 0; cp <= 0x10FFFF; ++cp) {
    const bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
    ASSERT_EQ(is_valid_utf8(encode(cp)), !surrogate) << std::hex << cp;
  }
}

TEST(Utf8, EveryTruncationOfValidSequencesIsRefused) {
  const uint32_t samples[] = {0x80,   0x7FF,   0x800,    0xD7FF, 0xE000,
                              0xFFFF, 0x10000, 0x10FFFF, 0x1F600};
  const std::string ascii_run(19, 'a');  // leaves the truncation past an 8-byte word boundary
  for (uint32_t cp : samples) {
    const std::string full = encode(cp);
    for (size_t cut = 1; cut < full.size(); ++cut) {
      const std::string prefix = full.substr(0, cut);
      EXPECT_FALSE(is_valid_utf8(prefix)) << std::hex << cp << " cut " << cut;
      EXPECT_FALSE(is_valid_utf8(prefix + "x")) << std::hex << cp << " cut " << cut;
      EXPECT_FALSE(is_valid_utf8(ascii_run + prefix)) << std::hex << cp << " cut " << cut;
      EXPECT_FALSE(is_valid_utf8(prefix + full)) << std::hex << cp << " cut " << cut;
    }
    EXPECT_TRUE(is_valid_utf8(ascii_run + full + ascii_run));
  }
}

TEST(Utf8, BadByteAtEveryOffsetAroundTheAsciiFastPath) {
  for (size_t len = 1; len <= 40; ++len) {
    for (size_t pos = 0; pos < len; ++pos) {
      std::string s(len, 'z');
      s[pos] = static_cast<char>(0xFF);
      EXPECT_FALSE(is_valid_utf8(s)) << len << "/" << pos;
      s[pos] = static_cast<char>(0x80);
      EXPECT_FALSE(is_valid_utf8(s)) << len << "/" << pos;
    }
  }
}

TEST(Utf8, MultibyteAtEveryOffsetAroundTheAsciiFastPath) {
  const std::string euro = bytes({0xE2, 0x82, 0xAC});
  for (size_t before = 0; before <= 17; ++before) {
    for (size_t after = 0; after <= 9; ++after) {
      EXPECT_TRUE(is_valid_utf8(std::string(before, 'q') + euro + std::string(after, 'q')));
    }
  }
}

TEST(Utf8, NeverReadsPastTheEndOfTheView) {
  // The bytes after each view would complete the sequence; only the view's own bytes may count.
  const std::string buffer = bytes({0xC2, 0x80, 0xE2, 0x82, 0xAC, 0xF0, 0x9F, 0x98, 0x80});
  const std::string_view all(buffer);
  EXPECT_TRUE(is_valid_utf8(all));
  EXPECT_FALSE(is_valid_utf8(all.substr(0, 1)));
  EXPECT_FALSE(is_valid_utf8(all.substr(2, 1)));
  EXPECT_FALSE(is_valid_utf8(all.substr(2, 2)));
  EXPECT_FALSE(is_valid_utf8(all.substr(5, 1)));
  EXPECT_FALSE(is_valid_utf8(all.substr(5, 2)));
  EXPECT_FALSE(is_valid_utf8(all.substr(5, 3)));
  const std::string long_buffer = std::string(15, 'a') + bytes({0xC2, 0x80});
  EXPECT_FALSE(is_valid_utf8(std::string_view(long_buffer).substr(0, 16)));
}

TEST(Utf8, EmbeddedNulIsValid) {
  EXPECT_TRUE(is_valid_utf8(std::string_view("a\0b\0\0\0\0\0\0\0\0c", 12)));
}

// --- Exhaustive agreement with the oracle ---

TEST(Utf8Oracle, AllOneAndTwoByteStrings) {
  for (int a = 0; a < 256; ++a) {
    ASSERT_EQ(is_valid_utf8(bytes({a})), oracle_valid(bytes({a}))) << a;
    for (int b = 0; b < 256; ++b) {
      ASSERT_EQ(is_valid_utf8(bytes({a, b})), oracle_valid(bytes({a, b}))) << a << " " << b;
    }
  }
}

TEST(Utf8Oracle, AllThreeByteStrings) {
  std::string s(3, '\0');
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) {
      for (int c = 0; c < 256; ++c) {
        s[0] = static_cast<char>(a);
        s[1] = static_cast<char>(b);
        s[2] = static_cast<char>(c);
        ASSERT_EQ(is_valid_utf8(s), oracle_valid(s)) << a << " " << b << " " << c;
      }
    }
  }
}

TEST(Utf8Oracle, FourByteStringsWithEveryLeadAndSecondByte) {
  const int tails[] = {0x00, 0x41, 0x7F, 0x80, 0x9F, 0xA0, 0xBF, 0xC0, 0xE0, 0xF0, 0xFF};
  std::string s(4, '\0');
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) {
      for (int c : tails) {
        for (int d : tails) {
          s[0] = static_cast<char>(a);
          s[1] = static_cast<char>(b);
          s[2] = static_cast<char>(c);
          s[3] = static_cast<char>(d);
          ASSERT_EQ(is_valid_utf8(s), oracle_valid(s)) << a << " " << b << " " << c << " " << d;
        }
      }
    }
  }
}

TEST(Utf8Oracle, RandomMixedStrings) {
  // Long strings mixing ASCII runs (fast path) with bytes that are each interesting to the slow
  // path.
  const int interesting[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0,
                             0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xEC,
                             0xED, 0xEE, 0xEF, 0xF0, 0xF3, 0xF4, 0xF5, 0xFF};
  std::mt19937 rng(20240607);
  std::uniform_int_distribution<int> pick(0, static_cast<int>(std::size(interesting)) - 1);
  std::uniform_int_distribution<int> run(0, 20);
  std::uniform_int_distribution<int> length(1, 60);
  int valid = 0;
  for (int round = 0; round < 200'000; ++round) {
    std::string s;
    const int target = length(rng);
    while (static_cast<int>(s.size()) < target) {
      if (rng() % 4 == 0) {
        s.append(static_cast<size_t>(run(rng)), 'j');
      } else if (rng() % 2 == 0) {
        s += encode(static_cast<uint32_t>(rng() % 0x110000));
      } else {
        s.push_back(static_cast<char>(interesting[pick(rng)]));
      }
    }
    const bool expected = oracle_valid(s);
    valid += expected;
    ASSERT_EQ(is_valid_utf8(s), expected) << round;
  }
  EXPECT_GT(valid, 1000);  // both outcomes are well represented
  EXPECT_LT(valid, 199'000);
}

}  // namespace
}  // namespace flake
