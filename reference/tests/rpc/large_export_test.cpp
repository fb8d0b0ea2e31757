// logs.getLarge payloads: 50,000 entries in every format, reassembled and checked the way a client
// would (bytes, sha256, base64 or bin, zlib, MessagePack, order), plus the §6.11 example,
// shortening and params.
#include "reference/rpc/large_export.hpp"

#include <gtest/gtest.h>
#include <msgpack.h>
#include <openssl/evp.h>
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "reference/codec/json_parse.hpp"
#include "reference/codec/msgpack.hpp"
#include "reference/codec/utf8.hpp"

namespace flake {
namespace {

constexpr int kEntries = 50'000;
constexpr int64_t kBaseTs = 1'733'011'200'000;
constexpr char kEmptySha256[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

JsonPtr json(std::string_view text) {
  ParseResult r = parse_json(text);
  if (!r.value) throw std::runtime_error("bad test JSON: " + std::string(text));
  return std::move(r.value);
}

// Entries like the log history's: ts ascending (with ties), the four levels, a message with a
// pseudo-random token (so zlib has work to do and compressed exports still take several chunks),
// and n.
JsonPtr make_entries(int count) {
  JsonPtr entries(cJSON_CreateArray());
  static constexpr const char* kLevels[] = {"debug", "info", "warn", "error"};
  uint64_t state = 88172645463325252ULL;
  for (int n = 0; n < count; ++n) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    char message[96];
    std::snprintf(message, sizeof message, "GET /api/items/%d 200 in %d ms trace=%016llx", n % 977,
                  static_cast<int>(state % 3000), static_cast<unsigned long long>(state));
    cJSON* entry = cJSON_CreateObject();
    cJSON_AddNumberToObject(entry, "ts", static_cast<double>(kBaseTs + n / 3));
    cJSON_AddStringToObject(entry, "level", kLevels[n % 4]);
    cJSON_AddStringToObject(entry, "message", message);
    cJSON_AddStringToObject(entry, "source", "vercel/edge-function");
    cJSON_AddNumberToObject(entry, "n", n);
    cJSON_AddItemToArray(entries.get(), entry);
  }
  return entries;
}

std::string sha256(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EXPECT_EQ(EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr), 1);
  std::string out;
  for (unsigned i = 0; i < length; ++i) {
    char two[3];
    std::snprintf(two, sizeof two, "%02x", digest[i]);
    out += two;
  }
  return out;
}

// Strict RFC 4648 §4 decoding, independent of the OpenSSL encoder under test.
std::optional<std::string> base64_decode(std::string_view text) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < text.size(); i += 4) {
    uint32_t group = 0;
    int pad = 0;
    for (size_t k = 0; k < 4; ++k) {
      const char c = text[i + k];
      if (c == '=' && i + 4 == text.size() && k >= 2) {
        ++pad;
        group <<= 6;
        continue;
      }
      const size_t v = kAlphabet.find(c);
      if (v == std::string_view::npos || pad > 0) return std::nullopt;
      group = (group << 6) | static_cast<uint32_t>(v);
    }
    out += static_cast<char>(group >> 16);
    if (pad < 2) out += static_cast<char>((group >> 8) & 0xff);
    if (pad < 1) out += static_cast<char>(group & 0xff);
  }
  return out;
}

struct Inflater {
  Inflater() { EXPECT_EQ(inflateInit(&stream), Z_OK); }
  ~Inflater() { inflateEnd(&stream); }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;
  z_stream stream{};
};

// One whole zlib stream and nothing after it, as §6.8 requires of a compressed payload.
std::optional<std::string> inflate_chunk(std::string_view payload) {
  Inflater z;
  z.stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(payload.data()));
  z.stream.avail_in = static_cast<uInt>(payload.size());
  std::string out;
  char buffer[1 << 16];
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.stream.next_out = reinterpret_cast<Bytef*>(buffer);
    z.stream.avail_out = sizeof buffer;
    rc = inflate(&z.stream, Z_NO_FLUSH);
    out.append(buffer, sizeof buffer - z.stream.avail_out);
  }
  if (rc != Z_STREAM_END || z.stream.avail_in != 0) return std::nullopt;
  return out;
}

