// MessagePack codec tests: every format family, JSON-RPC round trips, hostile frames (bounded
// memory, exact error class), and the msgpack-test-suite-style vectors in
// fixtures/msgpack/vectors.json.
#include "reference/codec/msgpack.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <new>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "reference/codec/json_parse.hpp"

// ---- allocation accounting
// ------------------------------------------------------------------------------ §8.8 bounds what
// decoding may allocate, so every byte the decoder can allocate (cJSON nodes through cJSON's hooks,
// std::string through operator new) goes through a counter with a size header.
namespace {

constexpr size_t kHeader = alignof(std::max_align_t);
size_t g_live = 0;
size_t g_peak = 0;

void* counted_malloc(size_t n) {
  auto* base = static_cast<unsigned char*>(std::malloc(n + kHeader));
  if (base == nullptr) return nullptr;
  std::memcpy(base, &n, sizeof n);
  g_live += n;
  if (g_live > g_peak) g_peak = g_live;
  return base + kHeader;
}

void counted_free(void* p) {
  if (p == nullptr) return;
  auto* base = static_cast<unsigned char*>(p) - kHeader;
  size_t n;
  std::memcpy(&n, base, sizeof n);
  g_live -= n;
  std::free(base);
}

// Installed before main so that no cJSON block is ever freed by a different allocator than made it.
[[maybe_unused]] const bool g_hooks_installed = [] {
  cJSON_Hooks hooks{counted_malloc, counted_free};
  cJSON_InitHooks(&hooks);
  return true;
}();

}  // namespace

