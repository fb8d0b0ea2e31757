// Writing and reading reproducer files (reproducer.hpp). Printable bytes are written as
// text, others as hex, and runs of one byte as repeats, so a file stays readable and small.
#include "conformance/netfuzz/reproducer.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <fstream>
#include <sstream>

namespace flake::conform::netfuzz {
namespace {

using json = nlohmann::json;
constexpr std::size_t kMinRun = 64;

bool printable(std::string_view bytes) {
  for (const char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 || c > 0x7E) && c != '\r' && c != '\n' && c != '\t') return false;
  }
  return true;
}

std::string to_hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xF]);
  }
  return out;
}

std::optional<std::string> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = digit(hex[i]);
    const int lo = digit(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

json literal(std::string_view bytes) {
  return printable(bytes) ? json{{"text", bytes}} : json{{"hex", to_hex(bytes)}};
}

json repeated(std::string_view pattern, std::uint64_t count) {
  json j =
      printable(pattern) ? json{{"repeat_text", pattern}} : json{{"repeat_hex", to_hex(pattern)}};
  j["count"] = count;
  return j;
}

// Bytes split into literals and runs of one repeated byte.
void add_bytes(json& out, std::string_view bytes) {
  std::size_t start = 0;
  std::size_t i = 0;
  while (i < bytes.size()) {
    std::size_t j = i;
    while (j < bytes.size() && bytes[j] == bytes[i]) ++j;
    if (j - i >= kMinRun) {
      if (i > start) out.push_back(literal(bytes.substr(start, i - start)));
      out.push_back(repeated(bytes.substr(i, 1), j - i));
      start = j;
    }
    i = j;
  }
  if (start < bytes.size()) out.push_back(literal(bytes.substr(start)));
}

json segments_json(const std::vector<Segment>& segments) {
  json out = json::array();
  for (const Segment& s : segments) {
    switch (s.kind) {
      case SegmentKind::Bytes:
        add_bytes(out, s.bytes);
        break;
      case SegmentKind::Repeat:
        out.push_back(repeated(s.bytes, s.count));
        break;
      case SegmentKind::Authority:
        out.push_back({{"placeholder", "authority"}});
        break;
      case SegmentKind::Token:
        out.push_back({{"placeholder", "token"}});
        break;
    }
  }
  return out;
}

json step_json(const Step& step) {
  json j{{"op", to_string(step.kind)}};
  switch (step.kind) {
    case StepKind::Send:
    case StepKind::TlsSend:
      j["data"] = segments_json(step.segments);
      break;
    case StepKind::TlsHandshake:
      j["max_version"] = step.text;
      break;
    case StepKind::Trickle:
      j["delay_ms"] = step.delay_ms;
      j["data"] = segments_json(step.segments);
      break;
    case StepKind::Upgrade:
      j["key"] = step.text;
      break;
    case StepKind::Authenticate:
      j["mask_hex"] = to_hex(step.text);
      break;
    case StepKind::Pause:
    case StepKind::Drain:
      j["ms"] = step.delay_ms;
      break;
    default:
      break;
  }
  return j;
}

std::optional<Segment> parse_segment(const json& j, std::string& error) {
  if (!j.is_object()) {
    error = "a data element is not an object";
    return std::nullopt;
  }
  if (j.contains("placeholder")) {
    const std::string p = j["placeholder"].get<std::string>();
    if (p == "authority") return authority();
    if (p == "token") return token();
    error = "unknown placeholder " + p;
    return std::nullopt;
  }
  if (j.contains("text")) return bytes(j["text"].get<std::string>());
  if (j.contains("hex")) {
    if (auto b = from_hex(j["hex"].get<std::string>())) return bytes(*b);
    error = "bad hex";
    return std::nullopt;
  }
  const std::uint64_t count = j.value("count", std::uint64_t{0});
  if (j.contains("repeat_text")) return repeat(j["repeat_text"].get<std::string>(), count);
  if (j.contains("repeat_hex")) {
    if (auto b = from_hex(j["repeat_hex"].get<std::string>())) return repeat(*b, count);
    error = "bad hex";
    return std::nullopt;
  }
  error = "a data element has none of text, hex, repeat_text, repeat_hex, placeholder";
  return std::nullopt;
}

std::optional<Step> parse_step(const json& j, std::string& error) {
  static constexpr std::array kKinds{
      StepKind::Send,    StepKind::Trickle,      StepKind::Upgrade,       StepKind::Authenticate,
      StepKind::Pause,   StepKind::Drain,        StepKind::ShutdownWrite, StepKind::Abort,
      StepKind::Close,   StepKind::TlsHandshake, StepKind::TlsSend,       StepKind::TlsCloseNotify,
      StepKind::TlsRekey};
  const std::string op = j.value("op", "");
  Step step;
  bool known = false;
  for (const StepKind k : kKinds) {
    if (to_string(k) == op) {
      step.kind = k;
      known = true;
    }
  }
  if (!known) {
    error = "unknown op \"" + op + "\"";
    return std::nullopt;
  }
  if (j.contains("data")) {
    for (const json& d : j["data"]) {
      auto s = parse_segment(d, error);
      if (!s) return std::nullopt;
      step.segments.push_back(std::move(*s));
    }
  }
  step.delay_ms = j.value("delay_ms", j.value("ms", 0));
  if (step.kind == StepKind::Upgrade) step.text = j.value("key", "");
  if (step.kind == StepKind::TlsHandshake) step.text = j.value("max_version", "");
  if (step.kind == StepKind::Authenticate) {
    auto mask = from_hex(j.value("mask_hex", "00000000"));
    if (!mask || mask->size() != 4) {
      error = "mask_hex needs 4 bytes";
      return std::nullopt;
    }
    step.text = *mask;
  }
  return step;
}

}  // namespace

