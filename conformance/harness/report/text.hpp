// Text helpers the reports share: counts in words, markup escaping and writing a whole file.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace flake::conform {

// A count with its noun in the right number: "1 case", "2 cases", "0 cases". `plural` defaults to
// `noun` + "s"; give it for the others ("unexpected passes"). Every console and report line that
// puts a number before a noun goes through here, so that none says "1 cases".
std::string counted(std::size_t n, std::string_view noun, std::string_view plural = {});

// Escapes text for XML and HTML content and attribute values. Invalid UTF-8 is made visible (never
// written raw) and control characters XML forbids become '?'.
std::string xml_escape(std::string_view raw);

// At most `max_chars` code points of `text`, cut at a code point boundary and marked with "…"
// when cut; for the short places of a report (a table cell, an attribute, an annotation).
std::string shorten(std::string_view text, std::size_t max_chars);

// Writes `text` to `path`, replacing it; false with `error` when that fails.
bool write_file(const std::string& path, const std::string& text, std::string& error);
// Adds `text` at the end of `path`, creating it if need be; false with `error` when that fails.
bool append_file(const std::string& path, const std::string& text, std::string& error);

}  // namespace flake::conform