void* operator new(size_t n) {
  if (void* p = counted_malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n) {
  return ::operator new(n);
}
void operator delete(void* p) noexcept {
  counted_free(p);
}
void operator delete[](void* p) noexcept {
  counted_free(p);
}
void operator delete(void* p, size_t) noexcept {
  counted_free(p);
}
void operator delete[](void* p, size_t) noexcept {
  counted_free(p);
}

namespace flake {

// Readable gtest output for error classes (found by ADL).
void PrintTo(MsgpackError e, std::ostream* os) {
  static constexpr const char* kNames[] = {"kNone",         "kTruncated",   "kTooDeep",
                                           "kReservedByte", "kBadUtf8",     "kTrailingBytes",
                                           "kExtType",      "kNonStringKey"};
  *os << kNames[static_cast<int>(e)];
}

namespace {

constexpr int kDepth = 64;  // docs/protocol.md §8.9
// "A small constant multiple of the message size": a cJSON node is 64 bytes and the densest frames
// spend one byte per node, so 100 bytes per frame byte (plus a constant for messages and
// bookkeeping) is the bar.
constexpr size_t kBytesPerFrameByte = 100;
constexpr size_t kAllocSlack = 4096;

// Decodes with the peak of new allocation measured, then frees the result: whatever is still
// allocated after that has leaked (which the counter sees even without LeakSanitizer).
struct Measured {
  MsgpackError error = MsgpackError::kNone;
  bool has_value = false;
  size_t peak = 0;
  size_t leaked = 0;
};
Measured measured_decode(std::string_view frame, int depth = kDepth) {
  const size_t base = g_live;
  g_peak = g_live;
  Measured m;
  {
    MsgpackDecodeResult r = decode_msgpack(frame, depth);
    m.error = r.error;
    m.has_value = r.value != nullptr;
    m.peak = g_peak - base;
  }
  m.leaked = g_live - base;
  return m;
}

// "dd ff-ff" -> bytes; spaces and dashes are separators.
std::string hex(std::string_view text) {
  std::string out;
  int nibbles = 0, acc = 0;
  for (char c : text) {
    if (c == ' ' || c == '-') continue;
    acc =
        acc * 16 + (std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : (c | 0x20) - 'a' + 10);
    if (++nibbles == 2) {
      out.push_back(static_cast<char>(acc));
      nibbles = acc = 0;
    }
  }
  return out;
}

std::string to_hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    if (!out.empty()) out += ' ';
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

std::string be(uint64_t v, int n) {
  std::string out;
  for (int i = n - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  return out;
}

// A str in the given header form: 0 = fixstr, 1 = str8, 2 = str16, 4 = str32.
std::string str(std::string_view s, int width = 0) {
  std::string out;
  if (width == 0) out.push_back(static_cast<char>(0xa0 | s.size()));
  if (width == 1) out += '\xd9' + be(s.size(), 1);
  if (width == 2) out += '\xda' + be(s.size(), 2);
  if (width == 4) out += '\xdb' + be(s.size(), 4);
  return out + std::string(s);
}

JsonPtr json(std::string_view text) {
  ParseResult r = parse_json(text, 1000);
  if (!r.value) throw std::runtime_error("bad test JSON: " + std::string(text));
  return std::move(r.value);
}

// Exact structural equality: numbers compared bit-for-bit as values, members in order.
bool same(const cJSON* a, const cJSON* b) {
  if (a == nullptr || b == nullptr) return a == b;
  if ((a->type & 0xff) != (b->type & 0xff)) return false;
  if (cJSON_IsNumber(a)) return a->valuedouble == b->valuedouble;
  if (cJSON_IsString(a)) return std::strcmp(a->valuestring, b->valuestring) == 0;
  if (cJSON_IsArray(a) || cJSON_IsObject(a)) {
    const cJSON* x = a->child;
    const cJSON* y = b->child;
    for (; x != nullptr && y != nullptr; x = x->next, y = y->next) {
      if (cJSON_IsObject(a) && std::strcmp(x->string, y->string) != 0) return false;
      if (!same(x, y)) return false;
    }
    return x == nullptr && y == nullptr;
  }
  return true;
}

// Decodes a frame that must be valid and checks it against the expected JSON text.
void expect_decodes(std::string_view frame, std::string_view expected_json) {
  MsgpackDecodeResult r = decode_msgpack(frame, kDepth);
  ASSERT_EQ(r.error, MsgpackError::kNone) << to_hex(frame) << ": " << r.message;
  ASSERT_TRUE(r.value) << to_hex(frame);
  JsonPtr expected = json(expected_json);
  EXPECT_TRUE(same(r.value.get(), expected.get()))
      << to_hex(frame) << " -> " << print_json(r.value.get()) << ", expected " << expected_json;
}

double number_of(std::string_view frame) {
  MsgpackDecodeResult r = decode_msgpack(frame, kDepth);
  EXPECT_TRUE(cJSON_IsNumber(r.value.get())) << to_hex(frame) << ": " << r.message;
  return r.value ? r.value->valuedouble : std::nan("");
}

// Every rejection: the expected class, no value, a reason, and memory within the §8.8 bound.
void expect_error(std::string_view frame, MsgpackError expected, int depth = kDepth) {
  {
    MsgpackDecodeResult r = decode_msgpack(frame, depth);
    EXPECT_EQ(r.error, expected) << to_hex(frame.substr(0, 64)) << ": " << r.message;
    EXPECT_FALSE(r.value) << to_hex(frame.substr(0, 64));
    EXPECT_FALSE(r.message.empty());
  }
  const Measured m = measured_decode(frame, depth);
  EXPECT_LE(m.peak, kBytesPerFrameByte * frame.size() + kAllocSlack) << to_hex(frame.substr(0, 64));
  EXPECT_EQ(m.leaked, 0u) << to_hex(frame.substr(0, 64));
}

// ---- format families
// ------------------------------------------------------------------------------------

TEST(MsgpackDecode, NilAndBool) {
  expect_decodes(hex("c0"), "null");
  expect_decodes(hex("c2"), "false");
  expect_decodes(hex("c3"), "true");
}

TEST(MsgpackDecode, Fixints) {
  for (int b = 0; b <= 0x7f; ++b) EXPECT_EQ(number_of(std::string(1, static_cast<char>(b))), b);
  for (int b = 0xe0; b <= 0xff; ++b)
    EXPECT_EQ(number_of(std::string(1, static_cast<char>(b))), b - 256);
}

TEST(MsgpackDecode, UnsignedIntegers) {
  EXPECT_EQ(number_of(hex("cc 00")), 0);
  EXPECT_EQ(number_of(hex("cc ff")), 255);
  EXPECT_EQ(number_of(hex("cd 01 00")), 256);
  EXPECT_EQ(number_of(hex("cd ff ff")), 65535);
  EXPECT_EQ(number_of(hex("ce 00 01 00 00")), 65536);
  EXPECT_EQ(number_of(hex("ce ff ff ff ff")), 4294967295.0);
  EXPECT_EQ(number_of(hex("cf 00 00 00 01 00 00 00 00")), 4294967296.0);
  EXPECT_EQ(number_of(hex("cf 00 1f ff ff ff ff ff ff")), 9007199254740991.0);
  EXPECT_EQ(number_of(hex("cf 00 00 01 93 64 0d 18 00")), 1732550400000.0);
  // Above 2^53 the JSON data model holds the nearest double.
  EXPECT_EQ(number_of(hex("cf ff ff ff ff ff ff ff ff")), 18446744073709551615.0);
}

TEST(MsgpackDecode, SignedIntegers) {
  EXPECT_EQ(number_of(hex("d0 7f")), 127);
  EXPECT_EQ(number_of(hex("d0 80")), -128);
  EXPECT_EQ(number_of(hex("d0 ff")), -1);
  EXPECT_EQ(number_of(hex("d1 7f ff")), 32767);
  EXPECT_EQ(number_of(hex("d1 80 00")), -32768);
  EXPECT_EQ(number_of(hex("d2 7f ff ff ff")), 2147483647);
  EXPECT_EQ(number_of(hex("d2 80 00 00 00")), -2147483648.0);
  EXPECT_EQ(number_of(hex("d3 7f ff ff ff ff ff ff ff")), 9223372036854775807.0);
  EXPECT_EQ(number_of(hex("d3 80 00 00 00 00 00 00 00")), -9223372036854775808.0);
  EXPECT_EQ(number_of(hex("d3 ff ff ff ff ff ff ff ff")), -1);
  EXPECT_EQ(number_of(hex("d3 ff e0 00 00 00 00 00 01")), -9007199254740991.0);
}

TEST(MsgpackDecode, Floats) {
  EXPECT_EQ(number_of(hex("ca 3f c0 00 00")), 1.5);
  EXPECT_EQ(number_of(hex("ca bf 80 00 00")), -1.0);
  EXPECT_EQ(number_of(hex("ca 7f 7f ff ff")), 3.4028234663852886e38);
  EXPECT_EQ(number_of(hex("ca 00 00 00 01")), 1.401298464324817e-45);
  EXPECT_EQ(number_of(hex("ca 3d cc cc cd")), static_cast<double>(0.1f));
  EXPECT_EQ(number_of(hex("cb 3f f8 00 00 00 00 00 00")), 1.5);
  EXPECT_EQ(number_of(hex("cb 3f b9 99 99 99 99 99 9a")), 0.1);
  EXPECT_EQ(number_of(hex("cb 7f ef ff ff ff ff ff ff")), 1.7976931348623157e308);
  EXPECT_EQ(number_of(hex("cb 00 00 00 00 00 00 00 01")), 5e-324);
  const double negative_zero = number_of(hex("cb 80 00 00 00 00 00 00 00"));
  EXPECT_EQ(negative_zero, 0.0);
  EXPECT_TRUE(std::signbit(negative_zero));
  // JSON has no NaN or infinity: they decode as null (a number in the frame, never a crash).
  expect_decodes(hex("ca 7f c0 00 00"), "null");
  expect_decodes(hex("ca ff 80 00 00"), "null");
  expect_decodes(hex("cb 7f f8 00 00 00 00 00 00"), "null");
  expect_decodes(hex("cb 7f f0 00 00 00 00 00 00"), "null");
  expect_decodes(hex("cb ff f0 00 00 00 00 00 00"), "null");
}

TEST(MsgpackDecode, StringsInEveryWidth) {
  for (const std::string& s : {std::string(), std::string("a"), std::string(31, 'x')}) {
    const std::string expected = "\"" + s + "\"";
    expect_decodes(str(s, 0), expected);
    expect_decodes(str(s, 1), expected);
    expect_decodes(str(s, 2), expected);
    expect_decodes(str(s, 4), expected);
  }
  expect_decodes(str(std::string(255, 'y'), 1), "\"" + std::string(255, 'y') + "\"");
  expect_decodes(str(std::string(65535, 'z'), 2), "\"" + std::string(65535, 'z') + "\"");
  expect_decodes(str(std::string(70000, 'w'), 4), "\"" + std::string(70000, 'w') + "\"");
  expect_decodes(hex("a2 c3 a9"), "\"\xc3\xa9\"");
  expect_decodes(hex("a4 f0 9f 98 80"), "\"\xf0\x9f\x98\x80\"");
  expect_decodes(hex("a4 f4 8f bf bf"), "\"\xf4\x8f\xbf\xbf\"");  // U+10FFFF, the last code point
}

TEST(MsgpackDecode, BinBecomesBase64InEveryWidth) {
  const std::pair<std::string, const char*> cases[] = {
      {"", ""},        {"f", "Zg=="},        {"fo", "Zm8="},
      {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}, {std::string("\xff\x00\xfe", 3), "/wD+"}};
  for (const auto& [data, b64] : cases) {
    const std::string expected = std::string("\"") + b64 + "\"";
    expect_decodes('\xc4' + be(data.size(), 1) + data, expected);
    expect_decodes('\xc5' + be(data.size(), 2) + data, expected);
    expect_decodes('\xc6' + be(data.size(), 4) + data, expected);
  }
  // Natural bin32: 70,002 zero bytes are 93,336 'A's.
  MsgpackDecodeResult r = decode_msgpack('\xc6' + be(70002, 4) + std::string(70002, '\0'), kDepth);
  ASSERT_TRUE(cJSON_IsString(r.value.get()));
  EXPECT_EQ(std::string(r.value->valuestring), std::string(93336, 'A'));
}

TEST(MsgpackDecode, ArraysInEveryWidth) {
  expect_decodes(hex("90"), "[]");
  expect_decodes(hex("dc 00 00"), "[]");
  expect_decodes(hex("dd 00 00 00 00"), "[]");
  expect_decodes(hex("93 01 a1 61 c0"), R"([1,"a",null])");
  expect_decodes(hex("dc 00 03 01 a1 61 c0"), R"([1,"a",null])");
  expect_decodes(hex("dd 00 00 00 03 01 a1 61 c0"), R"([1,"a",null])");
  std::string fifteen = "\x9f", expected15 = "[";
  for (int i = 0; i < 15; ++i) {
    fifteen.push_back(static_cast<char>(i));
    expected15 += (i ? "," : "") + std::to_string(i);
  }
  expect_decodes(fifteen, expected15 + "]");
  // Natural array32: 70,000 nils.
  MsgpackDecodeResult r =
      decode_msgpack('\xdd' + be(70000, 4) + std::string(70000, '\xc0'), kDepth);
  ASSERT_TRUE(cJSON_IsArray(r.value.get()));
  EXPECT_EQ(cJSON_GetArraySize(r.value.get()), 70000);
}

TEST(MsgpackDecode, MapsInEveryWidth) {
  expect_decodes(hex("80"), "{}");
  expect_decodes(hex("de 00 00"), "{}");
  expect_decodes(hex("df 00 00 00 00"), "{}");
  expect_decodes(hex("82 a1 61 01 a1 62 92 c3 c2"), R"({"a":1,"b":[true,false]})");
  expect_decodes(hex("de 00 02 a1 61 01 a1 62 92 c3 c2"), R"({"a":1,"b":[true,false]})");
  expect_decodes(hex("df 00 00 00 02 a1 61 01 a1 62 92 c3 c2"), R"({"a":1,"b":[true,false]})");
  expect_decodes(hex("81 a0 a0"), R"({"":""})");
  // Natural map32: 70,000 distinct keys.
  std::string frame = '\xdf' + be(70000, 4);
  for (int i = 0; i < 70000; ++i) frame += str("k" + std::to_string(i)) + '\xc0';
  MsgpackDecodeResult r = decode_msgpack(frame, kDepth);
  ASSERT_TRUE(cJSON_IsObject(r.value.get())) << r.message;
  EXPECT_EQ(cJSON_GetArraySize(r.value.get()), 70000);
  EXPECT_TRUE(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(r.value.get(), "k69999")));
}

TEST(MsgpackDecode, DuplicateKeysAreAllKeptForTheCallerToResolve) {
  // ws/connection.cpp applies "last wins" (§8.10) with keep_last_duplicate_keys after decoding.
  MsgpackDecodeResult r = decode_msgpack(hex("82 a2 69 64 01 a2 69 64 02"), kDepth);
  ASSERT_TRUE(r.value);
  keep_last_duplicate_keys(r.value.get());
  EXPECT_EQ(print_json(r.value.get()), R"({"id":2})");
}

// ---- encoding
// ---------------------------------------------------------------------------------------------

TEST(MsgpackEncode, ShortestIntegerFormsAndDoubles) {
  JsonPtr v = json(
      "[0,127,128,255,256,65535,65536,4294967295,4294967296,-1,-32,-33,-128,-129,-32768,-32769,"
      "-2147483648,-2147483649,1.5,-0.25,1e300]");
  EXPECT_EQ(to_hex(encode_msgpack(v.get())),
            "dc 00 15 00 7f cc 80 cc ff cd 01 00 cd ff ff ce 00 01 00 00 ce ff ff ff ff "
            "cf 00 00 00 01 00 00 00 00 ff e0 d0 df d0 80 d1 ff 7f d1 80 00 d2 ff ff 7f ff d2 80 "
            "00 00 00 "
            "d3 ff ff ff ff 7f ff ff ff cb 3f f8 00 00 00 00 00 00 cb bf d0 00 00 00 00 00 00 "
            "cb 7e 37 e4 3c 88 00 75 9c");
}

TEST(MsgpackEncode, ScalarsStringsAndContainers) {
  EXPECT_EQ(to_hex(encode_msgpack(json("null").get())), "c0");
  EXPECT_EQ(to_hex(encode_msgpack(json("true").get())), "c3");
  EXPECT_EQ(to_hex(encode_msgpack(json("false").get())), "c2");
  EXPECT_EQ(to_hex(encode_msgpack(json(R"("")").get())), "a0");
  EXPECT_EQ(to_hex(encode_msgpack(json(R"({"a":[1,{}],"b":"é"})").get())),
            "82 a1 61 92 01 80 a1 62 a2 c3 a9");
  // Header widths follow the length: fix, then 8-, 16- and 32-bit forms.
  for (auto [length, header] : {std::pair<size_t, const char*>{31, "bf"},
                                {32, "d9 20"},
                                {255, "d9 ff"},
                                {256, "da 01 00"},
                                {65535, "da ff ff"},
                                {65536, "db 00 01 00 00"}}) {
    JsonPtr s(cJSON_CreateString(std::string(length, 'q').c_str()));
    const std::string bytes = encode_msgpack(s.get());
    EXPECT_EQ(to_hex(bytes.substr(0, bytes.size() - length)), header) << length;
  }
  for (auto [count, array_header, map_header] :
       {std::tuple<int, const char*, const char*>{15, "9f", "8f"},
        {16, "dc 00 10", "de 00 10"},
        {65535, "dc ff ff", "de ff ff"},
        {65536, "dd 00 01 00 00", "df 00 01 00 00"}}) {
    JsonPtr array(cJSON_CreateArray());
    JsonPtr object(cJSON_CreateObject());
    for (int i = 0; i < count; ++i) {
      cJSON_AddItemToArray(array.get(), cJSON_CreateNull());
      cJSON_AddItemToObject(object.get(), std::to_string(i).c_str(), cJSON_CreateNull());
    }
    const std::string a = encode_msgpack(array.get());
    const std::string m = encode_msgpack(object.get());
    EXPECT_EQ(to_hex(a.substr(0, a.size() - count)), array_header);
    EXPECT_EQ(to_hex(m.substr(0, hex(map_header).size())), map_header);
    MsgpackDecodeResult back = decode_msgpack(m, kDepth);
    ASSERT_TRUE(back.value) << back.message;
    EXPECT_TRUE(same(back.value.get(), object.get()));
  }
}

TEST(MsgpackEncode, RawIdsStayExact) {
  // rpc/jsonrpc.cpp writes numeric ids as raw text; integers must stay integers.
  JsonPtr object(cJSON_CreateObject());
  cJSON_AddItemToObject(object.get(), "id", cJSON_CreateRaw("9007199254740993"));
  cJSON_AddItemToObject(object.get(), "x", cJSON_CreateRaw("-5"));
  cJSON_AddItemToObject(object.get(), "y", cJSON_CreateRaw("2.5"));
  EXPECT_EQ(to_hex(encode_msgpack(object.get())),
            "83 a2 69 64 cf 00 20 00 00 00 00 00 01 a1 78 fb a1 79 cb 40 04 00 00 00 00 00 00");
}

TEST(MsgpackRoundTrip, JsonRpcMessages) {
  const char* messages[] = {
      R"({"jsonrpc":"2.0","method":"auth.authenticate","params":{"token":"s3cret","clientInfo":{"version":"1.2.0","platform":"macos"}},"id":1})",
      R"({"jsonrpc":"2.0","method":"system.ping","id":"abc-123"})",
      R"({"jsonrpc":"2.0","method":"vercel.getDeployments","params":{"limit":20,"cursor":null},"id":null})",
      R"({"jsonrpc":"2.0","id":1,"result":{"sessionId":"0123456789abcdef0123456789abcdef","server":{"name":"flake-sidecar","version":"0.1.0","protocol":"flake.v1"},"capabilities":{"msgpack":true,"batch":true,"maxBatch":100,"maxMessageBytes":16777216,"compression":["permessage-deflate"],"resumeGraceMs":30000,"rateLimit":{"rate":10000,"burst":20000}}}})",
      R"({"jsonrpc":"2.0","id":7,"error":{"code":-32002,"message":"rate limited","data":{"retryAfterMs":12}}})",
      R"({"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}})",
      R"({"jsonrpc":"2.0","method":"logs.update","params":{"subscription":"sub-1","service":"vercel","seq":1,"entries":[{"ts":1732550400000,"level":"info","message":"build started","source":"builder"},{"ts":1732550400250,"level":"warn","message":"cache miss \"é\" \u00e9\ud83d\ude00","source":"builder"}]}})",
      R"({"jsonrpc":"2.0","method":"metrics.update","params":{"subscription":"sub-2","service":"aws","seq":2,"metrics":{"cpu":47.7,"errorRate":0.0013,"memoryMb":536,"neg":-1e-7}}})",
      R"([{"jsonrpc":"2.0","method":"system.ping","id":1},{"jsonrpc":"2.0","method":"note"},{"jsonrpc":"2.0","method":"x","params":[1,2.5,[],{},"",false,true,null],"id":-9007199254740991}])",
      R"({"jsonrpc":"2.0","id":3,"result":{"deployments":[],"pagination":{"next":null,"total":0}}})",
  };
  for (const char* text : messages) {
    JsonPtr original = json(text);
    const std::string bytes = encode_msgpack(original.get());
    MsgpackDecodeResult back = decode_msgpack(bytes, kDepth);
    ASSERT_EQ(back.error, MsgpackError::kNone) << text << ": " << back.message;
    EXPECT_TRUE(same(back.value.get(), original.get()))
        << text << "\n -> " << print_json(back.value.get());
    EXPECT_EQ(print_json(back.value.get()), print_json(original.get()));
    EXPECT_EQ(encode_msgpack(back.value.get()), bytes) << "re-encoding is stable";
  }
}

