// Names, ordering and selection of catalogue entries.
#include "conformance/harness/catalog.hpp"

#include <algorithm>
#include <cctype>

namespace flake::conform {

std::string_view to_string(Tier tier) {
  switch (tier) {
    case Tier::Must:
      return "MUST";
    case Tier::Should:
      return "SHOULD";
    case Tier::Perf:
      return "PERF";
  }
  return "?";
}

const std::vector<Group>& all_groups() {
  static const std::vector<Group> groups = {
#define FLAKE_GROUP(enumerator, name) Group::enumerator,
#include "conformance/harness/groups.def"
#undef FLAKE_GROUP
  };
  return groups;
}

std::string_view to_string(Group group) {
  switch (group) {
#define FLAKE_GROUP(enumerator, name) \
  case Group::enumerator:             \
    return name;
#include "conformance/harness/groups.def"
#undef FLAKE_GROUP
  }
  return "?";
}

namespace {

// Which group each section of docs/protocol.md belongs to; the longest matching prefix wins. A case
// whose group differs from its section's names it in its declaration.
struct SectionGroup {
  std::string_view section;
  Group group;
};
constexpr SectionGroup kSectionGroups[] = {
    {"1", Group::Core},
    {"1.4", Group::Rest},
    {"1.7", Group::Framing},
    {"2", Group::Framing},
    {"2.3", Group::MsgPack},
    {"2.4", Group::MsgPack},
    {"2.8", Group::Core},
    {"3", Group::Core},
    {"4", Group::Auth},
    {"4.2", Group::Security},
    {"4.3", Group::Security},
    {"4.4", Group::Security},
    {"4.10", Group::Rest},
    {"4.11", Group::Sse},
    {"5", Group::Core},
    {"5.9", Group::Notifications},
    {"5.10", Group::Notifications},
    {"5.11", Group::Notifications},
    {"5.12", Group::LargeData},
    {"5.13", Group::Resume},
    {"6", Group::Notifications},
    {"6.7", Group::LargeData},
    {"6.8", Group::LargeData},
    {"6.9", Group::LargeData},
    {"6.10", Group::LargeData},
    {"7", Group::Reconnection},
    {"7.3", Group::Resume},
    {"7.4", Group::Resume},
    {"7.5", Group::Resume},
    {"8", Group::Security},
    {"9", Group::Rest},
    {"9.12", Group::Sse},
    {"9.13", Group::Sse},
    {"9.14", Group::Sse},
    {"10", Group::Performance},
    {"11", Group::Auth},
    {"11.2", Group::Notifications},
    {"11.3", Group::Notifications},
    {"14", Group::Security},
};

}  // namespace

Group section_group(std::string_view id) {
  const std::string_view section = id.substr(0, id.find('/'));
  const SectionGroup* best = nullptr;
  for (const SectionGroup& entry : kSectionGroups) {
    const bool covers = section == entry.section || (section.starts_with(entry.section) &&
                                                     section.size() > entry.section.size() &&
                                                     section[entry.section.size()] == '.');
    if (covers && (best == nullptr || entry.section.size() > best->section.size())) best = &entry;
  }
  return best != nullptr ? best->group : Group::Core;
}

Group group_of(const Case& c) {
  return c.group ? *c.group : section_group(c.id);
}

bool timing_dependent(const Case& c) {
  return c.timing || group_of(c) == Group::Performance;
}

bool misses_bar(const Measurement& m) {
  return m.below ? !(m.value < m.bar) : !(m.value > m.bar);
}

std::string_view to_string(Path path) {
  switch (path) {
    case Path::Text:
      return "text";
    case Path::MsgPack:
      return "msgpack";
    case Path::Http:
      return "http";
    case Path::Sse:
      return "sse";
  }
  return "?";
}

std::optional<Path> parse_path(std::string_view name) {
  for (const Path p : kPaths) {
    if (to_string(p) == name) return p;
  }
  return std::nullopt;
}

void Catalog::add(Case c) {
  c.rule_id = c.id;
  if (c.paths.empty()) {
    cases_.push_back(std::move(c));
    return;
  }
  for (const Path p : c.paths) {
    Case cell = c;
    cell.path = p;
    if (p != Path::Text) cell.id = c.id + "@" + std::string(to_string(p));
    cases_.push_back(std::move(cell));
  }
}

std::string rules_text(const Case& c, std::string_view sign) {
  std::string out;
  for (const std::string& r : c.rules) {
    if (!out.empty()) out += ", ";
    out.append(sign).append(r);
  }
  return out;
}

std::string_view to_string(Why why) {
  switch (why) {
    case Why::Untestable:
      return "untestable";
    case Why::Contract:
      return "contract";
    case Why::Gap:
      return "gap";
  }
  return "?";
}

std::string_view to_string(Status status) {
  switch (status) {
    case Status::Pass:
      return "pass";
    case Status::Fail:
      return "fail";
    case Status::Unimplemented:
      return "unimplemented";
    case Status::Skipped:
      return "skipped";
  }
  return "?";
}

std::optional<Group> parse_group(std::string_view name) {
  for (const Group g : all_groups()) {
    if (to_string(g) == name) return g;
  }
  return std::nullopt;
}

Outcome pass() {
  return {};
}
Outcome pass(std::string detail) {
  Outcome o;
  o.detail = std::move(detail);
  return o;
}
Outcome fail(std::string expected, std::string actual) {
  return {Status::Fail, std::move(expected), std::move(actual), {}, {}, {}};
}
Outcome unimplemented(std::string reason) {
  return {Status::Unimplemented, {}, {}, std::move(reason), {}, {}};
}
Outcome skipped(std::string reason) {
  return {Status::Skipped, {}, {}, std::move(reason), {}, {}};
}

bool id_less(std::string_view a, std::string_view b) {
  std::size_t i = 0;
  std::size_t j = 0;
  auto digit = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; };
  while (i < a.size() && j < b.size()) {
    if (digit(a[i]) && digit(b[j])) {
      std::size_t ei = i;
      std::size_t ej = j;
      while (ei < a.size() && digit(a[ei])) ++ei;
      while (ej < b.size() && digit(b[ej])) ++ej;
      const std::string_view na = a.substr(i, ei - i);
      const std::string_view nb = b.substr(j, ej - j);
      if (na.size() != nb.size()) return na.size() < nb.size();
      if (na != nb) return na < nb;
      i = ei;
      j = ej;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i;
      ++j;
    }
  }
  return a.size() - i < b.size() - j;
}

