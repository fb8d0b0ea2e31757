// §13.4's table as code: which members each event must carry, and their types.
#include "conformance/client_cases/event_line.hpp"

#include <array>

namespace flake::conform::client {
namespace {

enum class Type { String, Integer, Boolean };

struct Member {
  std::string_view name;
  Type type;
};

bool has_type(const json& v, Type t) {
  switch (t) {
    case Type::String:
      return v.is_string();
    case Type::Integer:
      return v.is_number_integer();
    case Type::Boolean:
      return v.is_boolean();
  }
  return false;
}

std::string_view type_name(Type t) {
  switch (t) {
    case Type::String:
      return "a string";
    case Type::Integer:
      return "an integer";
    case Type::Boolean:
      return "a boolean";
  }
  return "?";
}

std::string check_members(const json& e, std::initializer_list<Member> required) {
  for (const Member& m : required) {
    const auto it = e.find(std::string(m.name));
    if (it == e.end()) return "\"" + std::string(m.name) + "\" is missing";
    if (!has_type(*it, m.type)) {
      return "\"" + std::string(m.name) + "\" is not " + std::string(type_name(m.type));
    }
  }
  return {};
}

std::string check_optional(const json& e, std::string_view name, Type t) {
  const auto it = e.find(std::string(name));
  if (it == e.end() || has_type(*it, t)) return {};
  return "\"" + std::string(name) + "\" is not " + std::string(type_name(t));
}

bool one_of(const json& v, std::initializer_list<std::string_view> names) {
  if (!v.is_string()) return false;
  for (const auto n : names) {
    if (v.get<std::string>() == n) return true;
  }
  return false;
}

std::string check_event(const json& e, const std::string& name) {
  if (name == "connected" || name == "gave_up") return {};
  if (name == "authenticated") return check_members(e, {{"sessionId", Type::String}});
  if (name == "subscribed") {
    return check_members(e, {{"method", Type::String}, {"subscription", Type::String}});
  }
  if (name == "notification") {
    return check_members(
        e, {{"method", Type::String}, {"subscription", Type::String}, {"seq", Type::Integer}});
  }
  if (name == "gap") return check_members(e, {{"expected", Type::Integer}, {"seq", Type::Integer}});
  if (name == "call") {
    if (auto m = check_members(e, {{"method", Type::String}}); !m.empty()) return m;
    if (!one_of(e.value("outcome", json()),
                {"result", "error", "breaker", "transport", "timeout"})) {
      return "\"outcome\" is not one of result, error, breaker, transport, timeout";
    }
    if (e["outcome"] == "error") return check_members(e, {{"code", Type::Integer}});
    return check_optional(e, "code", Type::Integer);
  }
  if (name == "large") {
    if (auto m = check_members(e, {{"format", Type::String}, {"compressed", Type::Boolean}});
        !m.empty()) {
      return m;
    }
    if (!one_of(e.value("outcome", json()), {"verified", "rejected"})) {
      return "\"outcome\" is not verified or rejected";
    }
    if (e["outcome"] == "verified") return check_members(e, {{"entries", Type::Integer}});
    return check_optional(e, "entries", Type::Integer);
  }
  if (name == "disconnected") return check_optional(e, "code", Type::Integer);
  if (name == "resumed") return check_members(e, {{"replayed", Type::Integer}});
  if (name == "resume_failed") return check_members(e, {{"code", Type::Integer}});
  return "unknown event \"" + name + "\"";
}

}  // namespace

EventLine parse_event_line(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  EventLine out;
  if (line.empty()) {
    out.error = "empty line";
    return out;
  }
  json value = json::parse(line, nullptr, false);
  if (value.is_discarded()) {
    out.error = "not JSON";
    return out;
  }
  if (!value.is_object()) {
    out.error = "not a JSON object";
    return out;
  }
  const auto it = value.find("event");
  if (it == value.end() || !it->is_string()) {
    out.error = "no \"event\" string";
    return out;
  }
  out.error = check_event(value, it->get<std::string>());
  if (out.error.empty()) out.event = std::move(value);
  return out;
}

const std::string& DriverEvent::name() const {
  static const std::string empty;
  if (!parsed.ok()) return empty;
  return parsed.event["event"].get_ref<const std::string&>();
}

}  // namespace flake::conform::client