// ---- hostile frames
// ---------------------------------------------------------------------------------------

TEST(MsgpackHostile, DeclaredLengthBombsFailBeforeAllocating) {
  const char* bombs[] = {"dd ff ff ff ff",
                         "dd ff ff ff ff 01 02 03",
                         "df ff ff ff ff",
                         "df ff ff ff ff a1 61 01",
                         "db ff ff ff ff",
                         "db ff ff ff ff 61 62 63",
                         "c6 ff ff ff ff",
                         "c6 ff ff ff ff 00 01",
                         "dc ff ff",
                         "de ff ff",
                         "da ff ff",
                         "c5 ff ff",
                         "d9 ff",
                         "c4 ff",
                         "c9 ff ff ff ff 01",
                         "91 91 91 dd ff ff ff ff",
                         "81 a1 61 df ff ff ff ff",
                         "93 01 02 dd 7f ff ff ff",
                         "dd 00 00 00 05 01 02 03 04",
                         "df 00 00 00 03 a1 61 01 a1 62"};
  for (const char* bomb : bombs) {
    const std::string frame = hex(bomb);
    expect_error(frame, MsgpackError::kTruncated);
    EXPECT_LE(measured_decode(frame).peak, size_t{1024})
        << bomb << ": nothing sized by the declared length";
  }
  // The same bombs after a megabyte of real content: still only what the content needs.
  std::string padded =
      '\xdd' + be(2, 4) + str(std::string(1 << 20, 'p'), 4) + hex("dd ff ff ff ff 00");
  expect_error(padded, MsgpackError::kTruncated);
}

