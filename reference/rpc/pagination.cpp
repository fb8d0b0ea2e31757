// Page parameters, cursors and page documents for the list methods (see pagination.hpp).
#include "reference/rpc/pagination.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>

namespace flake {

namespace {

// A cursor is "p1.<offset>.<check>": readable when debugging, while the checksum over offset, list
// length and list name makes an edited, invented or other-list cursor fail loudly instead of
// silently skipping or repeating items (§5.7: only a cursor of the same method is valid). "p1"
// versions the format.
constexpr std::string_view kCursorPrefix = "p1.";
constexpr size_t kCheckDigits = 8;
constexpr size_t kMaxOffsetDigits = 19;  // fits uint64_t whatever the digits

uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Not a secret (clients could compute it); it only has to make accidental or casual edits invalid.
uint32_t cursor_check(uint64_t offset, uint64_t total, std::string_view list) {
  uint64_t name = 0xCBF29CE484222325ULL;  // FNV-1a of the list's name
  for (const char c : list) name = (name ^ static_cast<unsigned char>(c)) * 0x100000001B3ULL;
  return static_cast<uint32_t>(
      mix64(0x666C616B652E7631ULL ^ mix64(offset) ^ mix64(~total) ^ mix64(name + 1)));
}

void append_hex(std::string& out, uint32_t value) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (int shift = 28; shift >= 0; shift -= 4) out += kDigits[(value >> shift) & 0xF];
}

std::string encode_cursor(size_t offset, size_t total, std::string_view list) {
  std::string cursor(kCursorPrefix);
  cursor += std::to_string(offset);
  cursor += '.';
  append_hex(cursor, cursor_check(offset, total, list));
  return cursor;
}

bool parse_hex(std::string_view text, uint32_t& value) {
  if (text.size() != kCheckDigits) return false;
  value = 0;
  for (char c : text) {
    uint32_t digit = 0;
    if (c >= '0' && c <= '9')
      digit = static_cast<uint32_t>(c - '0');
    else if (c >= 'a' && c <= 'f')
      digit = static_cast<uint32_t>(c - 'a' + 10);
    else
      return false;  // one spelling per cursor: upper case is an edit
    value = value << 4 | digit;
  }
  return true;
}

// The offset and checksum of a well-formed cursor, whichever list issued it.
struct CursorParts {
  uint64_t offset = 0;
  uint32_t check = 0;
};
std::optional<CursorParts> parse_cursor(std::string_view cursor) {
  if (!cursor.starts_with(kCursorPrefix)) return std::nullopt;
  cursor.remove_prefix(kCursorPrefix.size());
  const size_t dot = cursor.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  const std::string_view digits = cursor.substr(0, dot);
  if (digits.empty() || digits.size() > kMaxOffsetDigits ||
      (digits.size() > 1 && digits[0] == '0') ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  CursorParts parts;
  std::from_chars(digits.data(), digits.data() + digits.size(), parts.offset);
  if (!parse_hex(cursor.substr(dot + 1), parts.check)) return std::nullopt;
  return parts;
}

// The offset of a well-formed cursor with a matching checksum, else nothing.
std::optional<uint64_t> decode_cursor(std::string_view cursor, size_t total,
                                      std::string_view list) {
  const auto parts = parse_cursor(cursor);
  if (!parts || parts->check != cursor_check(parts->offset, total, list)) return std::nullopt;
  return parts->offset;
}

PageParamError limit_error() {
  return {"limit", "limit must be an integer from 1 to " + std::to_string(kMaxPageLimit)};
}

}  // namespace

std::optional<uint64_t> cursor_offset(std::string_view cursor) {
  const auto parts = parse_cursor(cursor);
  return parts ? std::optional<uint64_t>(parts->offset) : std::nullopt;
}

std::variant<PageRequest, PageParamError> parse_page_params(const cJSON* params, size_t total,
                                                            std::string_view list) {
  PageRequest request;
  if (params == nullptr) return request;
  if (!cJSON_IsObject(params)) {
    return PageParamError{"params", "params must be an object {\"limit\"?, \"cursor\"?}"};
  }

  if (const cJSON* limit = member(params, "limit")) {
    if (!cJSON_IsNumber(limit)) return limit_error();
    const double value = limit->valuedouble;
    if (!std::isfinite(value) || std::floor(value) != value || value < 1 ||
        value > static_cast<double>(kMaxPageLimit)) {
      return limit_error();
    }
    request.limit = static_cast<size_t>(value);
  }

  if (const cJSON* cursor = member(params, "cursor"); cursor != nullptr && !cJSON_IsNull(cursor)) {
    if (!cJSON_IsString(cursor) || cursor->valuestring == nullptr) {
      return PageParamError{"cursor", "cursor must be a string taken from pagination.next"};
    }
    const auto offset = decode_cursor(cursor->valuestring, total, list);
    if (!offset) {
      return PageParamError{"cursor", "cursor was not issued by this server for this list"};
    }
    // Issued cursors always point into the list; one at or past the end is not ours.
    if (*offset >= total) return PageParamError{"cursor", "cursor points past the end of the list"};
    request.offset = static_cast<size_t>(*offset);
  }
  return request;
}

JsonPtr make_page(const cJSON* items, std::string_view collection, const PageRequest& request,
                  std::string_view binding) {
  // A zero limit would hand out a "next" cursor to the same page, and clients would loop forever.
  const size_t limit = std::clamp<size_t>(request.limit, 1, kMaxPageLimit);
  JsonPtr page(cJSON_CreateObject());
  if (!page) return nullptr;
  cJSON* out = cJSON_AddArrayToObject(page.get(), std::string(collection).c_str());
  if (out == nullptr) return nullptr;

  size_t total = 0;
  const cJSON* item = cJSON_IsArray(items) ? items->child : nullptr;
  for (; item != nullptr; item = item->next, ++total) {
    if (total >= request.offset && total - request.offset < limit) {
      cJSON* copy = cJSON_Duplicate(item, true);
      if (copy == nullptr) return nullptr;
      cJSON_AddItemToArray(out, copy);
    }
  }

  cJSON* pagination = cJSON_AddObjectToObject(page.get(), "pagination");
  if (pagination == nullptr) return nullptr;
  const bool more = request.offset < total && total - request.offset > limit;
  cJSON* next = more ? cJSON_CreateString(encode_cursor(request.offset + limit, total,
                                                        binding.empty() ? collection : binding)
                                              .c_str())
                     : cJSON_CreateNull();
  if (next == nullptr) return nullptr;
  cJSON_AddItemToObject(pagination, "next", next);
  if (cJSON_AddNumberToObject(pagination, "total", static_cast<double>(total)) == nullptr)
    return nullptr;
  return page;
}

}  // namespace flake
