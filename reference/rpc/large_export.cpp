// logs.getLarge payloads (see large_export.hpp): entries are packed once, then cut into chunks that
// stay under the 1 MiB payload bound after optional zlib compression.
#include "reference/rpc/large_export.hpp"

#include <msgpack.h>
#include <openssl/evp.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>

#include "reference/codec/msgpack.hpp"

namespace flake {

namespace {

constexpr char kRangeGrammar[] = "timeRange must match ^[1-9][0-9]{0,8}(s|m|h|d)$";
// First guess of raw bytes per compressed chunk; later chunks use the ratio the previous one
// achieved.
constexpr uint64_t kFirstCompressedBudget = 4 * kMaxChunkBytes;
// Caps the transient raw array (and compressBound buffer) of one compressed chunk, however well it
// compresses.
constexpr uint64_t kMaxRawPerChunk = 8 * kMaxChunkBytes;
// Nesting allowed when decoding a packed entry back to shorten it (parse_json's default).
constexpr int kMaxEntryDepth = 64;

size_t array_header_size(size_t count) {
  return count <= 15 ? 1 : count <= 0xffff ? 3 : 5;
}

struct Sbuffer {
  Sbuffer() { msgpack_sbuffer_init(&buffer); }
  ~Sbuffer() { msgpack_sbuffer_destroy(&buffer); }
  Sbuffer(const Sbuffer&) = delete;
  Sbuffer& operator=(const Sbuffer&) = delete;
  std::string str() const { return std::string(buffer.data, buffer.size); }
  msgpack_sbuffer buffer;
};

std::string array_header(size_t count) {
  Sbuffer sbuf;
  msgpack_packer pk;
  msgpack_packer_init(&pk, &sbuf.buffer, msgpack_sbuffer_write);
  msgpack_pack_array(&pk, count);
  return sbuf.str();
}

void pack_str(msgpack_packer& pk, std::string_view text) {
  msgpack_pack_str(&pk, text.size());
  msgpack_pack_str_body(&pk, text.data(), text.size());
}

// zlib stream (RFC 1950) of `raw`; nullopt only when zlib itself fails.
std::optional<std::string> deflate_chunk(std::string_view raw) {
  uLongf size = compressBound(static_cast<uLong>(raw.size()));
  std::string out(size, '\0');
  if (compress2(reinterpret_cast<Bytef*>(out.data()), &size,
                reinterpret_cast<const Bytef*>(raw.data()), static_cast<uLong>(raw.size()),
                Z_DEFAULT_COMPRESSION) != Z_OK) {
    return std::nullopt;
  }
  out.resize(size);
  return out;
}

// The largest raw array whose zlib stream is certain to fit a chunk, whatever its content.
uint64_t raw_bound_for_compressed() {
  uint64_t raw = kMaxChunkBytes;
  while (compressBound(static_cast<uLong>(raw)) > kMaxChunkBytes) {
    raw -= compressBound(static_cast<uLong>(raw)) - kMaxChunkBytes;
  }
  return raw;
}

// The payload of a chunk holding only `entry` fits (compressing when needed to know).
bool fits_alone(std::string_view entry, bool compress) {
  const uint64_t raw = 1 + entry.size();  // fixarray of one
  if (!compress) return raw <= kMaxChunkBytes;
  if (compressBound(static_cast<uLong>(raw)) <= kMaxChunkBytes) return true;
  auto packed = deflate_chunk(array_header(1) + std::string(entry));
  return packed && packed->size() <= kMaxChunkBytes;
}

// §6.8: `entry` with its message cut so that a one-entry chunk fits even uncompressed (and so, by
// compressBound, compressed); empty when the entry has no string message or fits not even without
// one.
std::string shortened_entry(const cJSON* entry, bool compress) {
  const cJSON* message = member(entry, "message");
  if (!cJSON_IsString(message)) return {};
  const std::string_view text(message->valuestring);
  JsonPtr copy = clone(entry);
  cJSON_ReplaceItemInObjectCaseSensitive(copy.get(), "message", cJSON_CreateString(""));
  const uint64_t without = encode_msgpack(copy.get()).size();  // the empty str is 1 byte (0xa0)
  const uint64_t raw_bound = compress ? raw_bound_for_compressed() : kMaxChunkBytes;
  // Room for the message bytes: the bound less the array header, the rest of the entry and a str32
  // header.
  if (1 + (without - 1) + 5 >= raw_bound) return {};
  size_t keep = std::min<uint64_t>(text.size(), raw_bound - 1 - (without - 1) - 5);
  while (keep > 0 && keep < text.size() && (static_cast<unsigned char>(text[keep]) & 0xc0) == 0x80)
    --keep;
  cJSON_ReplaceItemInObjectCaseSensitive(
      copy.get(), "message", cJSON_CreateString(std::string(text.substr(0, keep)).c_str()));
  std::string bytes = encode_msgpack(copy.get());
  return fits_alone(bytes, compress) ? bytes : std::string();
}

std::string to_hex(const unsigned char* data, size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * size);
  for (size_t i = 0; i < size; ++i) {
    out += kDigits[data[i] >> 4];
    out += kDigits[data[i] & 15];
  }
  return out;
}

struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

std::string sha256_hex(const std::vector<std::string>& parts) {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) return {};
  for (const std::string& part : parts) {
    if (EVP_DigestUpdate(ctx.get(), part.data(), part.size()) != 1) return {};
  }
  if (EVP_DigestFinal_ex(ctx.get(), digest, &length) != 1) return {};
  return to_hex(digest, length);
}

