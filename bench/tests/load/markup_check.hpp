// A small well-formedness check for the markup flake-bench writes (SVG, and HTML whose only
// unclosed elements are the void ones it uses): tags nest and close, attribute values are quoted,
// and every '&' starts an entity. Not a parser: enough to catch a broken writer.
#pragma once

#include <cctype>
#include <string>
#include <string_view>
#include <vector>

namespace flake::bench::testing {

// How often `what` occurs in `s` (overlapping occurrences counted).
inline std::size_t count(std::string_view s, std::string_view what) {
  std::size_t n = 0;
  for (std::size_t at = s.find(what); at != std::string_view::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

// Empty when well-formed, else what is wrong and where.
inline std::string markup_problem(std::string_view s) {
  const auto void_element = [](std::string_view n) { return n == "meta" || n == "br"; };
  std::vector<std::string> open;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '&') {
      const std::size_t semi = s.find(';', i);
      if (semi == std::string_view::npos || semi - i > 8 || semi == i + 1) {
        return "bare & at " + std::to_string(i);
      }
      for (std::size_t k = i + 1; k < semi; ++k) {
        if (!std::isalnum(static_cast<unsigned char>(s[k])) && s[k] != '#') {
          return "bad entity at " + std::to_string(i);
        }
      }
      continue;
    }
    if (s[i] == '>') return "bare > at " + std::to_string(i);
    if (s[i] != '<') continue;
    if (s.substr(i, 2) == "<!") {  // <!DOCTYPE html>
      i = s.find('>', i);
      if (i == std::string_view::npos) return "unterminated <!";
      continue;
    }
    const bool closing = s.substr(i, 2) == "</";
    std::size_t j = i + (closing ? 2 : 1);
    const std::size_t name_start = j;
    while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '-')) ++j;
    const std::string name(s.substr(name_start, j - name_start));
    if (name.empty()) return "bare < at " + std::to_string(i);
    // Attributes: name="value" with no '<' inside the value.
    bool self_closing = false;
    while (j < s.size() && s[j] != '>') {
      if (s[j] == '"') {
        const std::size_t end = s.find('"', j + 1);
        if (end == std::string_view::npos) return "unterminated attribute in <" + name + ">";
        if (s.substr(j + 1, end - j - 1).find('<') != std::string_view::npos) {
          return "< in an attribute of <" + name + ">";
        }
        j = end + 1;
        continue;
      }
      if (s[j] == '<') return "< inside the tag <" + name + ">";
      self_closing = s[j] == '/';
      ++j;
    }
    if (j >= s.size()) return "unterminated tag <" + name + ">";
    if (closing) {
      if (open.empty() || open.back() != name) {
        return "</" + name + "> closes " + (open.empty() ? std::string("nothing") : open.back());
      }
      open.pop_back();
    } else if (!self_closing && !void_element(name)) {
      open.push_back(name);
      if (name == "style" || name == "title") {  // raw text: skip to its end tag
        const std::size_t end = s.find("</" + name + ">", j);
        if (end == std::string_view::npos) return "unclosed <" + name + ">";
        if (name == "title" && s.substr(j + 1, end - j - 1).find('<') != std::string_view::npos) {
          return "< in <title>";
        }
        j = end - 1;
      }
    }
    i = j;
  }
  return open.empty() ? std::string() : "unclosed <" + open.back() + ">";
}

}  // namespace flake::bench::testing
