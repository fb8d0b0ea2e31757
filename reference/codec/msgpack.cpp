// MessagePack codec (see msgpack.hpp).
#include "reference/codec/msgpack.hpp"

#include <msgpack.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "reference/codec/msgpack_buffer.hpp"
#include "reference/codec/utf8.hpp"

namespace flake {

namespace {

class Decoder {
 public:
  Decoder(std::string_view bytes, int max_depth, const MsgpackLeniency& leniency)
      : p_(reinterpret_cast<const uint8_t*>(bytes.data())),
        end_(p_ + bytes.size()),
        max_depth_(max_depth),
        leniency_(leniency) {}

  MsgpackDecodeResult run() {
    MsgpackDecodeResult result;
    JsonPtr value(read_value(1));
    if (value && p_ != end_ && !leniency_.ignore_trailing)
      fail(MsgpackError::kTrailingBytes, "bytes after the MessagePack value");
    // A frame that is MessagePack throughout but holds an ext or a non-str key: -32600, not -32700
    // (§2.3).
    if (error_ == MsgpackError::kNone && not_json_ != MsgpackError::kNone)
      fail(not_json_, not_json_message_);
    result.error = error_;
    result.message = message_;
    if (error_ == MsgpackError::kNone) result.value = std::move(value);
    return result;
  }

 private:
  size_t left() const { return static_cast<size_t>(end_ - p_); }

  cJSON* fail(MsgpackError error, const char* message) {
    if (error_ == MsgpackError::kNone) {
      error_ = error;
      message_ = message;
    }
    return nullptr;
  }

  // Ext values and non-str keys are valid MessagePack, so decoding goes on (a parse error later in
  // the frame still wins); the first one is reported once the whole frame has decoded.
  void not_json(MsgpackError error, const char* message) {
    if (not_json_ == MsgpackError::kNone) {
      not_json_ = error;
      not_json_message_ = message;
    }
  }

  bool take(size_t n, uint64_t& out) {  // big-endian unsigned of n bytes
    if (left() < n) return false;
    out = 0;
    for (size_t i = 0; i < n; ++i) out = (out << 8) | p_[i];
    p_ += n;
    return true;
  }

  cJSON* read_string(uint64_t length) {
    if (length > left() && leniency_.clamp_lengths) length = left();
    if (length > left()) return fail(MsgpackError::kTruncated, "str length exceeds the frame");
    std::string_view text(reinterpret_cast<const char*>(p_), length);
    p_ += length;
    if (text.find('\0') != std::string_view::npos || !is_valid_utf8(text)) {
      return fail(MsgpackError::kBadUtf8, "str is not valid UTF-8 (or holds NUL)");
    }
    return cJSON_CreateString(std::string(text).c_str());
  }

  cJSON* float_number(double value) const {
    cJSON* n = cJSON_CreateNumber(value);
    if (n != nullptr && leniency_.mark_floats) n->type |= kNumberWrittenAsFloat;
    return n;
  }

  cJSON* read_bin(uint64_t length) {
    if (length > left() && leniency_.clamp_lengths) length = left();
    if (length > left()) return fail(MsgpackError::kTruncated, "bin length exceeds the frame");
    if (leniency_.bin_as_hex) {
      static constexpr char kHex[] = "0123456789abcdef";
      std::string hex;
      for (uint64_t i = 0; i < length; ++i) {
        hex += kHex[p_[i] >> 4];
        hex += kHex[p_[i] & 15];
      }
      p_ += length;
      return cJSON_CreateString(hex.c_str());
    }
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((length + 2) / 3 * 4);
    for (uint64_t i = 0; i < length; i += 3) {
      uint32_t chunk = uint32_t{p_[i]} << 16;
      if (i + 1 < length) chunk |= uint32_t{p_[i + 1]} << 8;
      if (i + 2 < length) chunk |= p_[i + 2];
      out += kAlphabet[(chunk >> 18) & 63];
      out += kAlphabet[(chunk >> 12) & 63];
      out += i + 1 < length ? kAlphabet[(chunk >> 6) & 63] : '=';
      out += i + 2 < length ? kAlphabet[chunk & 63] : '=';
    }
    p_ += length;
    return cJSON_CreateString(out.c_str());
  }

