// The small-object fast path (see json_small.hpp). Anything outside its grammar returns null
// before any judgement is made, so errors are always the general parser's.
#include "reference/codec/json_small.hpp"

#include <cstdint>
#include <string>

namespace flake {

namespace {

class SmallParser {
 public:
  explicit SmallParser(std::string_view text) : text_(text) {}

  JsonPtr run() {
    JsonPtr value = object(1);
    return value && at_ == text_.size() ? std::move(value) : nullptr;
  }

 private:
  bool take(char c) {
    if (at_ < text_.size() && text_[at_] == c) {
      ++at_;
      return true;
    }
    return false;
  }

  // A string of printable ASCII other than '"' and '\\', after its opening quote.
  bool plain_string(std::string_view& out) {
    const size_t start = at_;
    while (at_ < text_.size()) {
      const char c = text_[at_];
      if (c == '"') {
        out = text_.substr(start, at_ - start);
        ++at_;
        return true;
      }
      if (c < 0x20 || c > 0x7e || c == '\\') return false;
      ++at_;
    }
    return false;
  }

  // -?(0|[1-9][0-9]{0,14}), not followed by anything a longer number could continue with.
  cJSON* integer() {
    const bool negative = take('-');
    if (at_ >= text_.size() || text_[at_] < '0' || text_[at_] > '9') return nullptr;
    int64_t magnitude = 0;
    int digits = 0;
    if (text_[at_] == '0') {
      ++at_;
      digits = 1;
    } else {
      while (at_ < text_.size() && text_[at_] >= '0' && text_[at_] <= '9') {
        if (++digits > 15) return nullptr;
        magnitude = magnitude * 10 + (text_[at_] - '0');
        ++at_;
      }
    }
    if (at_ < text_.size()) {
      const char next = text_[at_];
      if ((next >= '0' && next <= '9') || next == '.' || next == 'e' || next == 'E') return nullptr;
    }
    if (negative && magnitude == 0) return nullptr;  // -0 is a negative zero double in cJSON
    // cJSON_CreateNumber sets valueint the way cJSON's parser does (saturated at the int range).
    return cJSON_CreateNumber(static_cast<double>(negative ? -magnitude : magnitude));
  }

  bool literal(std::string_view word) {
    if (text_.substr(at_, word.size()) != word) return false;
    at_ += word.size();
    return true;
  }

  cJSON* value(int depth) {
    if (at_ >= text_.size()) return nullptr;
    switch (text_[at_]) {
      case '"': {
        ++at_;
        std::string_view s;
        if (!plain_string(s)) return nullptr;
        return cJSON_CreateString(std::string(s).c_str());
      }
      case '{':
        return depth < kSmallJsonDepth ? object(depth + 1).release() : nullptr;
      case 't':
        if (!literal("true")) return nullptr;
        if (cJSON* item = cJSON_CreateTrue()) {
          item->valueint = 1;  // as cJSON's parser leaves it
          return item;
        }
        return nullptr;
      case 'f':
        return literal("false") ? cJSON_CreateFalse() : nullptr;
      case 'n':
        return literal("null") ? cJSON_CreateNull() : nullptr;
      default:
        return integer();
    }
  }

  JsonPtr object(int depth) {
    if (!take('{')) return nullptr;
    JsonPtr result(cJSON_CreateObject());
    if (!result) return nullptr;
    if (take('}')) return result;
    do {
      std::string_view key;
      if (!take('"') || !plain_string(key) || !take(':')) return nullptr;
      const std::string owned_key(key);
      // A repeated key is the general parser's business (the last one wins there).
      if (cJSON_GetObjectItemCaseSensitive(result.get(), owned_key.c_str()) != nullptr)
        return nullptr;
      cJSON* item = value(depth);
      if (item == nullptr) return nullptr;
      if (!cJSON_AddItemToObject(result.get(), owned_key.c_str(), item)) {
        cJSON_Delete(item);
        return nullptr;
      }
    } while (take(','));
    return take('}') ? std::move(result) : nullptr;
  }

  std::string_view text_;
  size_t at_ = 0;
};

}  // namespace

JsonPtr parse_small_json(std::string_view text) {
  return SmallParser(text).run();
}

}  // namespace flake
