// Reads rule IDs and normative bullets out of docs/protocol.md's Markdown, line by line.
#include "conformance/coverage/spec_rules.hpp"

#include <algorithm>
#include <cctype>
#include <set>

namespace flake::conform {
namespace {

struct Bullet {
  std::size_t line = 0;
  std::string text;
};

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// "### 2.9 Message size limit" -> "2.9"; empty for any other line.
std::string subsection_number(std::string_view line) {
  if (!starts_with(line, "### ")) return {};
  std::string_view rest = line.substr(4);
  std::size_t i = 0;
  bool dot = false;
  while (i < rest.size() && (std::isdigit(static_cast<unsigned char>(rest[i])) || rest[i] == '.')) {
    dot = dot || rest[i] == '.';
    ++i;
  }
  if (!dot || i == 0 || rest[i - 1] == '.' || i >= rest.size() || rest[i] != ' ') return {};
  return std::string(rest.substr(0, i));
}

// Letters compare as a, b, ..., z, aa, ab, ...
bool letters_less(std::string_view a, std::string_view b) {
  return a.size() != b.size() ? a.size() < b.size() : a < b;
}

std::string letters_after(std::string_view last) {
  if (last.empty()) return "a";
  std::string s(last);
  for (std::size_t i = s.size(); i-- > 0;) {
    if (s[i] != 'z') {
      ++s[i];
      return s;
    }
    s[i] = 'a';
  }
  return "a" + s;
}

// The first bold keyword of a bullet, longest form first at each position.
std::string first_keyword(std::string_view text) {
  std::size_t best = std::string_view::npos;
  std::string found;
  for (std::string_view k : {"**MUST NOT**", "**MUST**", "**SHOULD NOT**", "**SHOULD**"}) {
    const std::size_t at = text.find(k);
    if (at != std::string_view::npos &&
        (at < best || (at == best && k.size() - 4 > found.size()))) {
      best = at;
      found = std::string(k.substr(2, k.size() - 4));
    }
  }
  return found;
}

bool binds_client(std::string_view section, std::string_view text) {
  return starts_with(section, "13.") || starts_with(text, "Client:") ||
         text.find("Clients **MUST") != std::string_view::npos ||
         text.find("a client **MUST") != std::string_view::npos ||
         text.find("A client **MUST") != std::string_view::npos;
}

std::string letters_of(std::string_view id, std::string_view section) {
  return std::string(id.substr(section.size()));
}

}  // namespace

bool is_rule_id(std::string_view id) {
  std::size_t i = 0;
  auto digits = [&] {
    const std::size_t from = i;
    while (i < id.size() && std::isdigit(static_cast<unsigned char>(id[i]))) ++i;
    return i > from;
  };
  if (!digits() || i >= id.size() || id[i] != '.') return false;
  ++i;
  if (!digits()) return false;
  const std::size_t from = i;
  while (i < id.size() && id[i] >= 'a' && id[i] <= 'z') ++i;
  return i > from && i == id.size();
}

SpecRules parse_spec_rules(std::string_view markdown) {
  SpecRules spec;
  std::set<std::string> seen;
  std::string section;
  bool informative = false;
  bool fenced = false;
  std::vector<std::pair<std::string, Bullet>> bullets;  // (section, bullet)
  std::vector<bool> bullet_informative;
  bool in_bullet = false;

  std::size_t line_no = 0;
  std::size_t pos = 0;
  while (pos <= markdown.size()) {
    const std::size_t end = std::min(markdown.find('\n', pos), markdown.size());
    std::string_view line = markdown.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos = end + 1;
    ++line_no;
    if (starts_with(line, "```")) {
      fenced = !fenced;
      in_bullet = false;
      continue;
    }
    if (fenced) continue;
    if (starts_with(line, "#")) {
      in_bullet = false;
      section = subsection_number(line);
      informative = line.find("(informative)") != std::string_view::npos;
      if (!section.empty()) spec.headings[section] = std::string(line.substr(4));
      continue;
    }
    if (starts_with(line, "- ")) {
      bullets.push_back({section, Bullet{line_no, std::string(line.substr(2))}});
      bullet_informative.push_back(informative);
      in_bullet = true;
      continue;
    }
    if (in_bullet && starts_with(line, "  ") &&
        line.find_first_not_of(' ') != std::string_view::npos) {
      std::string_view rest = line.substr(line.find_first_not_of(' '));
      bullets.back().second.text += ' ';
      bullets.back().second.text += rest;
      continue;
    }
    in_bullet = false;
  }

  auto where = [](std::size_t line) { return "line " + std::to_string(line) + ": "; };
  std::vector<std::size_t> untagged;  // indexes into bullets, reported once every ID is known
  for (std::size_t i = 0; i < bullets.size(); ++i) {
    const auto& [sec, b] = bullets[i];
    std::string_view text = b.text;
    std::string tag;
    if (starts_with(text, "[")) {
      const std::size_t close = text.find("] ");
      if (close != std::string_view::npos && is_rule_id(text.substr(1, close - 1))) {
        tag = std::string(text.substr(1, close - 1));
        text.remove_prefix(close + 2);
      }
    }
    const std::string keyword = first_keyword(text);
    if (tag.empty()) {
      if (!keyword.empty() && !sec.empty() && !bullet_informative[i]) untagged.push_back(i);
      continue;
    }
    if (sec.empty() || bullet_informative[i]) {
      spec.errors.push_back(where(b.line) + "rule ID [" + tag +
                            "] outside a normative numbered subsection");
      continue;
    }
    if (tag.size() <= sec.size() || tag.compare(0, sec.size(), sec) != 0 ||
        !std::isalpha(static_cast<unsigned char>(tag[sec.size()]))) {
      spec.errors.push_back(where(b.line) + "rule ID [" + tag + "] is not of §" + sec);
      continue;
    }
    if (keyword.empty()) {
      spec.errors.push_back(where(b.line) + "rule ID [" + tag +
                            "] on a bullet without **MUST** or **SHOULD**");
      continue;
    }
    if (!seen.insert(tag).second) {
      spec.errors.push_back(where(b.line) + "rule ID [" + tag + "] is used twice");
      continue;
    }
    SpecRule r;
    r.id = tag;
    r.section = sec;
    r.keyword = keyword;
    r.client = binds_client(sec, text);
    r.text = std::string(text);
    r.line = b.line;
    spec.rules.push_back(std::move(r));
  }
  for (const std::size_t i : untagged) {
    const auto& [sec, b] = bullets[i];
    spec.errors.push_back(where(b.line) + "a bullet of §" + sec +
                          " with **MUST** or **SHOULD** has no rule ID; the next free one is [" +
                          next_rule_id(spec, sec) + "]");
  }
  return spec;
}

std::string next_rule_id(const SpecRules& spec, std::string_view section) {
  std::string last;
  for (const SpecRule& r : spec.rules) {
    if (r.section != section) continue;
    const std::string letters = letters_of(r.id, r.section);
    if (last.empty() || letters_less(last, letters)) last = letters;
  }
  return std::string(section) + letters_after(last);
}

std::string heading_anchor(std::string_view heading_text) {
  std::string out;
  for (const char ch : heading_text) {
    const auto u = static_cast<unsigned char>(ch);
    if (std::isalnum(u)) {
      out += static_cast<char>(std::tolower(u));
    } else if (ch == ' ' || ch == '-') {
      out += '-';
    } else if (ch == '_') {
      out += '_';
    }
  }
  return out;
}

}  // namespace flake::conform