TEST(MsgpackHostile, LengthsAreCheckedAgainstBytesPerElement) {
  // §8.8: at least 1 byte per array element and 2 per map entry.
  expect_error('\xdc' + be(4, 2) + std::string(3, '\xc0'), MsgpackError::kTruncated);
  expect_decodes('\xdc' + be(3, 2) + std::string(3, '\xc0'), "[null,null,null]");
  expect_error('\xde' + be(3, 2) + hex("a0 c0 a0 c0 a0"), MsgpackError::kTruncated);
  MsgpackDecodeResult exact = decode_msgpack('\xde' + be(3, 2) + hex("a0 c0 a0 c0 a0 c0"), kDepth);
  ASSERT_TRUE(exact.value) << exact.message;
  EXPECT_EQ(cJSON_GetArraySize(exact.value.get()), 3);
}

TEST(MsgpackHostile, DenseFramesStayWithinTheMemoryBound) {
  for (const std::string& frame : {'\xdd' + be(200000, 4) + std::string(200000, '\xc0'),
                                   '\xdd' + be(200000, 4) + std::string(200000, '\x90'),
                                   '\xdd' + be(200000, 4) + std::string(200000, '\xa0')}) {
    const Measured m = measured_decode(frame);
    EXPECT_EQ(m.error, MsgpackError::kNone);
    EXPECT_LE(m.peak, kBytesPerFrameByte * frame.size() + kAllocSlack);
    EXPECT_GE(m.peak, 32 * frame.size()) << "the allocation counter must see cJSON's nodes";
    EXPECT_EQ(m.leaked, 0u);
  }
  std::string bins = '\xdd' + be(100000, 4), maps = '\xdf' + be(100000, 4);
  for (int i = 0; i < 100000; ++i) {
    bins += hex("c4 00");
    maps += hex("a0 80");
  }
  for (const std::string& frame : {bins, maps}) {
    const Measured m = measured_decode(frame);
    EXPECT_EQ(m.error, MsgpackError::kNone);
    EXPECT_LE(m.peak, kBytesPerFrameByte * frame.size() + kAllocSlack);
  }
}

