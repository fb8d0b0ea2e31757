// Tests for token sourcing (file, environment, generated) and token comparison.
#include "reference/state/token.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

namespace flake {
namespace {

namespace fs = std::filesystem;

class TokenFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("flake-token-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& contents) {
    const fs::path path = dir_ / name;
    std::ofstream out(path, std::ios::binary);
    out << contents;
    return path.string();
  }

  fs::path dir_;
};

bool is_lower_hex(const std::string& s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

TEST_F(TokenFile, ReadsTheFileAndStripsOneLf) {
  TokenResult r = resolve_token(write("t", "s3cret\n"), nullptr);
  EXPECT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(r.token, "s3cret");
  EXPECT_FALSE(r.generated);
}

TEST_F(TokenFile, StripsOneCrLf) {
  EXPECT_EQ(resolve_token(write("t", "s3cret\r\n"), nullptr).token, "s3cret");
}

TEST_F(TokenFile, NoNewlineIsTakenAsIs) {
  EXPECT_EQ(resolve_token(write("t", "s3cret"), nullptr).token, "s3cret");
}

TEST_F(TokenFile, SurroundingWhitespaceIsTrimmed) {
  EXPECT_EQ(resolve_token(write("t", "s3cret\n\n"), nullptr).token, "s3cret");
  EXPECT_EQ(resolve_token(write("t", "s3cret\r\n\r\n"), nullptr).token, "s3cret");
  EXPECT_EQ(resolve_token(write("t", "s3cret\r"), nullptr).token, "s3cret");
  EXPECT_EQ(resolve_token(write("t", "  \ts3cret \n"), nullptr).token, "s3cret");
  // Inner bytes are the token's own: only the ends are trimmed.
  EXPECT_EQ(resolve_token(write("t", " a b \n"), nullptr).token, "a b");
}

TEST_F(TokenFile, BinaryContentIsKept) {
  const std::string raw("a\0b\xff", 4);
  EXPECT_EQ(resolve_token(write("t", raw + "\n"), nullptr).token, raw);
}

TEST_F(TokenFile, FileWinsOverEnvironment) {
  TokenResult r = resolve_token(write("t", "from-file\n"), "from-env");
  EXPECT_EQ(r.token, "from-file");
  EXPECT_FALSE(r.generated);
}

TEST_F(TokenFile, EmptyFileIsAnErrorNamingThePath) {
  for (const char* contents : {"", "\n", "\r\n"}) {
    const std::string path = write("empty", contents);
    TokenResult r = resolve_token(path, "from-env");  // a broken file never falls back to the env
    EXPECT_FALSE(r.error.empty());
    EXPECT_NE(r.error.find(path), std::string::npos) << r.error;
    EXPECT_TRUE(r.token.empty());
    EXPECT_FALSE(r.generated);
  }
}

TEST_F(TokenFile, MissingFileIsAnErrorNamingThePath) {
  const std::string path = (dir_ / "does-not-exist").string();
  TokenResult r = resolve_token(path, nullptr);
  EXPECT_NE(r.error.find(path), std::string::npos) << r.error;
  EXPECT_TRUE(r.token.empty());
}

TEST_F(TokenFile, DirectoryIsAnErrorNamingThePath) {
  TokenResult r = resolve_token(dir_.string(), nullptr);
  EXPECT_NE(r.error.find(dir_.string()), std::string::npos) << r.error;
  EXPECT_TRUE(r.token.empty());
}

TEST_F(TokenFile, UnreadableFileIsAnError) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads files regardless of their mode";
  const std::string path = write("locked", "secret\n");
  fs::permissions(path, fs::perms::none);
  TokenResult r = resolve_token(path, nullptr);
  EXPECT_NE(r.error.find(path), std::string::npos) << r.error;
  EXPECT_TRUE(r.token.empty());
}

TEST_F(TokenFile, ErrorsNeverContainTheContents) {
  const std::string secret(70 * 1024,
                           'Q');  // over the size bound: an error after reading the bytes
  const std::string path = write("big", secret);
  TokenResult r = resolve_token(path, nullptr);
  ASSERT_FALSE(r.error.empty());
  EXPECT_NE(r.error.find(path), std::string::npos) << r.error;
  EXPECT_EQ(r.error.find("QQQQ"), std::string::npos) << r.error;
  EXPECT_TRUE(r.token.empty());
}

TEST_F(TokenFile, LargestAcceptedFile) {
  const std::string token(64 * 1024, 'k');
  EXPECT_EQ(resolve_token(write("max", token), nullptr).token, token);
  // The bound is on the raw file, newline included.
  EXPECT_FALSE(resolve_token(write("max-nl", token + "\n"), nullptr).error.empty());
}

TEST(Token, EnvironmentIsUsedWithoutAFile) {
  TokenResult r = resolve_token(std::nullopt, "env-secret");
  EXPECT_TRUE(r.error.empty());
  EXPECT_EQ(r.token, "env-secret");
  EXPECT_FALSE(r.generated);
}

TEST(Token, EmptyEnvironmentCountsAsUnset) {
  TokenResult r = resolve_token(std::nullopt, "");
  EXPECT_TRUE(r.error.empty());
  EXPECT_TRUE(r.generated);
  EXPECT_EQ(r.token.size(), 64u);
}

TEST(Token, GeneratedWhenNothingIsGiven) {
  TokenResult r = resolve_token(std::nullopt, nullptr);
  EXPECT_TRUE(r.error.empty());
  EXPECT_TRUE(r.generated);
  EXPECT_EQ(r.token.size(), 64u);
  EXPECT_TRUE(is_lower_hex(r.token)) << r.token;
}

TEST(Token, GeneratedTokensAreHexAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string t = generate_token();
    ASSERT_EQ(t.size(), 64u);
    ASSERT_TRUE(is_lower_hex(t)) << t;
    seen.insert(t);
  }
  EXPECT_EQ(seen.size(), 100u);
  EXPECT_EQ(random_hex(16).size(), 32u);
  EXPECT_EQ(random_hex(0), "");
}

