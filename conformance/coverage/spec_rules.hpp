// The normative bullets of docs/protocol.md and their rule IDs ("[2.9a]"), read from the spec's
// Markdown: what the coverage matrix maps to cases.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace flake::conform {

struct SpecRule {
  std::string id;        // "2.9a"
  std::string section;   // "2.9"
  std::string keyword;   // the first bold keyword: "MUST", "MUST NOT", "SHOULD" or "SHOULD NOT"
  bool client = false;   // binds a client or its test driver ("Client:", §13), not the sidecar
  std::string text;      // the bullet without its tag, continuation lines joined by one space
  std::size_t line = 0;  // 1-based line of the bullet in the Markdown
};

struct SpecRules {
  std::vector<SpecRule> rules;                  // in document order
  std::map<std::string, std::string> headings;  // "2.9" -> "2.9 Message size limit"
  std::vector<std::string> errors;              // "line 524: ..."; empty when the tags are sound
};

// Reads every bullet of every numbered subsection. A bullet with a bold MUST or SHOULD must open
// with "[<section><letters>] "; errors name the line and, for an untagged bullet, the next free
// rule ID of its subsection. Subsections marked "(informative)" hold no rule.
SpecRules parse_spec_rules(std::string_view markdown);

// The rule ID after the last one used in `section` ("2.9" with a, b, c used -> "2.9d"; z -> aa).
std::string next_rule_id(const SpecRules& spec, std::string_view section);

// True when `id` has the form of a rule ID ("2.9a", "13.4b").
bool is_rule_id(std::string_view id);

// The Markdown heading anchor GitHub gives "### 2.9 Message size limit": "29-message-size-limit".
std::string heading_anchor(std::string_view heading_text);

}  // namespace flake::conform