struct Unpacked {
  Unpacked() { msgpack_unpacked_init(&result); }
  ~Unpacked() { msgpack_unpacked_destroy(&result); }
  Unpacked(const Unpacked&) = delete;
  Unpacked& operator=(const Unpacked&) = delete;
  msgpack_unpacked result;
};

const msgpack_object* map_value(const msgpack_object& map, std::string_view key) {
  if (map.type != MSGPACK_OBJECT_MAP) return nullptr;
  for (uint32_t i = 0; i < map.via.map.size; ++i) {
    const msgpack_object_kv& kv = map.via.map.ptr[i];
    if (kv.key.type == MSGPACK_OBJECT_STR &&
        std::string_view(kv.key.via.str.ptr, kv.key.via.str.size) == key) {
      return &kv.val;
    }
  }
  return nullptr;
}

std::string str_of(const msgpack_object* o) {
  return o && o->type == MSGPACK_OBJECT_STR ? std::string(o->via.str.ptr, o->via.str.size)
                                            : "<not a str>";
}

// What a client receives for chunk i, after base64 decoding (json) or as the bin (msgpack).
std::string received_payload(const LargeExport& e, size_t i) {
  if (!e.msgpack) {
    JsonPtr note = json(data_chunk_json(e, i));
    EXPECT_EQ(string_member(note.get(), "jsonrpc").value_or(""), "2.0");
    EXPECT_EQ(string_member(note.get(), "method").value_or(""), "data.chunk");
    EXPECT_EQ(member(note.get(), "id"), nullptr) << "a notification has no id";
    const cJSON* params = member(note.get(), "params");
    EXPECT_EQ(string_member(params, "stream").value_or(""), e.stream);
    EXPECT_EQ(cJSON_GetArraySize(params), 3) << "no seq or anything else (§6.2)";
    const cJSON* index = member(params, "index");
    EXPECT_TRUE(cJSON_IsNumber(index) && index->valuedouble == static_cast<double>(i));
    auto decoded = base64_decode(string_member(params, "payload").value_or("!"));
    EXPECT_TRUE(decoded) << "payload is not standard padded base64";
    return decoded.value_or("");
  }
  const std::string frame = data_chunk_msgpack(e, i);
  // Our own decoder accepts the frame as a JSON-RPC notification (bin read as base64 text) ...
  MsgpackDecodeResult ours = decode_msgpack(frame, 64);
  EXPECT_EQ(ours.error, MsgpackError::kNone) << ours.message;
  EXPECT_EQ(member(ours.value.get(), "id"), nullptr);
  EXPECT_EQ(cJSON_GetArraySize(member(ours.value.get(), "params")), 3);
  // ... and msgpack-c sees the payload's real type: bin.
  Unpacked u;
  size_t offset = 0;
  EXPECT_EQ(msgpack_unpack_next(&u.result, frame.data(), frame.size(), &offset),
            MSGPACK_UNPACK_SUCCESS);
  EXPECT_EQ(offset, frame.size());
  const msgpack_object& root = u.result.data;
  EXPECT_EQ(str_of(map_value(root, "jsonrpc")), "2.0");
  EXPECT_EQ(str_of(map_value(root, "method")), "data.chunk");
  const msgpack_object* params = map_value(root, "params");
  EXPECT_TRUE(params != nullptr);
  if (params == nullptr) return "";
  EXPECT_EQ(str_of(map_value(*params, "stream")), e.stream);
  const msgpack_object* index = map_value(*params, "index");
  EXPECT_TRUE(index && index->type == MSGPACK_OBJECT_POSITIVE_INTEGER && index->via.u64 == i);
  const msgpack_object* payload = map_value(*params, "payload");
  EXPECT_TRUE(payload && payload->type == MSGPACK_OBJECT_BIN)
      << "payload must be a MessagePack bin";
  if (!payload || payload->type != MSGPACK_OBJECT_BIN) return "";
  return std::string(payload->via.bin.ptr, payload->via.bin.size);
}

