// The traceability matrix: cases and reasons mapped to rules, path cells counted once, and every
// problem that must fail the coverage check.
#include "conformance/coverage/coverage.hpp"

#include <gtest/gtest.h>

namespace flake::conform {
namespace {

const char* const kSpec =
    "### 3.4 Batches\n\n"
    "- [3.4a] The sidecar **MUST** answer | with pipes.\n"
    "- [3.4b] The sidecar **SHOULD** do more.\n"
    "- [3.4c] The sidecar **MUST NOT** log the token.\n";

Case make_case(std::string id, std::vector<std::string> rules, std::vector<Path> paths = {}) {
  Case c;
  c.id = std::move(id);
  c.requirement = "r.";
  c.rules = std::move(rules);
  c.paths = std::move(paths);
  c.run = [](CaseContext&) { return pass(); };
  return c;
}

bool has_problem(const Coverage& cov, std::string_view needle) {
  for (const std::string& p : cov.problems) {
    if (p.find(needle) != std::string::npos) return true;
  }
  return false;
}

Coverage cover(const Catalog& a, const Catalog& b) {
  static const SpecRules spec = parse_spec_rules(kSpec);
  const Catalog* catalogs[] = {&a, &b};
  return build_coverage(spec, catalogs);
}

TEST(Coverage, MapsCasesOfBothCatalogsAndReasons) {
  Catalog sidecar;
  sidecar.add(make_case("3.4/2", {"3.4a"}, {Path::Text, Path::MsgPack, Path::Http}));
  sidecar.add(make_case("3.4/1", {"3.4a", "3.4b"}));
  sidecar.explain({.rule = "3.4c", .why = Why::Untestable, .reason = "Logs are not visible."});
  Catalog client;
  client.add(make_case("C3.4/1", {"3.4b"}));
  const Coverage cov = cover(sidecar, client);
  EXPECT_TRUE(cov.problems.empty()) << cov.problems.front();
  ASSERT_EQ(cov.rows.size(), 3u);
  EXPECT_EQ(cov.rows[0].cases, (std::vector<std::string>{"3.4/1", "3.4/2"}));
  EXPECT_EQ(cov.rows[1].cases, (std::vector<std::string>{"3.4/1", "C3.4/1"}));
  ASSERT_NE(cov.rows[2].explanation, nullptr);
  EXPECT_EQ(cov.rows[2].explanation->why, Why::Untestable);
  const CoverageCounts n = count(cov);
  EXPECT_EQ(n.rules, 3u);
  EXPECT_EQ(n.checked, 2u);
  EXPECT_EQ(n.untestable, 1u);
  EXPECT_EQ(n.unexplained, 0u);
}

TEST(Coverage, EveryUnsoundDeclarationIsAProblem) {
  Catalog sidecar;
  sidecar.add(make_case("3.4/1", {"3.4a", "3.4z"}));
  sidecar.add(make_case("3.4/2", {}, {Path::Text, Path::MsgPack}));
  sidecar.explain({.rule = "3.4a", .why = Why::Gap, .reason = "Needs a second sidecar."});
  sidecar.explain({.rule = "9.9a", .why = Why::Gap, .reason = "x"});
  sidecar.explain({.rule = "3.4b", .why = Why::Gap, .reason = ""});
  const Catalog client;
  const Coverage cov = cover(sidecar, client);
  EXPECT_TRUE(has_problem(cov, "3.4z, which is no rule ID"));
  EXPECT_TRUE(has_problem(cov, "case 3.4/2 names no rule"));
  EXPECT_TRUE(has_problem(cov, "§3.4a has cases (3.4/1) and also a reason"));
  EXPECT_TRUE(has_problem(cov, "given for 9.9a, which is no rule ID"));
  EXPECT_TRUE(has_problem(cov, "for 3.4b is empty"));
  EXPECT_TRUE(has_problem(cov, "§3.4c (line 5, MUST NOT) has no case and no reason"));
  // One problem per case, not one per path cell.
  std::size_t named_none = 0;
  for (const std::string& p : cov.problems) named_none += p.find("3.4/2 names no") != p.npos;
  EXPECT_EQ(named_none, 1u);
  EXPECT_EQ(count(cov).unexplained, 2u);
}

TEST(Coverage, MarkdownLinksSubsectionsAndEscapesPipes) {
  Catalog sidecar;
  sidecar.add(make_case("3.4/1", {"3.4a", "3.4b"}));
  sidecar.explain({.rule = "3.4c", .why = Why::Untestable, .reason = "Logs are not visible."});
  const Catalog client;
  const SpecRules spec = parse_spec_rules(kSpec);
  const Catalog* catalogs[] = {&sidecar, &client};
  const std::string md = coverage_markdown(spec, build_coverage(spec, catalogs), "protocol.md");
  EXPECT_NE(md.find("## [3.4 Batches](protocol.md#34-batches)"), std::string::npos) << md;
  EXPECT_NE(md.find("| 3.4a | MUST | The sidecar **MUST** answer \\| with pipes. | 3.4/1 |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| 3.4c | MUST NOT | The sidecar **MUST NOT** log the token. | *untestable*: "
                    "Logs are not visible. |"),
            std::string::npos)
      << md;
}

}  // namespace
}  // namespace flake::conform
