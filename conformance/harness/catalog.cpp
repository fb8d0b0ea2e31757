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
      Group::Core,          Group::Auth,   Group::Security,    Group::Framing,
      Group::Notifications, Group::Resume, Group::MsgPack,     Group::LargeData,
      Group::Rest,          Group::Sse,    Group::Performance, Group::Reconnection};
  return groups;
}

std::string_view to_string(Group group) {
  switch (group) {
    case Group::Core:
      return "core";
    case Group::Auth:
      return "auth";
    case Group::Security:
      return "security";
    case Group::Framing:
      return "framing";
    case Group::Notifications:
      return "notifications";
    case Group::Resume:
      return "resume";
    case Group::MsgPack:
      return "msgpack";
    case Group::LargeData:
      return "large-data";
    case Group::Rest:
      return "rest";
    case Group::Sse:
      return "sse";
    case Group::Performance:
      return "performance";
    case Group::Reconnection:
      return "reconnection";
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
  return {Status::Fail, std::move(expected), std::move(actual), {}, {}};
}
Outcome unimplemented(std::string reason) {
  return {Status::Unimplemented, {}, {}, std::move(reason), {}};
}
Outcome skipped(std::string reason) {
  return {Status::Skipped, {}, {}, std::move(reason), {}};
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
    if (x->group != y->group) return x->group < y->group;
    return id_less(x->id, y->id);
  });
  return out;
}

bool selector_matches(std::string_view selector, const Case& c) {
  if (selector.empty()) return false;
  if (to_string(c.group) == selector) return true;
  const std::string_view id = c.id;
  if (id == selector) return true;
  if (id.size() <= selector.size() || id.substr(0, selector.size()) != selector) return false;
  const char last = selector.back();
  const char next = id[selector.size()];
  return last == '.' || last == '/' || next == '.' || next == '/';
}

}  // namespace flake::conform
