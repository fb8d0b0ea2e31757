// RAII ownership and small read helpers for cJSON trees, used by every part of the reference.
#pragma once

#include <cJSON.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace flake {

// A flag in cJSON's type bits (above the 0xFF that cJSON_Is* compare): a number written with a
// fraction or an exponent, or sent as a MessagePack float. Set only for the defect
// integer-form-checked (mark_float_forms, MsgpackLeniency::mark_floats).
inline constexpr int kNumberWrittenAsFloat = 1 << 12;

struct CjsonDeleter {
  void operator()(cJSON* p) const { cJSON_Delete(p); }
};
using JsonPtr = std::unique_ptr<cJSON, CjsonDeleter>;

struct CjsonFree {
  void operator()(char* p) const { cJSON_free(p); }
};

// Compact serialisation, byte for byte what cJSON_PrintUnformatted prints; an empty string where
// cJSON would fail: a null or invalid type, a cJSON_Raw without text, more than 2 GiB of text.
std::string print_json(const cJSON* value);

// The same text appended to `out`, e.g. after the room a frame header needs. False, and `out` as it
// was, where print_json gives "".
bool print_json_to(const cJSON* value, std::string& out);

// Case-sensitive member lookup (cJSON_GetObjectItem is case-insensitive, which JSON is not).
inline const cJSON* member(const cJSON* object, const char* key) {
  return cJSON_IsObject(object) ? cJSON_GetObjectItemCaseSensitive(object, key) : nullptr;
}

inline std::optional<std::string_view> string_member(const cJSON* object, const char* key) {
  const cJSON* item = member(object, key);
  if (!cJSON_IsString(item) || item->valuestring == nullptr) return std::nullopt;
  return std::string_view(item->valuestring);
}

// Deep copy, owned.
inline JsonPtr clone(const cJSON* value) {
  return JsonPtr(cJSON_Duplicate(value, true));
}

}  // namespace flake