std::vector<const Case*> Catalog::ordered() const {
  std::vector<const Case*> out;
  for (const auto& c : cases_) out.push_back(&c);
  std::stable_sort(out.begin(), out.end(), [](const Case* x, const Case* y) {
    if (x->stops_sidecar != y->stops_sidecar) return y->stops_sidecar;
    if (group_of(*x) != group_of(*y)) return group_of(*x) < group_of(*y);
    return id_less(x->id, y->id);
  });
  return out;
}

bool selector_matches(std::string_view selector, const Case& c) {
  if (selector.empty()) return false;
  if (to_string(group_of(c)) == selector) return true;
  // "ID@path" or "@path": the part after '@' must name the cell's path (text cells have no suffix).
  if (const std::size_t at = selector.find('@'); at != std::string_view::npos) {
    const std::optional<Path> path = parse_path(selector.substr(at + 1));
    if (!path || c.paths.empty() || *path != c.path) return false;
    selector = selector.substr(0, at);
    if (selector.empty()) return true;
  }
  const std::string_view id = c.rule_id.empty() ? std::string_view(c.id) : c.rule_id;
  if (id == selector) return true;
  if (id.size() <= selector.size() || id.substr(0, selector.size()) != selector) return false;
  const char last = selector.back();
  const char next = id[selector.size()];
  return last == '.' || last == '/' || next == '.' || next == '/';
}

std::vector<const Case*> select_cases(const Catalog& catalog,
                                      const std::vector<std::string>& select,
                                      const std::vector<std::string>& exclude) {
  std::vector<const Case*> selected;
  for (const Case* c : catalog.ordered()) {
    bool in = select.empty();
    for (const auto& s : select) in = in || selector_matches(s, *c);
    for (const auto& s : exclude) in = in && !selector_matches(s, *c);
    if (in) selected.push_back(c);
  }
  return selected;
}

namespace {

// "3" of "3.5/2" and of "3.4/7@http", "C7" of "C7.7/5".
std::string top_section(std::string_view id) {
  return std::string(id.substr(0, id.find_first_of("./@")));
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

// "\n" + `label` + `text`, broken at spaces into lines of at most 100 columns, the following ones
// indented under the first (a hint read on a terminal).
std::string labelled(std::string_view label, std::string_view text) {
  constexpr std::size_t kWidth = 100;
  std::string out = "\n" + std::string(label);
  std::size_t column = label.size();
  while (!text.empty()) {
    const std::size_t space = text.find(' ');
    const std::string_view word = text.substr(0, space);
    if (column > label.size() && column + 1 + word.size() > kWidth) {
      out += "\n" + std::string(label.size(), ' ');
      column = label.size();
    } else if (column > label.size()) {
      out += ' ';
      ++column;
    }
    out += word;
    column += word.size();
    text = space == std::string_view::npos ? std::string_view{} : text.substr(space + 1);
  }
  return out;
}

bool matches_any(std::string_view selector, const Catalog& catalog) {
  return std::any_of(catalog.cases().begin(), catalog.cases().end(),
                     [&](const Case& c) { return selector_matches(selector, c); });
}

}  // namespace

std::string no_match_text(const Catalog& catalog, const std::vector<std::string>& select) {
  std::vector<std::string> unmatched;
  for (const std::string& s : select) {
    if (!matches_any(s, catalog)) unmatched.push_back("\"" + s + "\"");
  }
  std::string text = "no case matched the selection: ";
  text += unmatched.empty() ? "--exclude left none of the selected cases"
                            : joined(unmatched) + (unmatched.size() == 1 ? " matches" : " match") +
                                  " no case ID, section, group or path";

  std::vector<std::string> groups;
  for (const Group g : all_groups()) {
    if (matches_any(to_string(g), catalog)) groups.emplace_back(to_string(g));
  }
  std::vector<std::string> sections;
  const Case* first = nullptr;
  for (const Case& c : catalog.cases()) {
    sections.push_back(top_section(c.rule_id));
    if (first == nullptr || id_less(c.rule_id, first->rule_id)) first = &c;
  }
  std::sort(sections.begin(), sections.end(), id_less);
  sections.erase(std::unique(sections.begin(), sections.end()), sections.end());
  std::vector<std::string> paths;
  for (const Path p : kPaths) {
    const std::string name = "@" + std::string(to_string(p));
    if (matches_any(name, catalog)) paths.push_back(name);
  }

  text += labelled("  groups:   ", joined(groups));
  std::string within;
  if (first != nullptr) {
    const std::string& id = first->rule_id;
    within = " (and their subsections and case IDs, e.g. \"" + id.substr(0, id.find('/')) +
             "\" or \"" + id + "\"; --list shows every case)";
  }
  text += labelled("  sections: ", joined(sections) + within);
  if (!paths.empty()) {
    text += labelled("  paths:    ", joined(paths) + " (alone or after an ID or section)");
  }
  return text;
}

}  // namespace flake::conform
