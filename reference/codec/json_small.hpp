// A narrow fast path in front of the general JSON parser for the small, flat objects most requests
// are: it builds exactly the tree cJSON would, or declines and leaves the text to parse_json.
#pragma once

#include <string_view>

#include "reference/codec/json.hpp"

namespace flake {

// Objects nested at most this deep are taken (a request, its params, one object inside those).
inline constexpr int kSmallJsonDepth = 3;

// The tree parse_json(text) gives, when `text` is, with no whitespace anywhere, an object whose
// keys are distinct within each object and whose keys and strings are printable ASCII without
// escapes, holding only such strings, integers of at most 15 digits (exact as doubles), true,
// false, null and such objects up to kSmallJsonDepth levels. Null for anything else (the general
// parser decides then: it is not an error).
JsonPtr parse_small_json(std::string_view text);

}  // namespace flake