// Reassembles the export as a client would and returns every entry, in order.
JsonPtr reassemble(const LargeExport& e, size_t* total_raw = nullptr) {
  EXPECT_TRUE(e.error.empty()) << e.error;
  std::string all;
  JsonPtr entries(cJSON_CreateArray());
  for (size_t i = 0; i < e.chunks.size(); ++i) {
    SCOPED_TRACE("chunk " + std::to_string(i));
    const std::string payload = received_payload(e, i);
    EXPECT_EQ(payload, e.chunks[i]);
    EXPECT_LE(payload.size(), kMaxChunkBytes);
    all += payload;
    std::string array = payload;
    if (e.compressed) {
      auto inflated = inflate_chunk(payload);
      EXPECT_TRUE(inflated) << "not one complete zlib stream";
      array = inflated.value_or("");
    }
    if (total_raw) *total_raw += array.size();
    MsgpackDecodeResult decoded = decode_msgpack(array, 64);
    EXPECT_EQ(decoded.error, MsgpackError::kNone) << decoded.message;
    EXPECT_TRUE(cJSON_IsArray(decoded.value.get()));
    EXPECT_GT(cJSON_GetArraySize(decoded.value.get()), 0) << "§6.8: at least one entry per chunk";
    while (decoded.value && decoded.value->child) {
      cJSON_AddItemToArray(entries.get(),
                           cJSON_DetachItemViaPointer(decoded.value.get(), decoded.value->child));
    }
  }
  EXPECT_EQ(all.size(), e.bytes);
  EXPECT_EQ(sha256(all), e.sha256_hex);
  return entries;
}

void expect_metadata(const LargeExport& e, const char* format) {
  JsonPtr meta = large_export_metadata(e);
  EXPECT_EQ(string_member(meta.get(), "stream").value_or(""), e.stream);
  EXPECT_EQ(member(meta.get(), "totalEntries")->valuedouble, static_cast<double>(e.total_entries));
  EXPECT_EQ(member(meta.get(), "chunks")->valuedouble, static_cast<double>(e.chunks.size()));
  EXPECT_EQ(member(meta.get(), "bytes")->valuedouble, static_cast<double>(e.bytes));
  EXPECT_EQ(string_member(meta.get(), "sha256").value_or(""), e.sha256_hex);
  EXPECT_EQ(string_member(meta.get(), "format").value_or(""), format);
  EXPECT_EQ(cJSON_IsTrue(member(meta.get(), "compressed")), e.compressed);
  EXPECT_EQ(cJSON_GetArraySize(meta.get()), 7);
}

class FiftyThousand : public ::testing::TestWithParam<std::pair<bool, bool>> {
};  // msgpack, compress

