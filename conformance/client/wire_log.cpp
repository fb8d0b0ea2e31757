// Bounded, human-readable wire transcript; bulk cases would otherwise log megabytes.
#include "conformance/client/wire_log.hpp"

#include "conformance/client/utf8.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>

namespace flake::conform {
namespace {
constexpr std::size_t kMaxLines = 400;
constexpr std::size_t kNoteReserve = 50;

std::string& secret() {
  static std::string value;
  return value;
}
}  // namespace

void WireLog::redact(std::string value) {
  secret() = std::move(value);
}

WireLog::WireLog() : start_(std::chrono::steady_clock::now()) {}

void WireLog::add(int conn, std::string_view direction, std::string_view text) {
  // Notes (measurements, explanations) get a reserve beyond the frame lines.
  const bool note = direction == "..";
  if (lines_.size() >= kMaxLines + (note ? kNoteReserve : 0)) {
    ++dropped_;
    return;
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start_)
                      .count();
  std::string line = "+" + std::to_string(ms) + "ms ";
  if (conn > 0) line += "#" + std::to_string(conn) + " ";
  line.append(direction);
  line += " ";
  const std::size_t body = line.size();
  line.append(text);
  push_redacted(std::move(line), body);
}

void WireLog::add_line(std::string line) {
  if (lines_.size() >= kMaxLines + kNoteReserve) {
    ++dropped_;
    return;
  }
  push_redacted(std::move(line), 0);
}

namespace {
std::string hide_from(std::string line, std::size_t from, std::string_view hidden) {
  if (!hidden.empty()) {
    // Past each replacement, so that a token inside "<token>" cannot match again.
    for (std::size_t at = from; (at = line.find(hidden, at)) != std::string::npos;) {
      line.replace(at, hidden.size(), "<token>");
      at += 7;
    }
  }
  return line;
}
}  // namespace

void WireLog::push_redacted(std::string line, std::size_t from) {
  lines_.push_back(hide_from(std::move(line), from, secret()));
}

std::string WireLog::redacted(std::string text) {
  return hide_from(std::move(text), 0, secret());
}

std::string WireLog::hide_token(std::string text, std::string_view token) {
  return hide_from(std::move(text), 0, token);
}

std::string WireLog::summarize_text(std::string_view text, std::size_t max) {
  std::string out;
  for (std::size_t i = 0; i < text.size() && i < max; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  // A cut may split a character; invalid bytes are escaped either way.
  out = escape_invalid_utf8(out);
  if (text.size() > max) out += "... (" + std::to_string(text.size()) + " bytes)";
  return out;
}

std::string WireLog::hex_prefix(std::string_view bytes, std::size_t max_bytes) {
  std::string out;
  for (std::size_t i = 0; i < bytes.size() && i < max_bytes; ++i) {
    char buf[4];
    std::snprintf(buf, sizeof buf, "%02x", static_cast<unsigned char>(bytes[i]));
    out += buf;
  }
  if (bytes.size() > max_bytes) out += "...";
  return out + " (" + std::to_string(bytes.size()) + " bytes)";
}

std::string WireLog::summarize_binary(std::string_view bytes, std::size_t max) {
  const auto value = nlohmann::json::from_msgpack(bytes.begin(), bytes.end(), true, false);
  if (!value.is_discarded()) {
    return "msgpack " +
           summarize_text(value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                          max);
  }
  return "hex " + hex_prefix(bytes);
}

}  // namespace flake::conform
