// Cursor pagination of the fixture-backed list methods (docs/protocol.md §5): limit 1..100,
// default 20, an opaque cursor from the previous page's "pagination.next" (null on the last page).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "reference/codec/json.hpp"

namespace flake {

inline constexpr size_t kDefaultPageLimit = 20;
inline constexpr size_t kMaxPageLimit = 100;

struct PageRequest {
  size_t offset = 0;
  size_t limit = kDefaultPageLimit;
};

// `field` is what -32602's data {"field"} names: "params", "limit" or "cursor".
struct PageParamError {
  std::string field;
  std::string message;
};

// Validates {"limit"?, "cursor"?} against the list `list` (its collection name, as make_page gets
// it) of `total` items. `params` may be nullptr (absent: the first page), an object, or anything
// else (an error naming "params"). Unknown members are ignored. "limit" must be an integer 1..100.
// "cursor" must be a string this server issued for this list (it binds offset, length and list,
// so a forged, edited or other list's cursor is refused) or null, which means "no cursor" because
// that is what the last page's "next" holds.
std::variant<PageRequest, PageParamError> parse_page_params(const cJSON* params, size_t total,
                                                            std::string_view list);

// The offset a well-formed cursor names, whichever list issued it and whether or not its checksum
// holds (for the defect cursor-any-list; parse_page_params is what checks a cursor).
std::optional<uint64_t> cursor_offset(std::string_view cursor);

// {"<collection>":[items offset..offset+limit), "pagination":{"next":"<cursor>"|null,"total":n}},
// with the items deep-copied and the cursor bound to `collection` (or to `binding` when it is not
// empty: the list name parse_page_params will then be given). A non-array `items` is an empty
// list; a limit outside 1..100 is clamped to it.
JsonPtr make_page(const cJSON* items, std::string_view collection, const PageRequest& request,
                  std::string_view binding = {});

}  // namespace flake