// A message that uses every family, so its prefixes cut every kind of header and body.
std::string every_family_message() {
  std::string m = '\xde' + be(23, 2);
  m += str("fixint") + hex("05") + str("negfix") + hex("e0") + str("u8") + hex("cc ff");
  m += str("u16") + hex("cd 01 00") + str("u32") + hex("ce 00 01 00 00") + str("u64") +
       hex("cf 00 00 00 01 00 00 00 00");
  m += str("i8") + hex("d0 80") + str("i16") + hex("d1 80 00") + str("i32") + hex("d2 80 00 00 00");
  m += str("i64") + hex("d3 ff ff ff ff 7f ff ff ff") + str("f32") + hex("ca 3f c0 00 00");
  m += str("f64") + hex("cb 3f f8 00 00 00 00 00 00") + str("s8", 1) + str("h\xc3\xa9llo", 1);
  m += str("s16", 2) + str("abc", 2) + str("s32", 4) + str("hi", 4);
  m += str("b8") + hex("c4 02 01 02") + str("b16") + hex("c5 00 01 ff") + str("b32") +
       hex("c6 00 00 00 03 61 62 63");
  m += str("a16") + hex("dc 00 02 c0 c3") + str("a32") + hex("dd 00 00 00 02 c2 90");
  m += str("m16") + hex("de 00 01 a1 6b c0") + str("m32") + hex("df 00 00 00 01 a1 6b 80");
  m += str("fa") + hex("93 01 92 02 03 81 a1 78 91 c0");
  return m;
}

