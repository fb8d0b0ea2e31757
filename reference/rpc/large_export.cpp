// logs.getLarge payloads (see large_export.hpp): entries are packed once, then cut into chunks that
// stay under the 1 MiB payload bound after optional zlib compression.
#include "reference/rpc/large_export.hpp"

#include <msgpack.h>
#include <openssl/evp.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>

#include "reference/codec/msgpack.hpp"
#include "reference/codec/msgpack_buffer.hpp"
#include "reference/codec/zlib_block.hpp"

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

std::string array_header(size_t count) {
  MsgpackBuffer sbuf;
  msgpack_packer pk;
  msgpack_packer_init(&pk, &sbuf.buffer, msgpack_sbuffer_write);
  msgpack_pack_array(&pk, count);
  return sbuf.str();
}

// zlib stream (RFC 1950) of `raw`; nullopt only when zlib itself fails.
std::optional<std::string> deflate_chunk(std::string_view raw) {
  return zlib_compress(raw, Z_DEFAULT_COMPRESSION);
}

// The largest raw array whose zlib stream is certain to fit a chunk, whatever its content.
uint64_t raw_bound_for_compressed() {
  uint64_t raw = kMaxChunkBytes;
  while (compressBound(static_cast<uLong>(raw)) > kMaxChunkBytes) {
    raw -= compressBound(static_cast<uLong>(raw)) - kMaxChunkBytes;
  }
  return raw;
}

// The payload of a chunk holding only an entry of `size` bytes fits, whatever its bytes.
bool fits_alone_by_size(size_t size, bool compress) {
  const uint64_t raw = 1 + size;  // fixarray of one
  return compress ? compressBound(static_cast<uLong>(raw)) <= kMaxChunkBytes
                  : raw <= kMaxChunkBytes;
}

// The payload of a chunk holding only `entry` fits (compressing when needed to know).
bool fits_alone(std::string_view entry, bool compress) {
  if (fits_alone_by_size(entry.size(), compress)) return true;
  if (!compress) return false;
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

// SHA-256 fed piece by piece: a streamed export hashes its payloads without assembling them.
class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new()) {
    ok_ = ctx_ && EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) == 1;
  }
  void update(std::string_view bytes) {
    ok_ = ok_ && EVP_DigestUpdate(ctx_.get(), bytes.data(), bytes.size()) == 1;
  }
  // Lowercase hex; empty when OpenSSL failed.
  std::string hex() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (!ok_ || EVP_DigestFinal_ex(ctx_.get(), digest, &length) != 1) return {};
    return to_hex(digest, length);
  }

 private:
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx_;
  bool ok_ = false;
};