  cJSON* read_array(uint64_t count, int depth) {
    // Each element takes at least one byte: a count above the bytes left cannot be honest.
    if (count > left() && leniency_.clamp_lengths) count = left();
    if (count > left()) return fail(MsgpackError::kTruncated, "array length exceeds the frame");
    if (depth > max_depth_) return fail(MsgpackError::kTooDeep, "nested deeper than the limit");
    JsonPtr array(cJSON_CreateArray());
    for (uint64_t i = 0; i < count; ++i) {
      cJSON* item = read_value(depth + 1);
      if (item == nullptr) return nullptr;
      cJSON_AddItemToArray(array.get(), item);
    }
    return array.release();
  }

  cJSON* read_map(uint64_t count, int depth) {
    if (count > left() / 2 && leniency_.clamp_lengths) count = left() / 2;
    if (count > left() / 2) return fail(MsgpackError::kTruncated, "map length exceeds the frame");
    if (depth > max_depth_) return fail(MsgpackError::kTooDeep, "nested deeper than the limit");
    JsonPtr object(cJSON_CreateObject());
    for (uint64_t i = 0; i < count; ++i) {
      // Checked on the marker byte: a bin key also decodes to a string, but it is not a str.
      const bool str_key =
          left() > 0 && ((*p_ >= 0xa0 && *p_ <= 0xbf) || (*p_ >= 0xd9 && *p_ <= 0xdb));
      JsonPtr key(read_value(depth + 1));
      if (!key) return nullptr;
      JsonPtr item(read_value(depth + 1));
      if (!item) return nullptr;
      if (!str_key) {
        not_json(MsgpackError::kNonStringKey, "map key is not a str");
        continue;
      }
      cJSON_AddItemToObject(object.get(), key->valuestring, item.release());
    }
    return object.release();
  }

  cJSON* read_ext(uint64_t length) {
    if (length + 1 > left()) return fail(MsgpackError::kTruncated, "ext length exceeds the frame");
    if (leniency_.ext_as_string) {
      ++p_;  // the type byte
      return read_bin(length);
    }
    p_ += length + 1;
    not_json(MsgpackError::kExtType, "ext types are not JSON-RPC values");
    return cJSON_CreateNull();  // a placeholder: the frame is refused once decoded
  }

  cJSON* read_value(int depth) {
    if (error_ != MsgpackError::kNone) return nullptr;
    if (left() == 0) return fail(MsgpackError::kTruncated, "frame ends before a value");
    const uint8_t b = *p_++;
    uint64_t n = 0;
    auto sized = [&](size_t bytes) { return take(bytes, n); };
    if (b <= 0x7f) return cJSON_CreateNumber(b);
    if (b >= 0xe0) return cJSON_CreateNumber(static_cast<int8_t>(b));
    if (b <= 0x8f) return read_map(b & 0x0f, depth);
    if (b <= 0x9f) return read_array(b & 0x0f, depth);
    if (b <= 0xbf) return read_string(b & 0x1f);
    switch (b) {
      case 0xc0:
        return cJSON_CreateNull();
      case 0xc1:
        return fail(MsgpackError::kReservedByte, "0xc1 is never used");
      case 0xc2:
        return cJSON_CreateFalse();
      case 0xc3:
        return cJSON_CreateTrue();
      case 0xc4:
      case 0xc5:
      case 0xc6:
        if (!sized(size_t{1} << (b - 0xc4))) break;
        return read_bin(n);
      case 0xc7:
      case 0xc8:
      case 0xc9:
        if (!sized(size_t{1} << (b - 0xc7))) break;
        return read_ext(n);
      case 0xca: {
        if (!sized(4)) break;
        const uint32_t bits = static_cast<uint32_t>(n);
        if (leniency_.float32_as_bits) return cJSON_CreateNumber(static_cast<double>(bits));
        float f;
        std::memcpy(&f, &bits, sizeof f);
        return std::isfinite(f) ? float_number(f) : cJSON_CreateNull();
      }
      case 0xcb: {
        if (!sized(8)) break;
        double d;
        std::memcpy(&d, &n, sizeof d);
        return std::isfinite(d) ? float_number(d) : cJSON_CreateNull();
      }
      case 0xcc:
      case 0xcd:
      case 0xce:
      case 0xcf:
        if (!sized(size_t{1} << (b - 0xcc))) break;
        return cJSON_CreateNumber(static_cast<double>(n));
      case 0xd0:
      case 0xd1:
      case 0xd2:
      case 0xd3: {
        const size_t bytes = size_t{1} << (b - 0xd0);
        if (!sized(bytes)) break;
        const int shift = static_cast<int>(64 - 8 * bytes);  // sign-extend
        return cJSON_CreateNumber(static_cast<double>(static_cast<int64_t>(n << shift) >> shift));
      }
      case 0xd4:
      case 0xd5:
      case 0xd6:
      case 0xd7:
      case 0xd8:
        return read_ext(uint64_t{1} << (b - 0xd4));
      case 0xd9:
      case 0xda:
      case 0xdb:
        if (!sized(size_t{1} << (b - 0xd9))) break;
        return read_string(n);
      case 0xdc:
      case 0xdd:
        if (!sized(b == 0xdc ? 2 : 4)) break;
        return read_array(n, depth);
      case 0xde:
      case 0xdf:
        if (!sized(b == 0xde ? 2 : 4)) break;
        return read_map(n, depth);
      default:
        break;
    }
    return fail(MsgpackError::kTruncated, "frame ends inside a value");
  }