TEST_P(FiftyThousand, ReassemblesInOrderWithIntegrity) {
  const auto [msgpack, compress] = GetParam();
  static const JsonPtr entries = make_entries(kEntries);
  const LargeExport e =
      build_large_export(entries.get(), {"vercel", 3'600'000, msgpack, compress}, 7);
  ASSERT_TRUE(e.error.empty()) << e.error;
  EXPECT_EQ(e.stream, "lg-7");
  EXPECT_EQ(e.total_entries, static_cast<uint64_t>(kEntries));
  EXPECT_EQ(e.msgpack, msgpack);
  EXPECT_EQ(e.compressed, compress);
  EXPECT_EQ(e.shortened_entries, 0u);
  EXPECT_GE(e.chunks.size(), 2u) << "the export must exercise chunking";
  expect_metadata(e, msgpack ? "msgpack" : "json");

  size_t raw = 0;
  JsonPtr back = reassemble(e, &raw);
  ASSERT_EQ(cJSON_GetArraySize(back.get()), kEntries);
  int n = 0;
  for (const cJSON* entry = back->child; entry; entry = entry->next, ++n) {
    ASSERT_EQ(member(entry, "n")->valuedouble, n) << "entries out of order";
  }
  EXPECT_TRUE(cJSON_Compare(back.get(), entries.get(), true)) << "entries changed on the way";
  // Greedy filling: every chunk but the last is close to the bound, so chunk counts stay small.
  for (size_t i = 0; i + 1 < e.chunks.size(); ++i) {
    EXPECT_GT(e.chunks[i].size(), compress ? kMaxChunkBytes / 2 : kMaxChunkBytes - 200)
        << "chunk " << i;
  }
  if (compress) {
    EXPECT_LT(e.bytes, raw / 2) << "zlib should at least halve these entries";
  }
}

INSTANTIATE_TEST_SUITE_P(AllForms, FiftyThousand,
                         ::testing::Values(std::pair{true, false}, std::pair{true, true},
                                           std::pair{false, false}, std::pair{false, true}),
                         [](const auto& info) {
                           return std::string(info.param.first ? "Msgpack" : "Json") +
                                  (info.param.second ? "Zlib" : "Plain");
                         });

TEST(LargeExport, DeterministicAndFormatIndependentBytes) {
  JsonPtr entries = make_entries(3000);
  const LargeExport a = build_large_export(entries.get(), {"aws", 1000, true, true}, 1);
  const LargeExport b = build_large_export(entries.get(), {"aws", 1000, true, true}, 2);
  const LargeExport c = build_large_export(entries.get(), {"aws", 1000, false, true}, 3);
  EXPECT_EQ(a.chunks, b.chunks);
  EXPECT_EQ(a.sha256_hex, b.sha256_hex);
  EXPECT_EQ(a.chunks, c.chunks) << "format json sends the same bytes, as base64";
  EXPECT_NE(a.stream, b.stream);
}

TEST(LargeExport, SpecExampleOfSection611) {
  JsonPtr entries =
      json(R"([{"ts":1732550400000,"level":"info","message":"build started","source":"builder"},)"
           R"({"ts":1732550400250,"level":"warn","message":"cache miss","source":"builder"}])");
  const LargeExport e = build_large_export(entries.get(), {"vercel", 3'600'000, false, false}, 1);
  ASSERT_EQ(e.chunks.size(), 1u);
  EXPECT_EQ(e.bytes, 120u);
  EXPECT_EQ(e.sha256_hex, "2dcffc2faed856efd318fa7e464e9836ff608647e9eaf868cfc1115fc81a3a9d");
  EXPECT_EQ(print_json(large_export_metadata(e).get()),
            R"({"stream":"lg-1","totalEntries":2,"chunks":1,"bytes":120,)"
            R"("sha256":"2dcffc2faed856efd318fa7e464e9836ff608647e9eaf868cfc1115fc81a3a9d",)"
            R"("format":"json","compressed":false})");
  EXPECT_EQ(
      data_chunk_json(e, 0),
      R"({"jsonrpc":"2.0","method":"data.chunk","params":{"stream":"lg-1","index":0,)"
      R"("payload":"koSidHPPAAABk2QNGAClbGV2ZWykaW5mb6dtZXNzYWdlrWJ1aWxkIHN0YXJ0ZWSmc291cmNlp2J1aWxkZXKEonRzzwAAAZNkDRj6pWxldmVspHdhcm6nbWVzc2FnZapjYWNoZSBtaXNzpnNvdXJjZadidWlsZGVy"}})");
}