std::string reproducer_text(const Reproducer& r) {
  json conns = json::array();
  for (const ConnScript& c : r.burst.conns) {
    json steps = json::array();
    for (const Step& s : c.steps) steps.push_back(step_json(s));
    json conn{{"label", c.label}, {"hold", c.hold}, {"steps", steps}};
    if (c.plain) conn["plain"] = true;
    conns.push_back(std::move(conn));
  }
  const json j{{"format", kReproducerFormat},
               {"seed", r.seed},
               {"burst", r.burst.index},
               {"family", r.burst.family},
               {"max_message_bytes", r.max_message_bytes},
               {"failure", r.failure},
               {"target", r.target},
               {"tls", r.tls},
               {"connections", conns}};
  return j.dump(1) + "\n";
}

std::optional<Reproducer> parse_reproducer(std::string_view text, std::string& error) {
  const json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    error = "not a JSON object";
    return std::nullopt;
  }
  if (j.value("format", "") != kReproducerFormat) {
    error = "format is not " + std::string(kReproducerFormat);
    return std::nullopt;
  }
  try {
    Reproducer r;
    r.seed = j.value("seed", std::uint64_t{0});
    r.burst.index = j.value("burst", std::uint64_t{0});
    r.burst.family = j.value("family", "");
    r.max_message_bytes = j.value("max_message_bytes", std::uint64_t{0});
    r.failure = j.value("failure", "");
    r.target = j.value("target", "");
    r.tls = j.value("tls", false);
    for (const json& c : j.at("connections")) {
      ConnScript conn;
      conn.label = c.value("label", "");
      conn.hold = c.value("hold", false);
      conn.plain = c.value("plain", false);
      for (const json& s : c.at("steps")) {
        auto step = parse_step(s, error);
        if (!step) return std::nullopt;
        conn.steps.push_back(std::move(*step));
      }
      r.burst.conns.push_back(std::move(conn));
    }
    return r;
  } catch (const json::exception& e) {
    error = e.what();
    return std::nullopt;
  }
}

bool write_reproducer(const std::string& path, const Reproducer& reproducer, std::string& error) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << reproducer_text(reproducer);
  if (!out.flush()) {
    error = "cannot write " + path;
    return false;
  }
  return true;
}

std::optional<Reproducer> read_reproducer(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read " + path;
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  auto r = parse_reproducer(text.str(), error);
  if (!r) error = path + ": " + error;
  return r;
}

}  // namespace flake::conform::netfuzz
