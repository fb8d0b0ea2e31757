// Compact serialisation of cJSON trees: the bytes cJSON_PrintUnformatted (cJSON 1.7.15) prints,
// written straight into a std::string, with integral numbers printed without printf and scanf.
#include <cfloat>
#include <charconv>
#include <climits>
#include <clocale>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "reference/codec/json.hpp"

namespace flake {
namespace {

// cJSON fails a print whose buffer would need more than INT_MAX bytes; its last request is for the
// text, its terminator and one byte more.
constexpr std::size_t kMaxPrintedBytes = static_cast<std::size_t>(INT_MAX) - 2;

// cJSON's test of whether "%1.15g" gave the number back: equal within a relative DBL_EPSILON, not
// exactly equal, so a number whose 15 digits read back as a neighbouring double keeps them.
bool reads_back(double printed, double value) {
  const double larger =
      std::fabs(printed) > std::fabs(value) ? std::fabs(printed) : std::fabs(value);
  return std::fabs(printed - value) <= larger * DBL_EPSILON;
}

bool append_number(double value, std::string& out) {
  if (std::isnan(value) || std::isinf(value)) {
    out += "null";
    return true;
  }
  // An integer below 1e15 has at most 15 significant digits: "%1.15g" prints every one of them in
  // fixed notation with neither a fraction nor a decimal point, and they read back exactly, so the
  // decimal integer is the same text. Epoch-millisecond timestamps all take this path.
  if (std::fabs(value) < 1e15 && std::trunc(value) == value) {
    if (value == 0) {
      out += std::signbit(value) ? "-0" : "0";
      return true;
    }
    char digits[24];
    const auto printed =
        std::to_chars(digits, digits + sizeof digits, static_cast<std::int64_t>(value));
    out.append(digits, printed.ptr);
    return true;
  }
  // Everything else the way cJSON prints it, in the current locale: strtod reads what sscanf's
  // "%lg" reads and converts it the same way (glibc's scanf hands the text to strtod).
  char text[32];
  int length = std::snprintf(text, sizeof text, "%1.15g", value);
  char* parsed_end = nullptr;
  const double back = std::strtod(text, &parsed_end);
  if (parsed_end == text || !reads_back(back, value)) {
    length = std::snprintf(text, sizeof text, "%1.17g", value);
  }
  if (length < 0 || length > 25) return false;  // cJSON's 26-byte buffer
  // cJSON writes '.' for the locale's decimal point.
  const char point = std::localeconv()->decimal_point[0];
  for (int i = 0; i < length; ++i) out.push_back(text[i] == point ? '.' : text[i]);
  return true;
}

void append_escape(unsigned char byte, std::string& out) {
  switch (byte) {
    case '"':
      out += "\\\"";
      return;
    case '\\':
      out += "\\\\";
      return;
    case '\b':
      out += "\\b";
      return;
    case '\f':
      out += "\\f";
      return;
    case '\n':
      out += "\\n";
      return;
    case '\r':
      out += "\\r";
      return;
    case '\t':
      out += "\\t";
      return;
    default: {
      static constexpr char kHex[] = "0123456789abcdef";
      const char escape[] = {'\\', 'u', '0', '0', kHex[byte >> 4], kHex[byte & 0xF]};
      out.append(escape, sizeof escape);
    }
  }
}

// cJSON escapes '"', '\\' and the bytes below 0x20 only; DEL and every byte from 0x80 (UTF-8 or
// not) go out raw. A null string prints as "".
void append_string(const char* text, std::string& out) {
  out.push_back('"');
  if (text != nullptr) {
    const char* run = text;
    const char* p = text;
    for (; *p != '\0'; ++p) {
      const auto byte = static_cast<unsigned char>(*p);
      if (byte >= 0x20 && byte != '"' && byte != '\\') continue;
      out.append(run, p);
      append_escape(byte, out);
      run = p + 1;
    }
    out.append(run, p);
  }
  out.push_back('"');
}

bool append_value(const cJSON* item, std::string& out) {
  if (item == nullptr) return false;
  // The bits above 0xFF (cJSON_IsReference, cJSON_StringIsConst, kNumberWrittenAsFloat) are not
  // the type; any other mix of type bits is no type at all.
  switch (item->type & 0xFF) {
    case cJSON_NULL:
      out += "null";
      return true;
    case cJSON_False:
      out += "false";
      return true;
    case cJSON_True:
      out += "true";
      return true;
    case cJSON_Number:
      return append_number(item->valuedouble, out);
    case cJSON_Raw:
      if (item->valuestring == nullptr) return false;
      out += item->valuestring;
      return true;
    case cJSON_String:
      append_string(item->valuestring, out);
      return true;
    case cJSON_Array:
      out.push_back('[');
      for (const cJSON* element = item->child; element != nullptr; element = element->next) {
        if (!append_value(element, out)) return false;
        if (element->next != nullptr) out.push_back(',');
      }
      out.push_back(']');
      return true;
    case cJSON_Object:
      out.push_back('{');
      for (const cJSON* member = item->child; member != nullptr; member = member->next) {
        append_string(member->string, out);
        out.push_back(':');
        if (!append_value(member, out)) return false;
        if (member->next != nullptr) out.push_back(',');
      }
      out.push_back('}');
      return true;
    default:
      return false;
  }
}

}  // namespace

bool print_json_to(const cJSON* value, std::string& out) {
  const std::size_t start = out.size();
  if (append_value(value, out) && out.size() - start <= kMaxPrintedBytes) return true;
  out.resize(start);
  return false;
}

std::string print_json(const cJSON* value) {
  // Room for a typical response at once, rather than growing from the short-string buffer.
  std::string out;
  out.reserve(128);
  if (!print_json_to(value, out)) return {};
  return out;
}

}  // namespace flake