TEST(LargeExport, NoEntries) {
  JsonPtr empty(cJSON_CreateArray());
  for (bool compress : {false, true}) {
    const LargeExport e = build_large_export(empty.get(), {"aws", 1000, true, compress}, 9);
    EXPECT_TRUE(e.error.empty());
    EXPECT_EQ(e.total_entries, 0u);
    EXPECT_TRUE(e.chunks.empty());
    EXPECT_EQ(e.bytes, 0u);
    EXPECT_EQ(e.sha256_hex, kEmptySha256);
    expect_metadata(e, "msgpack");
  }
  EXPECT_EQ(build_large_export(nullptr, {"aws", 1000, false, false}, 1).sha256_hex, kEmptySha256);
  EXPECT_THROW(data_chunk_json(build_large_export(empty.get(), {"aws", 1000, false, false}, 1), 0),
               std::out_of_range);
}

// Pseudo-random printable text: what zlib cannot shrink much.
std::string noise(size_t size) {
  std::string out(size, ' ');
  uint64_t state = 0x2545F4914F6CDD1DULL;
  for (char& c : out) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    c = static_cast<char>('!' + state % 90);
  }
  return out;
}

// Three ordinary entries with a big one second (built by hand: cJSON 1.7.15's InsertItemInArray
// loses items).
JsonPtr with_big_entry(const std::string& message) {
  JsonPtr small = make_entries(3);
  JsonPtr entries(cJSON_CreateArray());
  cJSON_AddItemToArray(entries.get(), cJSON_DetachItemFromArray(small.get(), 0));
  cJSON* big = cJSON_CreateObject();
  cJSON_AddNumberToObject(big, "ts", static_cast<double>(kBaseTs));
  cJSON_AddStringToObject(big, "level", "error");
  cJSON_AddStringToObject(big, "message", message.c_str());
  cJSON_AddStringToObject(big, "source", "big");
  cJSON_AddItemToArray(entries.get(), big);
  while (small->child)
    cJSON_AddItemToArray(entries.get(), cJSON_DetachItemFromArray(small.get(), 0));
  return entries;
}

std::string message_of(const cJSON* entries, int index) {
  return std::string(
      string_member(cJSON_GetArrayItem(entries, index), "message").value_or("<none>"));
}

TEST(LargeExport, OversizedEntryHasItsMessageShortened) {
  const std::string huge = noise(3 * kMaxChunkBytes);
  for (bool compress : {false, true}) {
    SCOPED_TRACE(compress ? "compressed" : "plain");
    JsonPtr entries = with_big_entry(huge);
    const LargeExport e = build_large_export(entries.get(), {"vercel", 1000, false, compress}, 1);
    ASSERT_TRUE(e.error.empty()) << e.error;
    EXPECT_EQ(e.shortened_entries, 1u);
    EXPECT_EQ(e.total_entries, 4u);
    JsonPtr back = reassemble(e);
    ASSERT_EQ(cJSON_GetArraySize(back.get()), 4);
    const std::string cut = message_of(back.get(), 1);
    EXPECT_GT(cut.size(), kMaxChunkBytes - 4096) << "shortened no more than needed";
    EXPECT_EQ(huge.compare(0, cut.size(), cut), 0) << "a prefix of the original message";
    EXPECT_EQ(string_member(cJSON_GetArrayItem(back.get(), 1), "source").value_or(""), "big");
    EXPECT_EQ(message_of(back.get(), 2), message_of(entries.get(), 2)) << "neighbours untouched";
  }
}

TEST(LargeExport, ShorteningKeepsUtf8Whole) {
  std::string accents;
  while (accents.size() < kMaxChunkBytes + 1000)
    accents += "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";  // é € 😀
  JsonPtr entries = with_big_entry(accents);
  const LargeExport e = build_large_export(entries.get(), {"vercel", 1000, true, false}, 1);
  ASSERT_TRUE(e.error.empty()) << e.error;
  JsonPtr back = reassemble(e);  // decode_msgpack rejects a str that is not UTF-8
  const std::string cut = message_of(back.get(), 1);
  EXPECT_TRUE(is_valid_utf8(cut));
  EXPECT_LT(cut.size(), accents.size());
}

