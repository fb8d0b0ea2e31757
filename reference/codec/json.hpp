// RAII ownership and small read helpers for cJSON trees, used by every part of the reference.
#pragma once

#include <cJSON.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace flake {

struct CjsonDeleter {
  void operator()(cJSON* p) const { cJSON_Delete(p); }
};
using JsonPtr = std::unique_ptr<cJSON, CjsonDeleter>;

struct CjsonFree {
  void operator()(char* p) const { cJSON_free(p); }
};

// Compact serialisation; an empty string only when cJSON runs out of memory.
std::string print_json(const cJSON* value);

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