TEST(MsgpackHostile, EveryFamilyMessageDecodes) {
  expect_decodes(
      every_family_message(),
      R"({"fixint":5,"negfix":-32,"u8":255,"u16":256,"u32":65536,"u64":4294967296,"i8":-128,)"
      R"("i16":-32768,"i32":-2147483648,"i64":-2147483649,"f32":1.5,"f64":1.5,"s8":"héllo",)"
      R"("s16":"abc","s32":"hi","b8":"AQI=","b16":"/w==","b32":"YWJj","a16":[null,true],)"
      R"("a32":[false,[]],"m16":{"k":null},"m32":{"k":{}},"fa":[1,[2,3],{"x":[null]}]})");
}

TEST(MsgpackHostile, TruncationAtEveryByteIsTruncated) {
  std::vector<std::string> messages = {every_family_message()};
  for (
      const char* text :
      {R"({"jsonrpc":"2.0","method":"logs.getLarge","params":{"service":"vercel","timeRange":"1h","format":"msgpack","compress":true},"id":42})",
       R"([{"jsonrpc":"2.0","method":"system.ping","id":1},{"jsonrpc":"2.0","id":2,"result":{"now":1733011200000,"x":-1.5e-7}}])"}) {
    messages.push_back(encode_msgpack(json(text).get()));
  }
  for (const std::string& message : messages) {
    ASSERT_EQ(decode_msgpack(message, kDepth).error, MsgpackError::kNone);
    for (size_t cut = 0; cut < message.size(); ++cut) {
      SCOPED_TRACE("prefix of " + std::to_string(cut) + " of " + std::to_string(message.size()) +
                   " bytes");
      expect_error(std::string_view(message).substr(0, cut), MsgpackError::kTruncated);
    }
  }
}

TEST(MsgpackHostile, ReservedByte) {
  for (const char* frame : {"c1", "91 c1", "81 a1 61 c1", "92 01 c1", "dc 00 02 c0 c1"}) {
    expect_error(hex(frame), MsgpackError::kReservedByte);
  }
}

