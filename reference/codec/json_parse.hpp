// Strict JSON parsing for untrusted message bytes: depth limit, no trailing garbage, last duplicate
// key wins.
#pragma once

#include <string>
#include <string_view>

#include "reference/codec/json.hpp"

namespace flake {

inline constexpr int kMaxJsonDepth = 64;

struct ParseResult {
  JsonPtr value;      // null on failure
  std::string error;  // human-readable reason on failure
};

// Parses exactly one JSON value from `text` (which need not be NUL-terminated). Fails when the
// value nests deeper than `max_depth` arrays/objects, when anything but whitespace follows it, or
// when cJSON rejects it. `last_key_wins` false leaves duplicate keys to cJSON, whose lookups see
// the first (only the defect first-duplicate-wins does that).
ParseResult parse_json(std::string_view text, int max_depth = kMaxJsonDepth,
                       bool last_key_wins = true);

// What a linear pre-scan finds wrong before cJSON sees the text. cJSON is lenient where RFC 8259 is
// not (raw control characters in strings, numbers such as 01, 1. or -), and it allows 1000 levels
// of nesting.
enum class ScanError {
  kNone,
  kTooDeep,          // more than max_depth nested arrays/objects
  kControlInString,  // an unescaped byte below 0x20 inside a string
  kBadNumber,        // a number outside the RFC 8259 grammar
};
ScanError scan_json(std::string_view text, int max_depth);

// Removes every member of every object that a later member with the same key overrides, so lookups
// see the last value (cJSON itself returns the first). Linear in the number of members.
void keep_last_duplicate_keys(cJSON* value);

// Sets kNumberWrittenAsFloat on every number of `value` (parsed from `text`) that `text` writes
// with a fraction or an exponent, such as 5.0 or 5e0. Only the defect integer-form-checked asks.
void mark_float_forms(std::string_view text, cJSON* value);

}  // namespace flake