TEST(LargeExport, LargeButCompressibleEntryIsKeptWholeWhenCompressed) {
  std::string repetitive;
  while (repetitive.size() < 3 * kMaxChunkBytes)
    repetitive += "connection reset by peer; retrying ";
  JsonPtr entries = with_big_entry(repetitive);
  const LargeExport e = build_large_export(entries.get(), {"vercel", 1000, true, true}, 1);
  ASSERT_TRUE(e.error.empty()) << e.error;
  EXPECT_EQ(e.shortened_entries, 0u) << "§6.8 bounds the payload after compression";
  JsonPtr back = reassemble(e);
  EXPECT_TRUE(message_of(back.get(), 1) == repetitive) << "the 3 MiB message came back changed";
}

TEST(LargeExport, EntryThatCannotFitIsAnError) {
  for (bool compress : {false, true}) {
    JsonPtr no_message = json(R"([{"ts":1,"level":"info","source":"x"}])");
    cJSON_AddStringToObject(no_message->child, "blob", noise(2 * kMaxChunkBytes).c_str());
    const LargeExport a = build_large_export(no_message.get(), {"aws", 1000, true, compress}, 1);
    EXPECT_FALSE(a.error.empty());
    EXPECT_TRUE(a.chunks.empty());
    JsonPtr big_elsewhere = json(R"([{"ts":1,"level":"info","message":"short","source":"x"}])");
    cJSON_AddStringToObject(big_elsewhere->child, "blob", noise(2 * kMaxChunkBytes).c_str());
    EXPECT_FALSE(
        build_large_export(big_elsewhere.get(), {"aws", 1000, true, compress}, 1).error.empty());
  }
}

// ---- params
// ---------------------------------------------------------------------------------------------

std::string error_field(std::string_view params_json) {
  JsonPtr params = params_json.empty() ? nullptr : json(params_json);
  auto parsed = parse_large_export_params(params.get());
  if (auto* error = std::get_if<ParamError>(&parsed)) {
    EXPECT_FALSE(error->message.empty());
    return error->field;
  }
  return "";
}

// The entries of `tree` packed back to back, as the log history hands them to an export.
PackedEntries pack(const cJSON* tree) {
  PackedEntries packed;
  for (const cJSON* entry = tree->child; entry; entry = entry->next)
    packed.add_copy(encode_msgpack(entry));
  return packed;
}