TEST(MsgpackHostile, BadUtf8AndNulInStr) {
  for (const char* frame : {"a1 ff",
                            "a1 80",
                            "a2 c3 28",
                            "a2 c0 80",
                            "a2 c1 bf",
                            "a3 e0 80 af",
                            "a3 ed a0 80",
                            "a3 ed bf bf",
                            "a4 f4 90 80 80",
                            "a4 f8 88 80 80",
                            "a1 e2",
                            "a2 e2 82",
                            "a1 00",
                            "a3 61 00 62",
                            "d9 02 c3 28",
                            "da 00 01 00",
                            "db 00 00 00 01 ff",
                            "81 a1 ff c0",
                            "81 a2 61 00 c0",
                            "91 a1 fe"}) {
    expect_error(hex(frame), MsgpackError::kBadUtf8);
  }
}

TEST(MsgpackHostile, TrailingBytes) {
  for (const char* frame : {"c0 c0", "01 02", "90 00", "80 80", "a1 61 61", "91 01 01", "c3 c1"}) {
    expect_error(hex(frame), MsgpackError::kTrailingBytes);
  }
}

std::string nested_arrays(int depth) {
  return std::string(static_cast<size_t>(depth), '\x91') + '\xc0';
}
std::string nested_maps(int depth) {
  std::string out;
  for (int i = 0; i < depth; ++i) out += hex("81 a1 61");
  return out + '\xc0';
}

TEST(MsgpackHostile, DepthLimit) {
  // §8.9: a scalar is depth 0, each array or map adds one; 64 is accepted, 65 is not.
  for (auto nested : {nested_arrays, nested_maps}) {
    EXPECT_EQ(decode_msgpack(nested(64), kDepth).error, MsgpackError::kNone);
    expect_error(nested(65), MsgpackError::kTooDeep);
    expect_error(nested(100000), MsgpackError::kTooDeep);
  }
  EXPECT_EQ(decode_msgpack(std::string(63, '\x91') + '\x90', kDepth).error, MsgpackError::kNone);
  expect_error(std::string(64, '\x91') + '\x90', MsgpackError::kTooDeep);
  std::string mixed;
  for (int i = 0; i < 32; ++i) mixed += hex("91 81 a0");
  EXPECT_EQ(decode_msgpack(mixed + '\xc0', kDepth).error, MsgpackError::kNone);
  expect_error(mixed + hex("90"), MsgpackError::kTooDeep);
  expect_error(mixed + hex("80"), MsgpackError::kTooDeep);
  // The limit is the caller's.
  EXPECT_EQ(decode_msgpack(hex("91 c0"), 1).error, MsgpackError::kNone);
  expect_error(hex("91 91 c0"), MsgpackError::kTooDeep, 1);
}

TEST(MsgpackHostile, ExtTypes) {
  for (const char* frame :
       {"d4 01 00", "d5 01 00 00", "d6 ff 00 00 00 00", "d7 ff 00 00 00 00 00 00 00 00",
        "d8 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00", "c7 00 01", "c7 02 01 aa bb",
        "c8 00 05 01 00 00 00 00 00", "c9 00 00 00 01 05 aa", "91 d4 01 00",
        "81 a1 61 d6 ff 00 00 00 00", "92 d4 01 00 d4 02 00"}) {
    expect_error(hex(frame), MsgpackError::kExtType);
  }
  for (const char* frame : {"d4 01", "d8 01 00", "c7 05 01 00", "c8 00", "c9 ff ff ff ff 01"}) {
    expect_error(hex(frame), MsgpackError::kTruncated);
  }
}

TEST(MsgpackHostile, NonStringKeys) {
  for (const char* frame : {"81 01 01", "81 c0 c0", "81 c3 01", "81 90 01", "81 80 01",
                            "81 ca 3f c0 00 00 01", "81 c4 01 61 01", "81 c5 00 00 01",
                            "91 81 01 01", "81 a1 61 81 d0 ff c0", "82 a1 61 01 cc 05 02"}) {
    expect_error(hex(frame), MsgpackError::kNonStringKey);
  }
}

TEST(MsgpackHostile, ParseErrorsOutrankExtAndNonStringKeys) {
  // §2.3: ext values and non-str keys "decode but are not JSON-RPC values" (-32600); a frame that
  // is not valid MessagePack anywhere is a parse error (-32700) whatever else it holds.
  expect_error(hex("d4 01 00 c0"), MsgpackError::kTrailingBytes);
  expect_error(hex("81 01 01 c0"), MsgpackError::kTrailingBytes);
  expect_error(hex("92 d4 01 00 c1"), MsgpackError::kReservedByte);
  expect_error(hex("82 01 01 a1 61 c1"), MsgpackError::kReservedByte);
  expect_error(hex("92 d4 01 00 a1 ff"), MsgpackError::kBadUtf8);
  expect_error(hex("82 01 01 a1 ff c0"), MsgpackError::kBadUtf8);
  expect_error(hex("92 d4 01 00 a2 61"), MsgpackError::kTruncated);
  expect_error(hex("82 01 01 a1 61"), MsgpackError::kTruncated);
  expect_error(hex("92 d4 01 00") + nested_arrays(64), MsgpackError::kTooDeep);
  // Between the two -32600 classes, the first one in the frame is reported.
  expect_error(hex("92 d4 01 00 81 01 01"), MsgpackError::kExtType);
  expect_error(hex("92 81 01 01 d4 01 00"), MsgpackError::kNonStringKey);
}

