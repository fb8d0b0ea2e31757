// The console: counts in words, the locale that decides between UTF-8 and ASCII marks, and what
// each mode prints for every outcome.
#include "conformance/harness/report/report.hpp"
#include "conformance/harness/report/text.hpp"
#include "conformance/harness/runner.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace flake::conform {
namespace {

TEST(Counted, AgreesInNumber) {
  EXPECT_EQ(counted(0, "case"), "0 cases");
  EXPECT_EQ(counted(1, "case"), "1 case");
  EXPECT_EQ(counted(2, "case"), "2 cases");
  EXPECT_EQ(counted(1, "unexpected pass", "unexpected passes"), "1 unexpected pass");
  EXPECT_EQ(counted(3, "unexpected pass", "unexpected passes"), "3 unexpected passes");
}

TEST(Locale, TheFirstSetVariableDecides) {
  EXPECT_TRUE(locale_is_utf8(nullptr, nullptr, "en_US.UTF-8"));
  EXPECT_TRUE(locale_is_utf8(nullptr, nullptr, "C.utf8"));
  EXPECT_TRUE(locale_is_utf8(nullptr, nullptr, "de_DE.Utf-8@euro"));
  EXPECT_TRUE(locale_is_utf8(nullptr, "C.UTF-8", "C"));
  EXPECT_FALSE(locale_is_utf8("C", nullptr, "en_US.UTF-8"));  // LC_ALL wins
  EXPECT_FALSE(locale_is_utf8(nullptr, "POSIX", "C.UTF-8"));  // then LC_CTYPE
  EXPECT_TRUE(locale_is_utf8("", "", "C.UTF-8"));             // empty is unset
  EXPECT_FALSE(locale_is_utf8(nullptr, nullptr, "en_US.ISO-8859-1"));
  EXPECT_FALSE(locale_is_utf8(nullptr, nullptr, nullptr));  // the POSIX locale
}

// What `print` writes to a ConsoleReport with `flags`.
std::string console_text(ConsoleFlags flags, const std::function<void(ConsoleReport&)>& print) {
  std::FILE* file = std::tmpfile();
  EXPECT_NE(file, nullptr);
  {
    ConsoleReport console(file, flags);
    print(console);
  }
  std::fflush(file);
  std::rewind(file);
  std::string text;
  for (int ch = std::fgetc(file); ch != EOF; ch = std::fgetc(file))
    text.push_back(static_cast<char>(ch));
  std::fclose(file);
  return text;
}

struct Sample {
  std::vector<Case> cases;
  std::vector<CaseResult> results;
};

// One result of each outcome, with ASCII requirements so that the marks alone decide the charset.
Sample sample() {
  Sample s;
  s.cases = {Case{.id = "3.8/1", .requirement = "Passes.", .rules = {"3.8b"}},
             Case{.id = "3.8/2", .requirement = "Fails.", .rules = {"3.8c", "3.9a"}},
             Case{.id = "3.8/3", .requirement = "Lacks.", .rules = {"3.8d"}},
             Case{.id = "3.8/4", .tier = Tier::Should, .requirement = "Skips.", .rules = {"3.8e"}}};
  const Outcome outcomes[] = {pass("measured"), fail("this", "that"), unimplemented("-32601"),
                              skipped("not here")};
  for (std::size_t i = 0; i < s.cases.size(); ++i) {
    CaseResult r;
    r.c = &s.cases[i];
    r.outcome = outcomes[i];
    s.results.push_back(r);
  }
  return s;
}

std::string run_text(ConsoleFlags flags, const Sample& s) {
  return console_text(flags, [&](ConsoleReport& console) {
    for (std::size_t i = 0; i < s.results.size(); ++i) {
      console.case_started(*s.results[i].c, i, s.results.size());
      console.case_finished(s.results[i], i, s.results.size());
    }
    console.failures(s.results);
    console.summary(tally(s.results), std::chrono::milliseconds(1200));
  });
}

bool ascii(const std::string& text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

TEST(Console, AsciiMarksOutsideUtf8) {
  const Sample s = sample();
  const std::string text = run_text(ConsoleFlags(false, false, false), s);
  EXPECT_TRUE(ascii(text)) << text;
  for (const char* line :
       {"  ok   3.8/1 [MUST] Passes. (0 ms) -- measured\n", "  FAIL 3.8/2 [MUST] Fails. (0 ms)\n",
        "  !    3.8/3 [MUST] Lacks. (0 ms) -- unimplemented: -32601\n",
        "  -    3.8/4 [SHOULD] Skips. (0 ms) -- skipped: not here\n",
        "    rules:       3.8c, 3.9a\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "in\n" << text;
  }
}

TEST(Console, Utf8MarksInAUtf8Locale) {
  const Sample s = sample();
  const std::string text = run_text(ConsoleFlags(false, false, true), s);
  for (const char* line :
       {"  \u2714 3.8/1 [MUST] Passes. (0 ms) \u2014 measured\n",
        "  \u00d7 3.8/2 [MUST] Fails. (0 ms)\n", "  ! 3.8/3 [MUST] Lacks.",
        "  - 3.8/4 [SHOULD] Skips.", "    rules:       \u00a73.8c, \u00a73.9a\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << " in\n" << text;
  }
}

TEST(Console, TheProgressLineFollowsTheCharsetToo) {
  const Sample s = sample();
  const std::string ascii_text = run_text(ConsoleFlags(false, true, false), s);
  EXPECT_TRUE(ascii(ascii_text));
  EXPECT_NE(ascii_text.find("  ... [1/4] 3.8/1 Passes.\r"), std::string::npos) << ascii_text;
  EXPECT_NE(run_text(ConsoleFlags(false, true, true), s).find("  \u2026 [1/4] 3.8/1"),
            std::string::npos);
}

TEST(Console, CountsAgreeInNumber) {
  Tally one;
  one.failed = 1;
  one.should_failures = 1;
  one.expected_failures = 1;
  one.unexpected_passes = 1;
  const std::string text = console_text(ConsoleFlags(false, false, true), [&](ConsoleReport& c) {
    c.summary(one, std::chrono::milliseconds(0));
  });
  EXPECT_NE(text.find("1 expected failure, 1 unexpected pass\n"), std::string::npos) << text;
  EXPECT_NE(text.find("1 failure in the SHOULD tier"), std::string::npos) << text;
  Tally two = one;
  two.failed = two.should_failures = two.expected_failures = two.unexpected_passes = 2;
  const std::string text2 = console_text(ConsoleFlags(false, false, true), [&](ConsoleReport& c) {
    c.summary(two, std::chrono::milliseconds(0));
  });
  EXPECT_NE(text2.find("2 expected failures, 2 unexpected passes\n"), std::string::npos) << text2;
  EXPECT_NE(text2.find("2 failures in the SHOULD tier"), std::string::npos) << text2;

  CaseResult dropped;
  const Case c{.id = "3.8/1", .requirement = "Passes."};
  dropped.c = &c;
  dropped.wire_dropped = 1;
  const std::string verbose = console_text(
      ConsoleFlags(true, false, true), [&](ConsoleReport& r) { r.case_finished(dropped, 0, 1); });
  EXPECT_NE(verbose.find("... 1 more line\n"), std::string::npos) << verbose;
}

TEST(Console, TheListCountsInWords) {
  const Case c{.id = "3.8/1", .requirement = "Passes."};
  std::FILE* file = std::tmpfile();
  ASSERT_NE(file, nullptr);
  print_list(file, {&c});
  std::rewind(file);
  std::string text;
  for (int ch = std::fgetc(file); ch != EOF; ch = std::fgetc(file))
    text.push_back(static_cast<char>(ch));
  std::fclose(file);
  EXPECT_TRUE(text.ends_with("\n1 case\n")) << text;
}

}  // namespace
}  // namespace flake::conform
