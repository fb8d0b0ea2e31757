// A narrow JSON-to-MessagePack transcoder (see json_to_msgpack.hpp). It declines whatever it does
// not reproduce byte for byte (escapes, fractions, long numbers, duplicate keys), never guesses.
#include "reference/codec/json_to_msgpack.hpp"

#include <cstdint>
#include <cstring>

namespace flake {

namespace {

constexpr int kMaxDepth = 64;      // parse_json's default limit
constexpr size_t kMaxDigits = 15;  // every such integer is exact in a double, as cJSON holds it
constexpr size_t kMaxKeys = 32;    // the duplicate-key check is quadratic; wider objects decline

// The output is written through a raw cursor into room reserved up front (a per-byte
// std::string append costs a capacity check each time): MessagePack of what this transcoder
// accepts is never larger than the JSON text plus kSlack(text), see json_to_msgpack.
char* put_be(char* p, uint64_t value, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) *p++ = static_cast<char>((value >> (8 * i)) & 0xff);
  return p;
}

// msgpack-c's choices: the smallest form for a length or an integer.
char* put_container_header(char* p, size_t count, bool map) {
  if (count <= 15) {
    *p++ = static_cast<char>((map ? 0x80 : 0x90) | count);
    return p;
  }
  if (count <= 0xffff) {
    *p++ = static_cast<char>(map ? 0xde : 0xdc);
    return put_be(p, count, 2);
  }
  *p++ = static_cast<char>(map ? 0xdf : 0xdd);
  return put_be(p, count, 4);
}

char* put_str_header(char* p, size_t length) {
  if (length <= 31) {
    *p++ = static_cast<char>(0xa0 | length);
    return p;
  }
  if (length <= 0xff) {
    *p++ = '\xd9';
    return put_be(p, length, 1);
  }
  if (length <= 0xffff) {
    *p++ = '\xda';
    return put_be(p, length, 2);
  }
  *p++ = '\xdb';
  return put_be(p, length, 4);
}

// msgpack_pack_int64's encoding.
char* put_int(char* p, int64_t v) {
  if (v < -(int64_t{1} << 5)) {
    if (v < -(int64_t{1} << 15)) {
      if (v < -(int64_t{1} << 31)) {
        *p++ = '\xd3';
        return put_be(p, static_cast<uint64_t>(v), 8);
      }
      *p++ = '\xd2';
      return put_be(p, static_cast<uint32_t>(v), 4);
    }
    if (v < -(int64_t{1} << 7)) {
      *p++ = '\xd1';
      return put_be(p, static_cast<uint16_t>(v), 2);
    }
    *p++ = '\xd0';
    return put_be(p, static_cast<uint8_t>(v), 1);
  }
  if (v < (int64_t{1} << 7)) {
    *p++ = static_cast<char>(static_cast<int8_t>(v));
    return p;
  }
  if (v < (int64_t{1} << 8)) {
    *p++ = '\xcc';
    return put_be(p, static_cast<uint64_t>(v), 1);
  }
  if (v < (int64_t{1} << 16)) {
    *p++ = '\xcd';
    return put_be(p, static_cast<uint64_t>(v), 2);
  }
  if (v < (int64_t{1} << 32)) {
    *p++ = '\xce';
    return put_be(p, static_cast<uint64_t>(v), 4);
  }
  *p++ = '\xcf';
  return put_be(p, static_cast<uint64_t>(v), 8);
}

class Transcoder {
 public:
  Transcoder(std::string_view text, char* out) : text_(text), out_(out) {}

  bool run() {
    skip_space();
    if (!value(0)) return false;
    skip_space();
    return pos_ == text_.size();
  }
  char* end() const { return out_; }

 private:
  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r'))
      ++pos_;
  }
  bool literal(std::string_view word, char byte) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    *out_++ = byte;
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
  void put_str(std::string_view body) {
    out_ = put_str_header(out_, body.size());
    std::memcpy(out_, body.data(), body.size());
    out_ += body.size();
  }
  bool string() {
    std::string_view body;
    if (!string_body(body)) return false;
    put_str(body);
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
    out_ = put_int(out_, negative ? -v : v);
    return true;
  }
  bool container(int depth, bool map) {
    if (depth >= kMaxDepth) return false;
    ++pos_;  // [ or {
    const char close = map ? '}' : ']';
    // One header byte is reserved; only a container of more than 15 members (a fixmap or
    // fixarray holds up to 15) needs the longer header inserted afterwards.
    char* const header_at = out_++;
    size_t count = 0;
    // Left uninitialised: zeroing 32 views per object cost more than the rest of its transcoding.
    struct Key {
      const char* data;
      size_t size;
    };
    Key keys[kMaxKeys];
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
            // cJSON keeps the last of duplicate keys: left to the full parse
            if (std::string_view(keys[k].data, keys[k].size) == key) return false;
          }
          keys[count] = {key.data(), key.size()};
          put_str(key);
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
      *header_at = static_cast<char>((map ? 0x80 : 0x90) | count);
    } else {
      char header[5];
      const size_t size = static_cast<size_t>(put_container_header(header, count, map) - header);
      std::memmove(header_at + size, header_at + 1, static_cast<size_t>(out_ - (header_at + 1)));
      std::memcpy(header_at, header, size);
      out_ += size - 1;
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
  char* out_;
  size_t pos_ = 0;
};

}  // namespace

bool json_to_msgpack(std::string_view text, std::string& out) {
  const size_t before = out.size();
  // Each accepted construct encodes to no more bytes than its text, except a string of 256 bytes
  // or more, whose header is up to 3 bytes longer than its 2 quotes: at most 1 byte per 85.
  out.resize(before + text.size() + text.size() / 64 + 8);
  Transcoder transcoder(text, out.data() + before);
  const bool done = transcoder.run();
  out.resize(done ? static_cast<size_t>(transcoder.end() - out.data()) : before);
  return done;
}

}  // namespace flake