LargeExport failed(LargeExport export_, std::string error) {
  export_.chunks.clear();
  export_.chunk_ends.clear();
  export_.entries = {};
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

// §6.8 on `entries` in place: an entry that does not fit a chunk alone has its message shortened
// (or, with the defect long-entry-dropped, is left out). Entries that fit (nearly all) stay where
// they lie; only when one changes is the buffer rebuilt. `trees`, when given, holds entry i's cJSON
// form for shortening; otherwise it is decoded from the packed bytes (identical values: both come
// from the same tree or text). False, with out.error set, when an entry cannot fit at all.
bool fit_entries(PackedEntries& entries, const LargeExportParams& params,
                 const std::vector<const cJSON*>* trees, LargeExport& out) {
  // Nearly always every entry fits by its size alone: then no entry's bytes need be read.
  bool all_fit = true;
  for (size_t i = 0; i < entries.count() && all_fit; ++i)
    all_fit = fits_alone_by_size(entries.ends()[i] - entries.start(i), params.compress);
  if (all_fit) return true;
  PackedEntries rebuilt;
  bool rebuilding = false;
  // Rare (an entry over 1 MiB): the rebuilt entries are copied into one buffer of their own.
  auto start_rebuilding = [&](size_t i) {
    if (rebuilding) return;
    rebuilding = true;
    rebuilt.reserve_own(entries.size());
    for (size_t k = 0; k < i; ++k) rebuilt.add_copy(entries.entry(k));
  };
  for (size_t i = 0; i < entries.count(); ++i) {
    std::string_view bytes = entries.entry(i);
    std::string shortened;
    if (!fits_alone(bytes, params.compress) && params.drop_unfitting) {
      start_rebuilding(i);
      continue;
    }
    if (!fits_alone(bytes, params.compress)) {
      if (trees != nullptr) {
        shortened = shortened_entry((*trees)[i], params.compress);
      } else if (MsgpackDecodeResult tree = decode_msgpack(bytes, kMaxEntryDepth); tree.value) {
        shortened = shortened_entry(tree.value.get(), params.compress);
      }
      if (shortened.empty()) {
        out.error = "log entry " + std::to_string(i) +
                    " does not fit a 1 MiB chunk even with its message shortened";
        return false;
      }
      ++out.shortened_entries;
      start_rebuilding(i);
      bytes = shortened;
    }
    if (rebuilding) rebuilt.add_copy(bytes);
  }
  if (rebuilding) entries = std::move(rebuilt);
  return true;
}

// Uncompressed: chunks are filled greedily up to the bound, so every boundary follows from the
// entry sizes; each payload is hashed as an array header then the run of entries where it lies (in
// the history's blocks, for entries the history kept as MessagePack).
bool plan_plain(const PackedEntries& entries, LargeExport& out) {
  const std::vector<size_t>& ends = entries.ends();
  Sha256 hash;
  for (size_t i = 0; i < ends.size();) {
    size_t j = i + 1;
    while (j < ends.size() &&
           array_header_size(j + 1 - i) + (ends[j] - entries.start(i)) <= kMaxChunkBytes)
      ++j;
    const std::string header = array_header(j - i);
    hash.update(header);
    entries.visit(entries.start(i), ends[j - 1],
                  [&hash](std::string_view run) { hash.update(run); });
    out.bytes += header.size() + (ends[j - 1] - entries.start(i));
    out.chunk_ends.push_back(j);
    i = j;
  }
  out.sha256_hex = hash.hex();
  return !out.sha256_hex.empty();
}

// Compressed: the raw size that fits is unknown until zlib has run, so a chunk that comes out too
// large is retried with fewer entries; each entry fits alone (fit_entries), so every round makes
// progress.
bool build_compressed(const PackedEntries& entries, LargeExport& out) {
  const std::vector<size_t>& ends = entries.ends();
  uint64_t budget = kFirstCompressedBudget;
  Sha256 hash;
  for (size_t i = 0; i < ends.size();) {
    size_t j = i + 1;
    while (j < ends.size() && array_header_size(j + 1 - i) + (ends[j] - entries.start(i)) <= budget)
      ++j;
    std::string raw = array_header(j - i);
    entries.append_to(raw, entries.start(i), ends[j - 1]);
    auto payload = deflate_chunk(raw);
    if (!payload) {
      out.error = "zlib compression failed";
      return false;
    }
    const uint64_t estimate = raw.size() * kMaxChunkBytes / std::max<size_t>(payload->size(), 1);
    if (payload->size() > kMaxChunkBytes) {
      budget = std::min<uint64_t>(raw.size() - 1, estimate * 9 / 10);
      continue;
    }
    budget = std::clamp<uint64_t>(estimate * 95 / 100, 1, kMaxRawPerChunk);
    hash.update(*payload);
    out.bytes += payload->size();
    out.chunks.push_back(std::move(*payload));
    i = j;
  }
  out.sha256_hex = hash.hex();
  if (out.sha256_hex.empty()) out.error = "SHA-256 failed";
  return out.error.empty();
}

std::string cut_chunk(const LargeExport& export_, size_t index) {
  if (index >= export_.chunk_ends.size()) throw std::out_of_range("no such chunk");
  const size_t first = index == 0 ? 0 : export_.chunk_ends[index - 1];
  const size_t last = export_.chunk_ends[index];
  const size_t begin = export_.entries.start(first);
  const size_t end = export_.entries.ends()[last - 1];
  std::string payload;
  payload.reserve(array_header_size(last - first) + (end - begin));
  payload = array_header(last - first);
  export_.entries.append_to(payload, begin, end);
  return payload;
}

LargeExport plan(PackedEntries entries, const LargeExportParams& params, uint64_t stream_number,
                 const std::vector<const cJSON*>* trees) {
  LargeExport out;
  out.stream = "lg-" + std::to_string(stream_number);
  out.msgpack = params.msgpack;
  out.compressed = params.compress;
  if (!fit_entries(entries, params, trees, out)) {
    std::string error = out.error;
    return failed(std::move(out), std::move(error));
  }
  out.total_entries = entries.count();
  if (params.compress) {
    if (build_compressed(entries, out)) return out;
    std::string error = out.error;
    return failed(std::move(out), std::move(error));
  }
  if (!plan_plain(entries, out)) return failed(std::move(out), "SHA-256 failed");
  out.entries = std::move(entries);
  return out;
}

}  // namespace

LargeExport build_large_export(const cJSON* entries, const LargeExportParams& params,
                               uint64_t stream_number) {
  PackedEntries packed;
  std::vector<const cJSON*> trees;
  for (const cJSON* entry = cJSON_IsArray(entries) ? entries->child : nullptr; entry;
       entry = entry->next) {
    packed.add_copy(encode_msgpack(entry));
    trees.push_back(entry);
  }
  LargeExport out = plan(std::move(packed), params, stream_number, &trees);
  materialize_chunks(out);
  return out;
}

LargeExport build_large_export(const PackedEntries& entries, const LargeExportParams& params,
                               uint64_t stream_number) {
  LargeExport out = plan(entries, params, stream_number, nullptr);
  materialize_chunks(out);
  return out;
}

LargeExport plan_large_export(PackedEntries entries, const LargeExportParams& params,
                              uint64_t stream_number) {
  return plan(std::move(entries), params, stream_number, nullptr);
}

std::string take_chunk_payload(LargeExport& export_, size_t index) {
  if (export_.chunks.empty()) return cut_chunk(export_, index);
  return std::move(export_.chunks.at(index));
}

void materialize_chunks(LargeExport& export_) {
  if (export_.chunks.empty()) {
    for (size_t i = 0; i < export_.chunk_ends.size(); ++i)
      export_.chunks.push_back(cut_chunk(export_, i));
  }
  export_.chunk_ends.clear();
  export_.entries = {};
}

}  // namespace flake