TEST(MsgpackHostile, MutatedFramesNeverCrashOrOverAllocate) {
  // Deterministic byte mutations of valid frames: whatever the outcome, exactly one of value/error,
  // and memory within the bound.
  std::vector<std::string> seeds = {
      every_family_message(),
      encode_msgpack(json(R"({"jsonrpc":"2.0","method":"logs.subscribe",)"
                          R"("params":{"service":"vercel","level":"info"},"id":5})")
                         .get())};
  uint64_t state = 0x9e3779b97f4a7c15ULL;
  auto next = [&state] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  for (int round = 0; round < 20000; ++round) {
    std::string frame = seeds[static_cast<size_t>(round) % seeds.size()];
    const int edits = 1 + static_cast<int>(next() % 4);
    for (int e = 0; e < edits; ++e) frame[next() % frame.size()] = static_cast<char>(next());
    if (next() % 4 == 0) frame.resize(next() % frame.size());
    const Measured m = measured_decode(frame);
    EXPECT_EQ(m.has_value, m.error == MsgpackError::kNone);
    ASSERT_EQ(m.leaked, 0u) << to_hex(frame);
    ASSERT_LE(m.peak, kBytesPerFrameByte * frame.size() + kAllocSlack) << to_hex(frame);
  }
}

// ---- fixtures/msgpack/vectors.json
// ------------------------------------------------------------------------

JsonPtr load_vectors() {
  std::ifstream in(std::string(FLAKE_TEST_FIXTURES) + "/msgpack/vectors.json", std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return json(text.str());
}

MsgpackError error_class(std::string_view name) {
  static const std::map<std::string_view, MsgpackError> kClasses = {
      {"truncated", MsgpackError::kTruncated}, {"reserved", MsgpackError::kReservedByte},
      {"utf8", MsgpackError::kBadUtf8},        {"trailing", MsgpackError::kTrailingBytes},
      {"ext", MsgpackError::kExtType},         {"nonStringKey", MsgpackError::kNonStringKey},
      {"tooDeep", MsgpackError::kTooDeep}};
  auto it = kClasses.find(name);
  return it == kClasses.end() ? MsgpackError::kNone : it->second;
}

// The JSON value a valid case must decode to (bignum: the nearest double; binary: the base64 text).
JsonPtr expected_value(const cJSON* c, std::string& kind) {
  for (const cJSON* m = c->child; m != nullptr; m = m->next) {
    kind = m->string;
    if (kind == "msgpack") continue;
    if (kind == "bignum") return JsonPtr(cJSON_CreateNumber(std::strtod(m->valuestring, nullptr)));
    if (kind == "binary") {
      const std::string raw = hex(m->valuestring);
      MsgpackDecodeResult as_bin = decode_msgpack('\xc6' + be(raw.size(), 4) + raw, kDepth);
      return std::move(as_bin.value);
    }
    return clone(m);
  }
  return nullptr;
}

TEST(MsgpackVectors, EveryValidEncodingDecodesToItsValueAndEveryInvalidOneIsRejected) {
  JsonPtr groups = load_vectors();
  ASSERT_TRUE(cJSON_IsArray(groups.get()))
      << "fixtures/msgpack/vectors.json missing or not an array";
  std::map<std::string, int> encodings_per_kind;
  for (const cJSON* group = groups->child; group != nullptr; group = group->next) {
    const std::string name(string_member(group, "name").value_or("?"));
    for (const cJSON* c = member(group, "cases")->child; c != nullptr; c = c->next) {
      const cJSON* encodings = member(c, "msgpack");
      ASSERT_TRUE(cJSON_IsArray(encodings)) << name;
      if (auto what = string_member(c, "invalid")) {
        const MsgpackError expected = error_class(string_member(c, "error").value_or(""));
        ASSERT_NE(expected, MsgpackError::kNone) << name << ": " << *what;
        for (const cJSON* e = encodings->child; e != nullptr; e = e->next) {
          SCOPED_TRACE(name + ": " + std::string(*what) + ": " +
                       std::string(e->valuestring).substr(0, 60));
          expect_error(hex(e->valuestring), expected);
          ++encodings_per_kind["invalid"];
        }
        continue;
      }
      std::string kind;
      JsonPtr expected = expected_value(c, kind);
      ASSERT_TRUE(expected) << name;
      for (const cJSON* e = encodings->child; e != nullptr; e = e->next) {
        MsgpackDecodeResult r = decode_msgpack(hex(e->valuestring), kDepth);
        ASSERT_EQ(r.error, MsgpackError::kNone)
            << name << ": " << e->valuestring << ": " << r.message;
        EXPECT_TRUE(same(r.value.get(), expected.get()))
            << name << ": " << std::string(e->valuestring).substr(0, 80) << " -> "
            << print_json(r.value.get());
        ++encodings_per_kind[kind];
      }
    }
  }
  for (const char* kind :
       {"nil", "bool", "number", "bignum", "string", "binary", "array", "map", "invalid"}) {
    EXPECT_GT(encodings_per_kind[kind], 0) << "no vectors of kind " << kind;
  }
  EXPECT_GT(encodings_per_kind["invalid"], 80);
}

}  // namespace
}  // namespace flake
