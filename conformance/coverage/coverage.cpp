// Builds and prints the traceability matrix from the spec's rules and the catalogues.
#include "conformance/coverage/coverage.hpp"

#include "conformance/harness/report/text.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace flake::conform {
namespace {

// "2.9/1@msgpack" -> "2.9/1": a path-generic case is one check of its rules on every path.
std::string rule_level_id(const Case& c) {
  return c.rule_id.empty() ? c.id : c.rule_id;
}

std::string escape_cell(std::string_view text) {
  std::string out;
  for (const char ch : text) {
    if (ch == '|') out += '\\';
    out += ch;
  }
  return out;
}

std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (const std::string& s : items) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

}  // namespace

Coverage build_coverage(const SpecRules& spec, std::span<const Catalog* const> catalogs) {
  Coverage cov;
  cov.problems = spec.errors;
  std::map<std::string, std::set<std::string, decltype(&id_less)>> cases_of;
  std::map<std::string, const Explanation*> reason_of;
  std::set<std::string> known;
  for (const SpecRule& r : spec.rules) known.insert(r.id);

  for (const Catalog* catalog : catalogs) {
    std::set<std::string> reported;  // one problem per rule-level case, not per path cell
    for (const Case& c : catalog->cases()) {
      const std::string id = rule_level_id(c);
      if (c.rules.empty() && reported.insert(id).second) {
        cov.problems.push_back("case " + id + " names no rule it checks");
      }
      for (const std::string& rule : c.rules) {
        if (!known.contains(rule)) {
          if (reported.insert(id + " " + rule).second) {
            cov.problems.push_back("case " + id + " names " + rule +
                                   ", which is no rule ID of the spec");
          }
          continue;
        }
        cases_of.try_emplace(rule, &id_less).first->second.insert(id);
      }
    }
    for (const Explanation& e : catalog->explanations()) {
      if (!known.contains(e.rule)) {
        cov.problems.push_back("a reason is given for " + e.rule +
                               ", which is no rule ID of the spec");
      } else if (reason_of.contains(e.rule)) {
        cov.problems.push_back("two reasons are given for " + e.rule);
      } else if (e.reason.empty()) {
        cov.problems.push_back("the reason given for " + e.rule + " is empty");
      } else {
        reason_of[e.rule] = &e;
      }
    }
  }

  for (const SpecRule& r : spec.rules) {
    RuleCoverage row;
    row.rule = &r;
    if (auto it = cases_of.find(r.id); it != cases_of.end()) {
      row.cases.assign(it->second.begin(), it->second.end());
    }
    if (auto it = reason_of.find(r.id); it != reason_of.end()) row.explanation = it->second;
    if (row.cases.empty() && !row.explanation) {
      cov.problems.push_back("§" + r.id + " (line " + std::to_string(r.line) + ", " + r.keyword +
                             ") has no case and no reason");
    } else if (!row.cases.empty() && row.explanation) {
      cov.problems.push_back("§" + r.id + " has cases (" + join(row.cases, ", ") +
                             ") and also a reason; drop the reason");
    }
    cov.rows.push_back(std::move(row));
  }
  return cov;
}

CoverageCounts count(const Coverage& coverage) {
  CoverageCounts n;
  for (const RuleCoverage& row : coverage.rows) {
    ++n.rules;
    if (!row.cases.empty()) {
      ++n.checked;
    } else if (!row.explanation) {
      ++n.unexplained;
    } else if (row.explanation->why == Why::Untestable) {
      ++n.untestable;
    } else if (row.explanation->why == Why::Contract) {
      ++n.contract;
    } else {
      ++n.gap;
    }
  }
  return n;
}

void print_coverage(std::FILE* out, const Coverage& coverage) {
  for (const RuleCoverage& row : coverage.rows) {
    std::string what;
    if (!row.cases.empty()) {
      what = join(row.cases, " ");
    } else if (row.explanation) {
      what = std::string(to_string(row.explanation->why)) + ": " + row.explanation->reason;
    } else {
      what = "(neither a case nor a reason)";
    }
    std::fprintf(out, "%-7s %-10s %s\n", row.rule->id.c_str(), row.rule->keyword.c_str(),
                 what.c_str());
  }
  const CoverageCounts n = count(coverage);
  std::fprintf(out,
               "\n%s: %zu checked by cases, %zu untestable, %zu binding the suite or driver, "
               "%zu not yet checked (gap), %zu with neither a case nor a reason\n",
               counted(n.rules, "rule").c_str(), n.checked, n.untestable, n.contract, n.gap,
               n.unexplained);
  for (const std::string& p : coverage.problems) std::fprintf(out, "problem: %s\n", p.c_str());
}

std::string coverage_markdown(const SpecRules& spec, const Coverage& coverage,
                              std::string_view spec_link) {
  const CoverageCounts n = count(coverage);
  std::string md;
  md += "# Coverage of docs/protocol.md\n\n";
  md +=
      "Generated by `flake-conform --coverage-markdown docs/coverage.md`; the ctest "
      "`conformance.coverage` fails when this page is out of date or when a rule has neither a "
      "case nor a reason.\n\n";
  md +=
      "Every bullet of the spec that contains **MUST**, **MUST NOT**, **SHOULD** or **SHOULD "
      "NOT** carries a rule ID (`[2.9a]`). Each rule is listed below with the cases that check "
      "it (sidecar cases `N.M/k`, client cases `C<N.M>/k`) or with the reason no case does:\n\n";
  md += "- *untestable*: the rule cannot be observed from outside the implementation;\n";
  md +=
      "- *contract*: the rule binds the suite or the client's test driver (§11.7, §13), which "
      "every run exercises;\n";
  md +=
      "- *gap*: the rule is testable and no case checks it yet; the reason says what a case "
      "needs.\n\n";
  md += "| rules | checked by cases | untestable | contract | gap |\n|---|---|---|---|---|\n";
  md += "| " + std::to_string(n.rules) + " | " + std::to_string(n.checked) + " | " +
        std::to_string(n.untestable) + " | " + std::to_string(n.contract) + " | " +
        std::to_string(n.gap) + " |\n";
  std::string section;
  for (const RuleCoverage& row : coverage.rows) {
    const SpecRule& r = *row.rule;
    if (r.section != section) {
      section = r.section;
      const auto h = spec.headings.find(section);
      const std::string heading = h == spec.headings.end() ? section : h->second;
      md += "\n## [" + heading + "](" + std::string(spec_link) + "#" + heading_anchor(heading) +
            ")\n\n";
      md += "| rule | | text | checked by |\n|---|---|---|---|\n";
    }
    std::string by;
    if (!row.cases.empty()) {
      by = join(row.cases, ", ");
    } else if (row.explanation) {
      by = "*" + std::string(to_string(row.explanation->why)) + "*: " + row.explanation->reason;
    } else {
      by = "**none**";
    }
    md += "| " + r.id + " | " + r.keyword + " | " + escape_cell(r.text) + " | " + escape_cell(by) +
          " |\n";
  }
  return md;
}

}  // namespace flake::conform
