// Counts in words, escaping and file writing for the console and the --json, --junit, --html and
// --summary reports (see report_text.hpp).
#include "conformance/harness/report/text.hpp"

#include "conformance/client/utf8.hpp"

#include <fstream>

namespace flake::conform {

std::string counted(std::size_t n, std::string_view noun, std::string_view plural) {
  std::string out = std::to_string(n) + " ";
  if (n == 1) return out.append(noun);
  return plural.empty() ? out.append(noun).append("s") : out.append(plural);
}

std::string xml_escape(std::string_view raw) {
  const std::string text = escape_invalid_utf8(raw);
  std::string out;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        // XML 1.0 forbids most control characters even as references.
        if (c < 0x20 && ch != '\n' && ch != '\t' && ch != '\r') {
          out += '?';
        } else {
          out.push_back(ch);
        }
    }
  }
  return out;
}

std::string shorten(std::string_view text, std::size_t max_chars) {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    // A byte 10xxxxxx continues a code point; any other starts one.
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;
    if (chars == max_chars) return std::string(text.substr(0, i)) + "\u2026";
    ++chars;
  }
  return std::string(text);
}

namespace {

bool write_with(const std::string& path, const std::string& text, std::ios::openmode mode,
                std::string& error) {
  std::ofstream out(path, std::ios::binary | mode);
  out << text;
  out.close();
  if (!out) {
    error = "cannot write " + path;
    return false;
  }
  return true;
}

}  // namespace

bool write_file(const std::string& path, const std::string& text, std::string& error) {
  return write_with(path, text, std::ios::trunc, error);
}

bool append_file(const std::string& path, const std::string& text, std::string& error) {
  return write_with(path, text, std::ios::app, error);
}

}  // namespace flake::conform
