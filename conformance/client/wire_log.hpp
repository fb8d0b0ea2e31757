// What one conformance case saw on the wire, one line per frame, message or event, for -v,
// the JSON report and the JUnit system-out.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace flake::conform {

class WireLog {
 public:
  WireLog();
  // `conn` numbers the connections of a case (0: not tied to one).
  void add(int conn, std::string_view direction, std::string_view text);
  void note(std::string_view text) { add(0, "..", text); }
  // A line the caller formatted with its own timestamp (client mode merges the scripted sidecar's
  // record and the driver's events by time); redacted and bounded like the others.
  void add_line(std::string line);
  const std::vector<std::string>& lines() const { return lines_; }
  std::size_t dropped() const { return dropped_; }

  // Text shortened to `max` bytes with a byte count, control characters escaped.
  static std::string summarize_text(std::string_view text, std::size_t max = 400);
  // MessagePack shown as JSON when it decodes, else as a hex prefix.
  static std::string summarize_binary(std::string_view bytes, std::size_t max = 400);
  static std::string hex_prefix(std::string_view bytes, std::size_t max_bytes = 32);

  // Lines recorded after this show `secret` (the sidecar's token) as "<token>": reports are CI
  // artifacts and must not leak it. Set once at start-up, before any case runs.
  static void redact(std::string secret);
  // `text` with the secret set by redact() shown as "<token>" (for text that is not a wire line,
  // such as the command that started the sidecar).
  static std::string redacted(std::string text);
  // `text` with every occurrence of `token` (when not empty) shown as "<token>".
  static std::string hide_token(std::string text, std::string_view token);

 private:
  void push_redacted(std::string line, std::size_t from);

  std::chrono::steady_clock::time_point start_;
  std::vector<std::string> lines_;
  std::size_t dropped_ = 0;
};

}  // namespace flake::conform
