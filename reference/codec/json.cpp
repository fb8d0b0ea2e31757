// Serialisation helpers for cJSON trees.
#include "reference/codec/json.hpp"

namespace flake {

std::string print_json(const cJSON* value) {
  std::unique_ptr<char, CjsonFree> text(cJSON_PrintUnformatted(value));
  return text ? std::string(text.get()) : std::string();
}

}  // namespace flake
