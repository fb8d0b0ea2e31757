// Writer and parser of flake-replay/1 scripts (script.hpp), strict on input: a reproducer that
// does not parse is a clear error, never a partial replay.
#include "conformance/repro/script.hpp"

#include <charconv>
#include <cstdio>

namespace flake::conform::repro {
namespace {

constexpr std::size_t kWrap = 96;

struct Placeholder {
  std::string_view name;
  PieceKind kind;
};
constexpr Placeholder kPlaceholders[] = {
    {"TOKEN", PieceKind::Token}, {"AUTHORITY", PieceKind::Authority}, {"PATH", PieceKind::Path}};

std::string escape_byte(unsigned char c) {
  switch (c) {
    case '\\':
      return "\\\\";
    case '"':
      return "\\\"";
    case '\r':
      return "\\r";
    case '\n':
      return "\\n";
    case '\t':
      return "\\t";
    default:
      break;
  }
  if (c >= 0x20 && c < 0x7F && c != '$') return std::string(1, static_cast<char>(c));
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\x%02x", c);
  return buf;
}

// The quoted strings of one send, each ending after an escaped newline or near kWrap columns.
std::vector<std::string> quoted_chunks(const std::vector<Piece>& pieces) {
  std::vector<std::string> chunks;
  std::string current;
  auto flush = [&] {
    chunks.push_back("\"" + current + "\"");
    current.clear();
  };
  for (const Piece& p : pieces) {
    if (p.kind != PieceKind::Bytes) {
      for (const auto& ph : kPlaceholders) {
        if (ph.kind == p.kind) current += "${" + std::string(ph.name) + "}";
      }
      continue;
    }
    for (const char c : p.bytes) {
      const std::string e = escape_byte(static_cast<unsigned char>(c));
      if (current.size() + e.size() > kWrap) flush();
      current += e;
      if (c == '\n') flush();
    }
  }
  if (!current.empty() || chunks.empty()) flush();
  return chunks;
}

void append_bytes(std::vector<Piece>& pieces, char c) {
  if (pieces.empty() || pieces.back().kind != PieceKind::Bytes) pieces.push_back({});
  pieces.back().bytes.push_back(c);
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Parses the quoted strings in `rest` (one or more, separated by blanks) onto `pieces`.
bool parse_quoted(std::string_view rest, std::vector<Piece>& pieces, std::string& error) {
  std::size_t i = 0;
  bool any = false;
  while (true) {
    while (i < rest.size() && (rest[i] == ' ' || rest[i] == '\t')) ++i;
    if (i == rest.size()) break;
    if (rest[i] != '"') {
      error = "expected a quoted string at column " + std::to_string(i + 1);
      return false;
    }
    ++i;
    any = true;
    bool closed = false;
    while (i < rest.size()) {
      const char c = rest[i++];
      if (c == '"') {
        closed = true;
        break;
      }
      if (c == '$') {
        const std::size_t end = rest.find('}', i);
        if (i >= rest.size() || rest[i] != '{' || end == std::string_view::npos) {
          error = "a '$' that starts no placeholder (write a literal '$' as \\x24)";
          return false;
        }
        const std::string_view name = rest.substr(i + 1, end - i - 1);
        bool known = false;
        for (const auto& ph : kPlaceholders) {
          if (ph.name == name) {
            pieces.push_back({ph.kind, {}});
            known = true;
          }
        }
        if (!known) {
          error = "unknown placeholder ${" + std::string(name) + "}";
          return false;
        }
        i = end + 1;
        continue;
      }
      if (c != '\\') {
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7F) {
          error = "a raw control or non-ASCII byte inside a string (escape it as \\xHH)";
          return false;
        }
        append_bytes(pieces, c);
        continue;
      }
      if (i == rest.size()) break;
      const char e = rest[i++];
      switch (e) {
        case '\\':
        case '"':
          append_bytes(pieces, e);
          break;
        case 'r':
          append_bytes(pieces, '\r');
          break;
        case 'n':
          append_bytes(pieces, '\n');
          break;
        case 't':
          append_bytes(pieces, '\t');
          break;
        case 'x': {
          const int hi = i < rest.size() ? hex_value(rest[i]) : -1;
          const int lo = i + 1 < rest.size() ? hex_value(rest[i + 1]) : -1;
          if (hi < 0 || lo < 0) {
            error = "\\x needs two hex digits";
            return false;
          }
          append_bytes(pieces, static_cast<char>(hi * 16 + lo));
          i += 2;
          break;
        }
        default:
          error = std::string("unknown escape \\") + e;
          return false;
      }
    }
    if (!closed) {
      error = "unterminated string";
      return false;
    }
  }
  if (!any) error = "a send needs at least one quoted string";
  return any;
}

bool parse_number(std::string_view text, long long& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && out >= 0;
}

std::string_view next_word(std::string_view& rest) {
  std::size_t i = 0;
  while (i < rest.size() && (rest[i] == ' ' || rest[i] == '\t')) ++i;
  rest.remove_prefix(i);
  std::size_t end = 0;
  while (end < rest.size() && rest[end] != ' ' && rest[end] != '\t') ++end;
  const std::string_view word = rest.substr(0, end);
  rest.remove_prefix(end);
  return word;
}

}  // namespace

std::string_view to_string(StepKind kind) {
  switch (kind) {
    case StepKind::Connect:
      return "connect";
    case StepKind::Send:
      return "send";
    case StepKind::Frames:
      return "frames";
    case StepKind::Recv:
      return "recv";
    case StepKind::Shutdown:
      return "shutdown";
    case StepKind::Abort:
      return "abort";
    case StepKind::Close:
      return "close";
  }
  return "?";
}

std::string format_script(const Script& script) {
  std::string out(kMagic);
  out += "\n";
  for (const std::string& c : script.comments) out += c.empty() ? "#\n" : "# " + c + "\n";
  for (const Step& s : script.steps) {
    out += std::string(to_string(s.kind)) + " " + std::to_string(s.conn) + " +" +
           std::to_string(s.at_ms);
    if (s.kind == StepKind::Recv) out += " " + std::to_string(s.received);
    if (s.kind != StepKind::Send) {
      out += "\n";
      continue;
    }
    const std::vector<std::string> chunks = quoted_chunks(s.pieces);
    out += " " + chunks.front() + "\n";
    for (std::size_t i = 1; i < chunks.size(); ++i) out += "    " + chunks[i] + "\n";
  }
  return out;
}

std::optional<Script> parse_script(std::string_view text, std::string& error) {
  Script script;
  std::size_t line_no = 0;
  bool last_was_send = false;
  auto fail = [&](const std::string& why) {
    error = "line " + std::to_string(line_no) + ": " + why;
    return std::nullopt;
  };
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line_no == 1) {
      if (line != kMagic) {
        error =
            "not a flake-replay/1 script (the first line must be \"" + std::string(kMagic) + "\")";
        return std::nullopt;
      }
      continue;
    }
    std::string_view rest = line;
    const std::string_view first = next_word(rest);
    if (first.empty()) continue;
    if (first.front() == '#') {
      std::string_view comment = line.substr(line.find('#') + 1);
      if (!comment.empty() && comment.front() == ' ') comment.remove_prefix(1);
      script.comments.emplace_back(comment);
      last_was_send = false;
      continue;
    }
    if (first.front() == '"' && line.front() != '"') {  // a continuation line starts with blanks
      if (!last_was_send) return fail("a continuation string without a send before it");
      std::string why;
      const std::string_view strings = line.substr(line.find('"'));
      if (!parse_quoted(strings, script.steps.back().pieces, why)) return fail(why);
      continue;
    }
    Step step;
    bool known = false;
    for (const StepKind k : {StepKind::Connect, StepKind::Send, StepKind::Frames, StepKind::Recv,
                             StepKind::Shutdown, StepKind::Abort, StepKind::Close}) {
      if (first == to_string(k)) {
        step.kind = k;
        known = true;
      }
    }
    if (!known) return fail("unknown step \"" + std::string(first) + "\"");
    long long conn = 0;
    if (!parse_number(next_word(rest), conn) || conn < 1 || conn > 100000) {
      return fail("a connection number (1, 2, ...) must follow \"" + std::string(first) + "\"");
    }
    step.conn = static_cast<int>(conn);
    const std::string_view at = next_word(rest);
    if (at.size() < 2 || at.front() != '+' || !parse_number(at.substr(1), step.at_ms)) {
      return fail("a time offset (+MS) must follow the connection number");
    }
    if (step.kind == StepKind::Send) {
      std::string why;
      if (!parse_quoted(rest, step.pieces, why)) return fail(why);
    } else if (step.kind == StepKind::Recv && !parse_number(next_word(rest), step.received)) {
      return fail("a byte count must follow \"recv C +MS\"");
    } else if (!next_word(rest).empty()) {
      return fail("unexpected text after \"" + std::string(first) + "\"");
    }
    last_was_send = step.kind == StepKind::Send;
    script.steps.push_back(std::move(step));
  }
  if (line_no == 0) {
    error = "empty file (not a flake-replay/1 script)";
    return std::nullopt;
  }
  return script;
}

std::string expand(const std::vector<Piece>& pieces, const Fill& fill) {
  std::string out;
  for (const Piece& p : pieces) {
    switch (p.kind) {
      case PieceKind::Bytes:
        out += p.bytes;
        break;
      case PieceKind::Token:
        out += fill.token;
        break;
      case PieceKind::Authority:
        out += fill.authority;
        break;
      case PieceKind::Path:
        out += fill.path;
        break;
    }
  }
  return out;
}

}  // namespace flake::conform::repro
