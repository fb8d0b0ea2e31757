// Strict JSON parsing for untrusted message bytes (see json_parse.hpp for the rules).
#include "reference/codec/json_parse.hpp"

#include "reference/codec/json_small.hpp"

#include <unordered_set>
#include <vector>

namespace flake {

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Consumes one number starting at text[i]; returns the index after it, or npos when it breaks the
// grammar
// -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? or runs on into more number characters (as in 01).
size_t skip_number(std::string_view text, size_t i) {
  const size_t n = text.size();
  auto digits = [&](size_t at) {
    size_t j = at;
    while (j < n && is_digit(text[j])) ++j;
    return j;
  };
  if (i < n && text[i] == '-') ++i;
  if (i >= n || !is_digit(text[i])) return std::string_view::npos;
  i = (text[i] == '0') ? i + 1 : digits(i);
  if (i < n && text[i] == '.') {
    size_t j = digits(i + 1);
    if (j == i + 1) return std::string_view::npos;
    i = j;
  }
  if (i < n && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < n && (text[i] == '+' || text[i] == '-')) ++i;
    size_t j = digits(i);
    if (j == i) return std::string_view::npos;
    i = j;
  }
  if (i < n && (is_digit(text[i]) || text[i] == '.' || text[i] == 'e' || text[i] == 'E' ||
                text[i] == '+' || text[i] == '-')) {
    return std::string_view::npos;
  }
  return i;
}

}  // namespace

ScanError scan_json(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (static_cast<unsigned char>(c) < 0x20) return ScanError::kControlInString;
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '[':
      case '{':
        if (++depth > max_depth) return ScanError::kTooDeep;
        break;
      case ']':
      case '}':
        if (depth > 0) --depth;
        break;
      default:
        if (c == '-' || is_digit(c)) {
          size_t next = skip_number(text, i);
          if (next == std::string_view::npos) return ScanError::kBadNumber;
          i = next - 1;
        }
        break;
    }
  }
  return ScanError::kNone;
}

namespace {

bool is_json_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

}  // namespace

namespace {

// Up to this many members, comparing each key with the later ones costs less than hashing them
// (and allocates nothing); requests are small objects.
constexpr size_t kSmallObject = 16;

std::string_view key_of(const cJSON* member) {
  return member->string ? member->string : "";
}

// Walks from the last member back: a key a later member already has was overridden.
void drop_overridden_members(cJSON* object) {
  size_t members = 0;
  for (const cJSON* child = object->child; child != nullptr; child = child->next) ++members;
  std::unordered_set<std::string_view> seen;
  const bool small = members <= kSmallObject;
  cJSON* child = object->child ? object->child->prev : nullptr;  // cJSON keeps child->prev = last
  while (child != nullptr) {
    cJSON* previous = (child == object->child) ? nullptr : child->prev;
    bool overridden = false;
    if (small) {
      for (const cJSON* later = child->next; later != nullptr && !overridden; later = later->next)
        overridden = key_of(later) == key_of(child);
    } else {
      overridden = !seen.insert(key_of(child)).second;
    }
    if (overridden) cJSON_Delete(cJSON_DetachItemViaPointer(object, child));
    child = previous;
  }
}

}  // namespace

void keep_last_duplicate_keys(cJSON* value) {
  // Recursive: the depth is bounded by the parsers' depth limits (kMaxJsonDepth), and a recursion
  // allocates nothing where an explicit stack would for every message.
  if (cJSON_IsObject(value)) drop_overridden_members(value);
  if (cJSON_IsObject(value) || cJSON_IsArray(value)) {
    for (cJSON* child = value->child; child != nullptr; child = child->next)
      keep_last_duplicate_keys(child);
  }
}

namespace {

void mark_in_order(cJSON* node, const std::vector<bool>& float_forms, size_t& next) {
  if (cJSON_IsNumber(node)) {
    if (next < float_forms.size() && float_forms[next]) node->type |= kNumberWrittenAsFloat;
    ++next;
  }
  for (cJSON* child = node->child; child != nullptr; child = child->next)
    mark_in_order(child, float_forms, next);
}

}  // namespace

void mark_float_forms(std::string_view text, cJSON* value) {
  // Number tokens appear in the text in the order of a pre-order walk of the parsed tree.
  std::vector<bool> float_forms;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (in_string) {
      if (ch == '\\') {
        ++i;
      } else if (ch == '"') {
        in_string = false;
      }
      continue;
    }
    if (ch == '"') {
      in_string = true;
    } else if (ch == '-' || (ch >= '0' && ch <= '9')) {
      bool written_as_float = false;
      size_t j = i;
      for (; j < text.size() &&
             std::string_view("+-0123456789.eE").find(text[j]) != std::string_view::npos;
           ++j) {
        written_as_float = written_as_float || text[j] == '.' || text[j] == 'e' || text[j] == 'E';
      }
      float_forms.push_back(written_as_float);
      i = j - 1;
    }
  }
  size_t next = 0;
  if (value != nullptr) mark_in_order(value, float_forms, next);
}

ParseResult parse_json(std::string_view text, int max_depth, bool last_key_wins) {
  ParseResult result;
  // Small flat requests: the same tree without the pre-scan, cJSON's parser and the duplicate walk
  // (the fast path takes no duplicates, so either rule for them gives this tree).
  if (max_depth >= kSmallJsonDepth) {
    if (JsonPtr small = parse_small_json(text)) {
      result.value = std::move(small);
      return result;
    }
  }
  switch (scan_json(text, max_depth)) {
    case ScanError::kNone:
      break;
    case ScanError::kTooDeep:
      result.error = "JSON nests deeper than " + std::to_string(max_depth) + " levels";
      return result;
    case ScanError::kControlInString:
      result.error = "unescaped control character in a JSON string";
      return result;
    case ScanError::kBadNumber:
      result.error = "malformed JSON number";
      return result;
  }
  const char* end = nullptr;
  JsonPtr value(cJSON_ParseWithLengthOpts(text.data(), text.size(), &end, false));
  if (!value) {
    result.error = "invalid JSON";
    return result;
  }
  const char* stop = text.data() + text.size();
  while (end != nullptr && end < stop && is_json_space(*end)) ++end;
  if (end != stop) {
    result.error = "unexpected data after the JSON value";
    return result;
  }
  if (last_key_wins) keep_last_duplicate_keys(value.get());
  result.value = std::move(value);
  return result;
}

}  // namespace flake
