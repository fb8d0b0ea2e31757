// A narrow JSON-to-MessagePack transcoder (see json_to_msgpack.hpp). It declines whatever it does
// not reproduce byte for byte (escapes, fractions, long numbers, duplicate keys), never guesses.
#include "reference/codec/json_to_msgpack.hpp"

#include <array>
#include <cstdint>
#include <cstring>

namespace flake {

namespace {

constexpr int kMaxDepth = 64;      // parse_json's default limit
constexpr size_t kMaxDigits = 15;  // every such integer is exact in a double, as cJSON holds it
constexpr size_t kMaxKeys = 32;    // the duplicate-key check is quadratic; wider objects decline

void put_be(std::string& out, uint64_t value, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out += static_cast<char>((value >> (8 * i)) & 0xff);
}

// msgpack-c's choices: the smallest form for a length or an integer.
std::string container_header(size_t count, bool map) {
  std::string header;
  if (count <= 15) {
    header += static_cast<char>((map ? 0x80 : 0x90) | count);
  } else if (count <= 0xffff) {
    header += static_cast<char>(map ? 0xde : 0xdc);
    put_be(header, count, 2);
  } else {
    header += static_cast<char>(map ? 0xdf : 0xdd);
    put_be(header, count, 4);
  }
  return header;
}

void put_str_header(std::string& out, size_t length) {
  if (length <= 31) {
    out += static_cast<char>(0xa0 | length);
  } else if (length <= 0xff) {
    out += '\xd9';
    put_be(out, length, 1);
  } else if (length <= 0xffff) {
    out += '\xda';
    put_be(out, length, 2);
  } else {
    out += '\xdb';
    put_be(out, length, 4);
  }
}

// msgpack_pack_int64's encoding.
void put_int(std::string& out, int64_t v) {
  if (v < -(int64_t{1} << 5)) {
    if (v < -(int64_t{1} << 15)) {
      if (v < -(int64_t{1} << 31)) {
        out += '\xd3';
        put_be(out, static_cast<uint64_t>(v), 8);
      } else {
        out += '\xd2';
        put_be(out, static_cast<uint32_t>(v), 4);
      }
    } else if (v < -(int64_t{1} << 7)) {
      out += '\xd1';
      put_be(out, static_cast<uint16_t>(v), 2);
    } else {
      out += '\xd0';
      put_be(out, static_cast<uint8_t>(v), 1);
    }
  } else if (v < (int64_t{1} << 7)) {
    out += static_cast<char>(static_cast<int8_t>(v));
  } else if (v < (int64_t{1} << 8)) {
    out += '\xcc';
    put_be(out, static_cast<uint64_t>(v), 1);
  } else if (v < (int64_t{1} << 16)) {
    out += '\xcd';
    put_be(out, static_cast<uint64_t>(v), 2);
  } else if (v < (int64_t{1} << 32)) {
    out += '\xce';
    put_be(out, static_cast<uint64_t>(v), 4);
  } else {
    out += '\xcf';
    put_be(out, static_cast<uint64_t>(v), 8);
  }
}

class Transcoder {
 public:
  Transcoder(std::string_view text, std::string& out) : text_(text), out_(out) {}

  bool run() {
    skip_space();
    if (!value(0)) return false;
    skip_space();
    return pos_ == text_.size();
  }

 private:
  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r'))
      ++pos_;
  }
  bool literal(std::string_view word, char byte) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    out_ += byte;
    return true;
  }
  // The string's bytes (between the quotes); false on an escape, a control byte or no end quote.
  bool string_body(std::string_view& body) {
    ++pos_;  // the opening quote
    const size_t start = pos_;
    while (pos_ < text_.size()) {
      const auto c = static_cast<unsigned char>(text_[pos_]);
      if (c == '"') {
        body = text_.substr(start, pos_ - start);
        ++pos_;
        return true;
      }
      if (c == '\\' || c < 0x20) return false;
      ++pos_;
    }
    return false;
  }
  bool string() {
    std::string_view body;
    if (!string_body(body)) return false;
    put_str_header(out_, body.size());
    out_ += body;
    return true;
  }
  bool number() {
    const bool negative = text_[pos_] == '-';
    if (negative) ++pos_;
    const size_t digits_start = pos_;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
    const size_t digits = pos_ - digits_start;
    if (digits == 0 || digits > kMaxDigits) return false;
    if (text_[digits_start] == '0' && (digits > 1 || negative)) return false;  // 01, -0
    if (pos_ < text_.size() && (text_[pos_] == '.' || text_[pos_] == 'e' || text_[pos_] == 'E'))
      return false;
    int64_t v = 0;
    for (size_t i = digits_start; i < pos_; ++i) v = v * 10 + (text_[i] - '0');
    put_int(out_, negative ? -v : v);
    return true;
  }
  bool container(int depth, bool map) {
    if (depth >= kMaxDepth) return false;
    ++pos_;  // [ or {
    const char close = map ? '}' : ']';
    // One header byte is reserved; only a container of more than 15 members (a fixmap or
    // fixarray holds up to 15) needs the longer header inserted afterwards.
    const size_t header_at = out_.size();
    out_ += '\0';
    size_t count = 0;
    std::array<std::string_view, kMaxKeys> keys;
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == close) {
      ++pos_;
    } else {
      for (;;) {
        skip_space();
        if (map) {
          std::string_view key;
          if (pos_ >= text_.size() || text_[pos_] != '"' || !string_body(key)) return false;
          if (count == kMaxKeys) return false;
          for (size_t k = 0; k < count; ++k) {
            if (keys[k] == key) return false;  // cJSON keeps the last: left to the full parse
          }
          keys[count] = key;
          put_str_header(out_, key.size());
          out_ += key;
          skip_space();
          if (pos_ >= text_.size() || text_[pos_] != ':') return false;
          ++pos_;
          skip_space();
        }
        if (!value(depth + 1)) return false;
        ++count;
        skip_space();
        if (pos_ >= text_.size()) return false;
        if (text_[pos_] == ',') {
          ++pos_;
          continue;
        }
        if (text_[pos_] != close) return false;
        ++pos_;
        break;
      }
    }
    if (count > 0xffffffffu) return false;
    if (count <= 15) {
      out_[header_at] = static_cast<char>((map ? 0x80 : 0x90) | count);
    } else {
      out_.replace(header_at, 1, container_header(count, map));
    }
    return true;
  }
  bool value(int depth) {
    if (pos_ >= text_.size()) return false;
    switch (text_[pos_]) {
      case '{':
        return container(depth, true);
      case '[':
        return container(depth, false);
      case '"':
        return string();
      case 't':
        return literal("true", '\xc3');
      case 'f':
        return literal("false", '\xc2');
      case 'n':
        return literal("null", '\xc0');
      default:
        return (text_[pos_] == '-' || (text_[pos_] >= '0' && text_[pos_] <= '9')) && number();
    }
  }

  std::string_view text_;
  std::string& out_;
  size_t pos_ = 0;
};

}  // namespace

bool json_to_msgpack(std::string_view text, std::string& out) {
  const size_t before = out.size();
  if (Transcoder(text, out).run()) return true;
  out.resize(before);
  return false;
}

}  // namespace flake
