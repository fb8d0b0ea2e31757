// The ASCII helpers HTTP and WebSocket headers need (RFC 9110 §5.6): case-insensitive comparison,
// optional whitespace, tokens. ASCII only on purpose: header names and tokens are ASCII, and the
// locale must not matter.
#pragma once

#include <string_view>

namespace flake {

constexpr char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
}

constexpr bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

constexpr bool is_ows(char c) {
  return c == ' ' || c == '\t';
}

// Without leading and trailing spaces and tabs.
constexpr std::string_view trim_ows(std::string_view text) {
  while (!text.empty() && is_ows(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_ows(text.back())) text.remove_suffix(1);
  return text;
}

// RFC 9110 §5.6.2.
constexpr bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

}  // namespace flake