TEST(Token, GeneratedTokensUseEveryHexDigit) {
  // 50 tokens are 3,200 digits: each of the 16 digits is missing with probability ~(15/16)^3200.
  std::set<char> digits;
  for (int i = 0; i < 50; ++i) {
    for (char c : generate_token()) digits.insert(c);
  }
  EXPECT_EQ(digits.size(), 16u);
}

TEST(Token, MatchesOnlyTheExactToken) {
  const std::string expected = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  EXPECT_TRUE(token_matches(expected, expected));
  EXPECT_TRUE(token_matches(expected, std::string(expected)));  // equal content, distinct storage
  std::string wrong = expected;
  for (size_t i = 0; i < expected.size(); ++i) {  // one wrong byte anywhere fails
    wrong[i] = wrong[i] == 'x' ? 'y' : 'x';
    EXPECT_FALSE(token_matches(expected, wrong)) << i;
    wrong[i] = expected[i];
  }
  EXPECT_FALSE(token_matches(expected, expected.substr(0, 63)));  // prefix
  EXPECT_FALSE(token_matches(expected, expected + "0"));          // extension
  EXPECT_FALSE(token_matches(expected, expected.substr(1)));      // shorter
  EXPECT_FALSE(token_matches(expected, ""));
  EXPECT_FALSE(token_matches(expected, std::string(1 << 20, 'a')));  // very long offer
  EXPECT_FALSE(
      token_matches(expected, "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"));
}

TEST(Token, EmptyExpectedMatchesNothing) {
  EXPECT_FALSE(token_matches("", ""));
  EXPECT_FALSE(token_matches("", "x"));
}

TEST(Token, EmbeddedNulBytesAreCompared) {
  const std::string a("ab\0cd", 5);
  const std::string b("ab\0ce", 5);
  EXPECT_TRUE(token_matches(a, a));
  EXPECT_FALSE(token_matches(a, b));
  EXPECT_FALSE(token_matches(a, "ab"));
}

}  // namespace
}  // namespace flake