  const uint8_t* p_;
  const uint8_t* end_;
  int max_depth_;
  MsgpackLeniency leniency_;
  MsgpackError error_ = MsgpackError::kNone;
  std::string message_;
  MsgpackError not_json_ = MsgpackError::kNone;
  const char* not_json_message_ = "";
};

void pack_string(msgpack_packer& pk, const char* text) {
  const size_t length = std::strlen(text);
  msgpack_pack_str(&pk, length);
  msgpack_pack_str_body(&pk, text, length);
}

void pack_number(msgpack_packer& pk, double d) {
  if (std::isfinite(d) && std::trunc(d) == d && std::fabs(d) < 9.2e18) {
    msgpack_pack_int64(&pk, static_cast<int64_t>(d));
  } else {
    msgpack_pack_double(&pk, d);
  }
}

void pack(msgpack_packer& pk, const cJSON* v) {
  if (cJSON_IsObject(v)) {
    msgpack_pack_map(&pk, static_cast<size_t>(cJSON_GetArraySize(v)));
    for (const cJSON* child = v->child; child; child = child->next) {
      pack_string(pk, child->string ? child->string : "");
      pack(pk, child);
    }
  } else if (cJSON_IsArray(v)) {
    msgpack_pack_array(&pk, static_cast<size_t>(cJSON_GetArraySize(v)));
    for (const cJSON* child = v->child; child; child = child->next) pack(pk, child);
  } else if (cJSON_IsString(v)) {
    pack_string(pk, v->valuestring);
  } else if (cJSON_IsNumber(v)) {
    pack_number(pk, v->valuedouble);
  } else if (cJSON_IsRaw(v)) {
    // Raw values are the exact numeric ids rpc/jsonrpc.cpp writes; integers stay integers.
    char* end = nullptr;
    const long long integer = std::strtoll(v->valuestring, &end, 10);
    if (end && *end == '\0') {
      msgpack_pack_int64(&pk, integer);
    } else {
      msgpack_pack_double(&pk, std::strtod(v->valuestring, nullptr));
    }
  } else if (cJSON_IsTrue(v)) {
    msgpack_pack_true(&pk);
  } else if (cJSON_IsFalse(v)) {
    msgpack_pack_false(&pk);
  } else {
    msgpack_pack_nil(&pk);
  }
}

}  // namespace

MsgpackDecodeResult decode_msgpack(std::string_view bytes, int max_depth,
                                   const MsgpackLeniency& leniency) {
  return Decoder(bytes, max_depth, leniency).run();
}

std::string encode_msgpack(const cJSON* value) {
  MsgpackBuffer sbuf;
  msgpack_packer pk;
  msgpack_packer_init(&pk, &sbuf.buffer, msgpack_sbuffer_write);
  pack(pk, value);
  return std::string(sbuf.buffer.data, sbuf.buffer.size);
}

}  // namespace flake
