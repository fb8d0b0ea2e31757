// The spec reader: rule IDs, continuation lines, keywords, and every way the tags can be unsound.
#include "conformance/coverage/spec_rules.hpp"
#include "conformance/coverage/embedded_spec.hpp"

#include <gtest/gtest.h>

#include <set>

namespace flake::conform {
namespace {

bool has_error(const SpecRules& spec, std::string_view needle) {
  for (const std::string& e : spec.errors) {
    if (e.find(needle) != std::string::npos) return true;
  }
  return false;
}

TEST(SpecRules, ReadsTaggedBulletsWithTheirContinuationLines) {
  const SpecRules spec = parse_spec_rules(
      "# Title\n\n### 2.9 Message size limit\n\n"
      "- Plain text, no keyword.\n"
      "- [2.9a] When a message is larger, the sidecar **MUST** close\n"
      "  the connection with 1009.\n"
      "- [2.9b] The sidecar **SHOULD NOT** buffer.\n"
      "- The sidecar **MAY** log.\n\n"
      "### 4.6 auth.authenticate\n\n"
      "- [4.6a] Client: a client **MUST** ignore unknown members.\n");
  EXPECT_TRUE(spec.errors.empty()) << spec.errors.front();
  ASSERT_EQ(spec.rules.size(), 3u);
  EXPECT_EQ(spec.rules[0].id, "2.9a");
  EXPECT_EQ(spec.rules[0].section, "2.9");
  EXPECT_EQ(spec.rules[0].keyword, "MUST");
  EXPECT_EQ(spec.rules[0].text,
            "When a message is larger, the sidecar **MUST** close the connection with 1009.");
  EXPECT_EQ(spec.rules[0].line, 6u);
  EXPECT_FALSE(spec.rules[0].client);
  EXPECT_EQ(spec.rules[1].keyword, "SHOULD NOT");
  EXPECT_TRUE(spec.rules[2].client);
  EXPECT_EQ(spec.headings.at("2.9"), "2.9 Message size limit");
}

TEST(SpecRules, AnUntaggedNormativeBulletIsAnErrorNamingTheNextFreeId) {
  const SpecRules spec = parse_spec_rules(
      "### 3.4 Batches\n\n- [3.4a] One **MUST**.\n- [3.4c] Two **MUST**.\n"
      "- Three **MUST NOT** go untagged.\n");
  ASSERT_EQ(spec.errors.size(), 1u);
  EXPECT_TRUE(has_error(spec, "line 5:")) << spec.errors.front();
  EXPECT_TRUE(has_error(spec, "next free one is [3.4d]")) << spec.errors.front();
}

TEST(SpecRules, UnsoundTagsAreErrors) {
  EXPECT_TRUE(has_error(parse_spec_rules("### 3.4 B\n\n- [3.5a] x **MUST**.\n"), "not of §3.4"));
  EXPECT_TRUE(has_error(
      parse_spec_rules("### 3.4 B\n\n- [3.4a] x **MUST**.\n- [3.4a] y **MUST**.\n"), "used twice"));
  EXPECT_TRUE(has_error(parse_spec_rules("### 3.4 B\n\n- [3.4a] only **MAY**.\n"),
                        "without **MUST** or **SHOULD**"));
  EXPECT_TRUE(has_error(parse_spec_rules("### 1.9 Ref (informative)\n\n- [1.9a] x **MUST**.\n"),
                        "outside a normative numbered subsection"));
  EXPECT_TRUE(has_error(parse_spec_rules("## 3 JSON-RPC\n\n- [3.1a] x **MUST**.\n"),
                        "outside a normative numbered subsection"));
}

TEST(SpecRules, InformativeSubsectionsAndCodeBlocksHoldNoRules) {
  const SpecRules spec = parse_spec_rules(
      "### 1.9 Reference (informative)\n\n- The reference **MUST** nothing here.\n\n"
      "### 2.1 Messages\n\n```\n- not a bullet **MUST**\n```\n");
  EXPECT_TRUE(spec.errors.empty());
  EXPECT_TRUE(spec.rules.empty());
}

TEST(SpecRules, NextRuleIdCountsLettersPastZ) {
  SpecRules spec;
  EXPECT_EQ(next_rule_id(spec, "2.9"), "2.9a");
  spec.rules.push_back({.id = "2.9z", .section = "2.9"});
  spec.rules.push_back({.id = "2.9b", .section = "2.9"});
  EXPECT_EQ(next_rule_id(spec, "2.9"), "2.9aa");
  spec.rules.push_back({.id = "2.9az", .section = "2.9"});
  EXPECT_EQ(next_rule_id(spec, "2.9"), "2.9ba");
}

TEST(SpecRules, RuleIdShape) {
  EXPECT_TRUE(is_rule_id("2.9a"));
  EXPECT_TRUE(is_rule_id("13.4ab"));
  EXPECT_FALSE(is_rule_id("2.9"));
  EXPECT_FALSE(is_rule_id("2.9/1"));
  EXPECT_FALSE(is_rule_id("2.9A"));
  EXPECT_FALSE(is_rule_id("x2.9a"));
}

TEST(SpecRules, HeadingAnchorsAsGitHubMakesThem) {
  EXPECT_EQ(heading_anchor("2.9 Message size limit"), "29-message-size-limit");
  EXPECT_EQ(heading_anchor("7.3 session.resume: success"), "73-sessionresume-success");
  EXPECT_EQ(heading_anchor("5.10 metrics.subscribe and deployments.subscribe"),
            "510-metricssubscribe-and-deploymentssubscribe");
}

// The spec built into the binary is the checked-in docs/protocol.md: its tags are sound and every
// subsection's letters run without repeats.
TEST(SpecRules, TheBuiltInSpecIsSound) {
  const SpecRules spec = parse_spec_rules(embedded_spec());
  EXPECT_TRUE(spec.errors.empty()) << spec.errors.front();
  EXPECT_GT(spec.rules.size(), 400u);
  std::set<std::string> ids;
  for (const SpecRule& r : spec.rules) EXPECT_TRUE(ids.insert(r.id).second) << r.id;
}

}  // namespace
}  // namespace flake::conform