std::string base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');  // EVP_EncodeBlock writes a NUL
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                      reinterpret_cast<const unsigned char*>(bytes.data()),
                                      static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(written));
  return out;
}

LargeExport failed(LargeExport export_, std::string error) {
  export_.chunks.clear();
  export_.bytes = 0;
  export_.error = std::move(error);
  return export_;
}

}  // namespace

std::optional<int64_t> parse_time_range_ms(std::string_view text) {
  if (text.size() < 2 || text.size() > 10 || text.front() < '1' || text.front() > '9')
    return std::nullopt;
  int64_t value = 0;
  for (char c : text.substr(0, text.size() - 1)) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  switch (text.back()) {
    case 's':
      return value * 1'000;
    case 'm':
      return value * 60'000;
    case 'h':
      return value * 3'600'000;
    case 'd':
      return value * 86'400'000;  // at most 8.64e16: no overflow
    default:
      return std::nullopt;
  }
}

std::variant<LargeExportParams, ParamError> parse_large_export_params(const cJSON* params) {
  if (params != nullptr && !cJSON_IsObject(params)) {
    return ParamError{"params", "params must be an object of named parameters"};
  }
  LargeExportParams out;
  const cJSON* service = member(params, "service");
  if (service == nullptr) return ParamError{"service", "service is required"};
  if (!cJSON_IsString(service)) return ParamError{"service", "service must be a string"};
  out.service = service->valuestring;

  auto range = string_member(params, "timeRange");
  auto range_ms = range ? parse_time_range_ms(*range) : std::nullopt;
  if (!range_ms) return ParamError{"timeRange", kRangeGrammar};
  out.range_ms = *range_ms;

  if (const cJSON* format = member(params, "format")) {
    const std::string_view name = cJSON_IsString(format) ? format->valuestring : "";
    if (name != "json" && name != "msgpack")
      return ParamError{"format", "format must be \"json\" or \"msgpack\""};
    out.msgpack = name == "msgpack";
  }
  if (const cJSON* compress = member(params, "compress")) {
    if (!cJSON_IsBool(compress)) return ParamError{"compress", "compress must be a boolean"};
    out.compress = cJSON_IsTrue(compress);
  }
  return out;
}

namespace {

// `trees`, when given, holds entry i's cJSON form for shortening; otherwise it is decoded from the
// packed bytes (identical values: both come from the same tree or text).
LargeExport build_from_packed(const PackedEntries& entries, const LargeExportParams& params,
                              uint64_t stream_number, const std::vector<const cJSON*>* trees) {
  LargeExport out;
  out.stream = "lg-" + std::to_string(stream_number);
  out.msgpack = params.msgpack;
  out.compressed = params.compress;

  // Entries that fit a chunk alone (nearly all) are used where they lie; the rest are copied with
  // their message shortened. ends[i] is where entry i stops in whichever buffer holds the run.
  std::string rebuilt;
  const std::string* source = &entries.bytes;
  std::vector<size_t> rebuilt_ends;
  const std::vector<size_t>* ends_of = &entries.ends;
  for (size_t i = 0; i < entries.ends.size(); ++i) {
    const size_t begin = i == 0 ? 0 : entries.ends[i - 1];
    std::string_view bytes(entries.bytes.data() + begin, entries.ends[i] - begin);
    std::string shortened;
    if (!fits_alone(bytes, params.compress) && params.drop_unfitting) {
      if (source == &entries.bytes) {  // first dropped entry: switch to a rebuilt copy
        rebuilt.assign(entries.bytes, 0, begin);
        rebuilt_ends.assign(entries.ends.begin(), entries.ends.begin() + static_cast<long>(i));
        source = &rebuilt;
        ends_of = &rebuilt_ends;
      }
      continue;
    }
    if (!fits_alone(bytes, params.compress)) {
      if (trees != nullptr) {
        shortened = shortened_entry((*trees)[i], params.compress);
      } else if (MsgpackDecodeResult tree = decode_msgpack(bytes, kMaxEntryDepth); tree.value) {
        shortened = shortened_entry(tree.value.get(), params.compress);
      }
      if (shortened.empty()) {
        return failed(std::move(out),
                      "log entry " + std::to_string(i) +
                          " does not fit a 1 MiB chunk even with its message shortened");
      }
      ++out.shortened_entries;
      if (source == &entries.bytes) {  // first shortened entry: switch to a rebuilt copy
        rebuilt.assign(entries.bytes, 0, begin);
        rebuilt_ends.assign(entries.ends.begin(), entries.ends.begin() + static_cast<long>(i));
        source = &rebuilt;
        ends_of = &rebuilt_ends;
      }
      bytes = shortened;
    }
    if (source == &rebuilt) {
      rebuilt += bytes;
      rebuilt_ends.push_back(rebuilt.size());
    }
  }
  const std::string& packed = *source;
  const std::vector<size_t>& ends = *ends_of;
  out.total_entries = ends.size();

  auto start_of = [&](size_t i) { return i == 0 ? size_t{0} : ends[i - 1]; };
  // Uncompressed, the budget is the bound itself and every chunk fits first time. Compressed, the
  // raw size that fits is unknown until zlib has run, so a chunk that comes out too large is
  // retried with fewer entries; each entry fits alone (checked above), so every round makes
  // progress.
  uint64_t budget = params.compress ? kFirstCompressedBudget : kMaxChunkBytes;
  for (size_t i = 0; i < ends.size();) {
    size_t j = i + 1;
    while (j < ends.size() && array_header_size(j + 1 - i) + (ends[j] - start_of(i)) <= budget) ++j;
    const std::string_view run(packed.data() + start_of(i), ends[j - 1] - start_of(i));
    std::string payload = array_header(j - i);
    payload += run;
    const uint64_t raw = payload.size();
    if (params.compress) {
      auto deflated = deflate_chunk(payload);
      if (!deflated) return failed(std::move(out), "zlib compression failed");
      payload = std::move(*deflated);
      const uint64_t estimate = raw * kMaxChunkBytes / std::max<uint64_t>(payload.size(), 1);
      if (payload.size() > kMaxChunkBytes) {
        budget = std::min(raw - 1, estimate * 9 / 10);
        continue;
      }
      budget = std::clamp<uint64_t>(estimate * 95 / 100, 1, kMaxRawPerChunk);
    }
    out.bytes += payload.size();
    out.chunks.push_back(std::move(payload));
    i = j;
  }
  out.sha256_hex = sha256_hex(out.chunks);
  if (out.sha256_hex.empty()) return failed(std::move(out), "SHA-256 failed");
  return out;
}

}  // namespace

