// The traceability matrix: every rule of docs/protocol.md mapped to the cases that check it or to
// the written reason no case does, built from the catalogues' declarations.
#pragma once

#include "conformance/coverage/spec_rules.hpp"
#include "conformance/harness/catalog.hpp"

#include <cstdio>
#include <span>
#include <string>
#include <vector>

namespace flake::conform {

struct RuleCoverage {
  const SpecRule* rule = nullptr;
  std::vector<std::string> cases;            // rule-level case IDs ("2.9/1", "C7.7/2"), sorted
  const Explanation* explanation = nullptr;  // set when no case checks the rule
};

struct Coverage {
  std::vector<RuleCoverage> rows;  // in the spec's order
  // Everything that makes the matrix unsound: the spec's tag errors, a rule with neither cases nor
  // a reason, a rule with both, a case or reason naming no known rule, a case naming no rule.
  std::vector<std::string> problems;
};

// `catalogs`: the sidecar catalogue and the client catalogue. Path cells of one case count once.
Coverage build_coverage(const SpecRules& spec, std::span<const Catalog* const> catalogs);

struct CoverageCounts {
  std::size_t rules = 0;
  std::size_t checked = 0;
  std::size_t untestable = 0;
  std::size_t contract = 0;
  std::size_t gap = 0;
  std::size_t unexplained = 0;
};
CoverageCounts count(const Coverage& coverage);

// One line per rule ("2.9a  MUST      2.9/1 2.9/2"), then the counts and every problem.
void print_coverage(std::FILE* out, const Coverage& coverage);

// docs/coverage.md: per subsection, a table of rule, keyword, text and cases or reason; links go
// to `spec_link` (the spec's path relative to the page).
std::string coverage_markdown(const SpecRules& spec, const Coverage& coverage,
                              std::string_view spec_link);

}  // namespace flake::conform