TEST(LargeExportPlan, StreamsTheBytesOfTheWholeExport) {
  JsonPtr entries = make_entries(20'000);
  cJSON_AddItemToArray(entries.get(),
                       json(R"({"ts":1,"level":"info","message":"x","n":-1})").release());
  cJSON_ReplaceItemInObjectCaseSensitive(cJSON_GetArrayItem(entries.get(), 20'000), "message",
                                         cJSON_CreateString(noise(3 * kMaxChunkBytes).c_str()));
  for (bool compress : {false, true}) {
    SCOPED_TRACE(compress ? "compressed" : "plain");
    const LargeExportParams params{"aws", 1000, true, compress};
    const LargeExport whole = build_large_export(entries.get(), params, 3);
    LargeExport streamed = plan_large_export(pack(entries.get()), params, 3);
    ASSERT_TRUE(streamed.error.empty()) << streamed.error;
    ASSERT_GE(whole.chunks.size(), 2u);
    EXPECT_EQ(streamed.chunk_count(), whole.chunks.size());
    EXPECT_EQ(streamed.bytes, whole.bytes);
    EXPECT_EQ(streamed.sha256_hex, whole.sha256_hex);
    EXPECT_EQ(streamed.total_entries, whole.total_entries);
    EXPECT_EQ(streamed.shortened_entries, 1u);
    // Uncompressed, no payload exists before it is taken; compressed, they are built up front.
    EXPECT_EQ(streamed.chunks.empty(), !compress);
    EXPECT_EQ(streamed.entries.count() == 0, compress);
    JsonPtr meta_whole = large_export_metadata(whole);
    JsonPtr meta_streamed = large_export_metadata(streamed);
    EXPECT_EQ(print_json(meta_streamed.get()), print_json(meta_whole.get()));
    for (size_t i = 0; i < whole.chunks.size(); ++i)
      EXPECT_EQ(take_chunk_payload(streamed, i), whole.chunks[i]) << "chunk " << i;
    EXPECT_THROW(take_chunk_payload(streamed, whole.chunks.size()), std::out_of_range);
  }
}

TEST(LargeExportPlan, MaterializedChunksEqualTheBuiltOnes) {
  JsonPtr entries = make_entries(30'000);
  const LargeExportParams params{"aws", 1000, false, false};
  const LargeExport whole = build_large_export(entries.get(), params, 1);
  LargeExport streamed = plan_large_export(pack(entries.get()), params, 1);
  materialize_chunks(streamed);
  EXPECT_EQ(streamed.chunks, whole.chunks);
  EXPECT_EQ(streamed.chunk_count(), whole.chunks.size());
  EXPECT_EQ(streamed.entries.size(), 0u) << "the entries are released once cut";
  EXPECT_TRUE(streamed.chunk_ends.empty());
}

TEST(LargeExportPlan, NoEntriesAndDroppedEntries) {
  LargeExport empty = plan_large_export({}, {"aws", 1000, true, false}, 1);
  EXPECT_EQ(empty.chunk_count(), 0u);
  EXPECT_EQ(empty.sha256_hex, kEmptySha256);
  // Defect long-entry-dropped: the entry that does not fit is left out, in the plan as when built.
  JsonPtr entries = make_entries(10);
  cJSON_ReplaceItemInObjectCaseSensitive(cJSON_GetArrayItem(entries.get(), 4), "message",
                                         cJSON_CreateString(noise(2 * kMaxChunkBytes).c_str()));
  LargeExportParams params{"aws", 1000, true, false};
  params.drop_unfitting = true;
  const LargeExport whole = build_large_export(entries.get(), params, 1);
  LargeExport streamed = plan_large_export(pack(entries.get()), params, 1);
  EXPECT_EQ(streamed.total_entries, 9u);
  ASSERT_EQ(streamed.chunk_count(), 1u);
  EXPECT_EQ(take_chunk_payload(streamed, 0), whole.chunks.at(0));
  EXPECT_EQ(streamed.sha256_hex, whole.sha256_hex);
}

TEST(LargeExportParams, ValidAndDefaults) {
  JsonPtr params = json(R"({"service":"vercel","timeRange":"1h","ignored":true})");
  auto parsed = parse_large_export_params(params.get());
  ASSERT_TRUE(std::holds_alternative<LargeExportParams>(parsed));
  const auto& p = std::get<LargeExportParams>(parsed);
  EXPECT_EQ(p.service, "vercel");
  EXPECT_EQ(p.range_ms, 3'600'000);
  EXPECT_FALSE(p.msgpack);
  EXPECT_FALSE(p.compress);

  params = json(R"({"service":"aws","timeRange":"999999999d","format":"msgpack","compress":true})");
  parsed = parse_large_export_params(params.get());
  ASSERT_TRUE(std::holds_alternative<LargeExportParams>(parsed));
  EXPECT_EQ(std::get<LargeExportParams>(parsed).range_ms, 999'999'999LL * 86'400'000);
  EXPECT_TRUE(std::get<LargeExportParams>(parsed).msgpack);
  EXPECT_TRUE(std::get<LargeExportParams>(parsed).compress);
  params = json(R"({"service":"aws","timeRange":"5m","format":"json","compress":false})");
  parsed = parse_large_export_params(params.get());
  ASSERT_TRUE(std::holds_alternative<LargeExportParams>(parsed));
  EXPECT_FALSE(std::get<LargeExportParams>(parsed).msgpack);
}

TEST(LargeExportParams, TimeRangeGrammar) {
  EXPECT_EQ(parse_time_range_ms("1s"), 1'000);
  EXPECT_EQ(parse_time_range_ms("90s"), 90'000);
  EXPECT_EQ(parse_time_range_ms("15m"), 900'000);
  EXPECT_EQ(parse_time_range_ms("24h"), 86'400'000);
  EXPECT_EQ(parse_time_range_ms("7d"), 604'800'000);
  EXPECT_EQ(parse_time_range_ms("100000000s"), 100'000'000'000);
  EXPECT_EQ(parse_time_range_ms("999999999s"), 999'999'999'000);
  for (const char* bad :
       {"",    "s",   "1",   "0s",   "01s",  "00h", "1000000000s", "1S", "1H", "1 s", " 1s",
        "1s ", "+1s", "-1s", "1.5h", "1e3s", "1w",  "1ms",         "1y", "h1", "١s",  "1ss"}) {
    EXPECT_EQ(parse_time_range_ms(bad), std::nullopt) << bad;
  }
}

TEST(LargeExportParams, ErrorsNameTheField) {
  EXPECT_EQ(error_field(""), "service") << "absent params count as {}";
  EXPECT_EQ(error_field("{}"), "service");
  EXPECT_EQ(error_field("[]"), "params");
  EXPECT_EQ(error_field(R"(["vercel","1h"])"), "params");
  EXPECT_EQ(error_field(R"("vercel")"), "params");
  EXPECT_EQ(error_field(R"({"timeRange":"1h"})"), "service");
  EXPECT_EQ(error_field(R"({"service":7,"timeRange":"1h"})"), "service");
  EXPECT_EQ(error_field(R"({"service":null,"timeRange":"1h"})"), "service");
  EXPECT_EQ(error_field(R"({"service":"vercel"})"), "timeRange");
  EXPECT_EQ(error_field(R"({"service":"vercel","timeRange":3600})"), "timeRange");
  EXPECT_EQ(error_field(R"({"service":"vercel","timeRange":"0h"})"), "timeRange");
  EXPECT_EQ(error_field(R"({"service":"vercel","timeRange":"1 hour"})"), "timeRange");
  EXPECT_EQ(error_field(R"({"service":"vercel","timeRange":null})"), "timeRange");
  EXPECT_EQ(error_field(R"({"service":"vercel","timerange":"1h"})"), "timeRange")
      << "keys are case-sensitive";
  EXPECT_EQ(error_field(R"({"service":"vercel","timeRange":"1h","format":"xml"})"), "format");
  EXPECT_EQ(error_field(R"({"service":"vercel","timeRange":"1h","format":"JSON"})"), "format");
  EXPECT_EQ(error_field(R"({"service":"vercel","timeRange":"1h","format":null})"), "format");
  EXPECT_EQ(error_field(R"({"service":"vercel","timeRange":"1h","format":1})"), "format");
  EXPECT_EQ(error_field(R"({"service":"vercel","timeRange":"1h","compress":"true"})"), "compress");
  EXPECT_EQ(error_field(R"({"service":"vercel","timeRange":"1h","compress":1})"), "compress");
  EXPECT_EQ(error_field(R"({"service":"vercel","timeRange":"1h","compress":null})"), "compress");
  // The first member at fault, in the order of §5.12.
  EXPECT_EQ(error_field(R"({"service":1,"timeRange":"x","format":"x","compress":"x"})"), "service");
  EXPECT_EQ(error_field(R"({"service":"aws","timeRange":"x","format":"x","compress":"x"})"),
            "timeRange");
  EXPECT_EQ(error_field(R"({"service":"aws","timeRange":"1d","format":"x","compress":"x"})"),
            "format");
  // Unknown services are the caller's -32004, after parameter errors (§3.7).
  EXPECT_EQ(error_field(R"({"service":"nope","timeRange":"1d"})"), "");
}

}  // namespace
}  // namespace flake