LargeExport build_large_export(const cJSON* entries, const LargeExportParams& params,
                               uint64_t stream_number) {
  PackedEntries packed;
  std::vector<const cJSON*> trees;
  for (const cJSON* entry = cJSON_IsArray(entries) ? entries->child : nullptr; entry;
       entry = entry->next) {
    packed.bytes += encode_msgpack(entry);
    packed.ends.push_back(packed.bytes.size());
    trees.push_back(entry);
  }
  return build_from_packed(packed, params, stream_number, &trees);
}

LargeExport build_large_export(const PackedEntries& entries, const LargeExportParams& params,
                               uint64_t stream_number) {
  return build_from_packed(entries, params, stream_number, nullptr);
}

JsonPtr large_export_metadata(const LargeExport& export_) {
  JsonPtr result(cJSON_CreateObject());
  cJSON_AddStringToObject(result.get(), "stream", export_.stream.c_str());
  cJSON_AddNumberToObject(result.get(), "totalEntries", static_cast<double>(export_.total_entries));
  cJSON_AddNumberToObject(result.get(), "chunks", static_cast<double>(export_.chunks.size()));
  cJSON_AddNumberToObject(result.get(), "bytes", static_cast<double>(export_.bytes));
  cJSON_AddStringToObject(result.get(), "sha256", export_.sha256_hex.c_str());
  cJSON_AddStringToObject(result.get(), "format", export_.msgpack ? "msgpack" : "json");
  cJSON_AddBoolToObject(result.get(), "compressed", export_.compressed);
  return result;
}

std::string data_chunk_json(const LargeExport& export_, size_t index) {
  const std::string& chunk = export_.chunks.at(index);
  // Written by hand: the payload can be 1.4 MB of base64, which a cJSON tree would copy twice more.
  JsonPtr stream(cJSON_CreateString(export_.stream.c_str()));
  std::string out = R"({"jsonrpc":"2.0","method":"data.chunk","params":{"stream":)";
  out += print_json(stream.get());
  out += R"(,"index":)" + std::to_string(index) + R"(,"payload":")";
  out += base64(chunk);
  out += "\"}}";
  return out;
}

std::string data_chunk_msgpack(const LargeExport& export_, size_t index) {
  const std::string& chunk = export_.chunks.at(index);
  Sbuffer sbuf;
  msgpack_packer pk;
  msgpack_packer_init(&pk, &sbuf.buffer, msgpack_sbuffer_write);
  msgpack_pack_map(&pk, 3);
  pack_str(pk, "jsonrpc");
  pack_str(pk, "2.0");
  pack_str(pk, "method");
  pack_str(pk, "data.chunk");
  pack_str(pk, "params");
  msgpack_pack_map(&pk, 3);
  pack_str(pk, "stream");
  pack_str(pk, export_.stream);
  pack_str(pk, "index");
  msgpack_pack_uint64(&pk, index);
  pack_str(pk, "payload");
  msgpack_pack_bin(&pk, chunk.size());  // §6.9: a real bin, not base64 text
  msgpack_pack_bin_body(&pk, chunk.data(), chunk.size());
  return sbuf.str();
}

}  // namespace flake
