// ChunkAssembler: the §6.7-6.10 checks of a logs.getLarge export, one data.chunk at a time.
#include "conformance/client/chunk_assembler.hpp"

#include <openssl/evp.h>

#include <array>
#include <utility>

#include "conformance/client/data_codec.hpp"
#include "conformance/client/wire_log.hpp"

namespace flake::conform {
namespace {

std::string brief(const json& value, std::size_t max = 300) {
  return WireLog::summarize_text(value.dump(-1, ' ', false, json::error_handler_t::replace), max);
}

bool is_count(const json& object, const char* key) {
  return object.contains(key) && object[key].is_number_integer() &&
         object[key].get<std::int64_t>() >= 0;
}

std::optional<ChunkProblem> problem(std::string expected, std::string actual) {
  return ChunkProblem{std::move(expected), std::move(actual)};
}

}  // namespace

struct ChunkAssembler::Digest {
  struct Free {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
  };
  std::unique_ptr<EVP_MD_CTX, Free> ctx{EVP_MD_CTX_new()};
  Digest() { EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr); }
  void update(const std::string& bytes) { EVP_DigestUpdate(ctx.get(), bytes.data(), bytes.size()); }
  std::string hex() {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int n = 0;
    EVP_DigestFinal_ex(ctx.get(), digest.data(), &n);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < n; ++i) {
      out += kHex[digest[i] >> 4];
      out += kHex[digest[i] & 0xf];
    }
    return out;
  }
};

ChunkAssembler::ChunkAssembler(ChunkLimits limits)
    : limits_(limits), digest_(std::make_unique<Digest>()) {}
ChunkAssembler::~ChunkAssembler() = default;
ChunkAssembler::ChunkAssembler(ChunkAssembler&&) noexcept = default;
ChunkAssembler& ChunkAssembler::operator=(ChunkAssembler&&) noexcept = default;

std::optional<ChunkProblem> ChunkAssembler::start(const json& m) {
  if (started_) return problem("one metadata response per export", "a second one");
  if (!m.is_object()) return problem("logs.getLarge: a metadata result", brief(m));
  for (const char* key : {"stream", "sha256", "format"}) {
    if (!m.contains(key) || !m[key].is_string())
      return problem(std::string("metadata \"") + key + "\" string", brief(m));
  }
  for (const char* key : {"totalEntries", "chunks", "bytes"}) {
    if (!is_count(m, key))
      return problem(std::string("metadata \"") + key + "\" integer >= 0", brief(m));
  }
  if (!m.contains("compressed") || !m["compressed"].is_boolean())
    return problem("metadata \"compressed\" boolean", brief(m));
  if (m["format"] != "json" && m["format"] != "msgpack")
    return problem("metadata \"format\" \"json\" or \"msgpack\"", brief(m));
  announced_ = m["chunks"].get<std::int64_t>();
  if (announced_ >= limits_.max_chunks) return problem("a sane number of chunks", brief(m));
  meta_ = m;
  json_format_ = m["format"] == "json";
  compressed_ = m["compressed"].get<bool>();
  started_ = true;
  return std::nullopt;
}

std::optional<ChunkProblem> ChunkAssembler::add(const json& c, Encoding encoding) {
  const std::string where = "data.chunk " + std::to_string(added_);
  if (!started_) return problem("the metadata response before any data.chunk (6.9)", where);
  if (static_cast<std::int64_t>(added_) >= announced_)
    return problem(std::to_string(announced_) + " data.chunk notifications (6.7)", "one more");
  const bool stream_ok = c.is_object() && c.contains("stream") && c["stream"] == meta_["stream"];
  const bool index_ok = c.is_object() && c.contains("index") && c["index"].is_number_integer() &&
                        c["index"].get<std::int64_t>() == static_cast<std::int64_t>(added_);
  if (!stream_ok || !index_ok) {
    return problem(where + ": same stream, index " + std::to_string(added_) + " (in order)",
                   brief(c, 200));
  }
  if (c.contains("seq")) return problem(where + ": no seq (6.2)", brief(c, 200));
  std::string payload;
  if (json_format_) {
    if (encoding != Encoding::Json) return problem(where + ": a text message", "binary");
    if (!c.contains("payload") || !c["payload"].is_string())
      return problem(where + ": base64 string payload", brief(c, 200));
    auto decoded = base64_decode(c["payload"].get_ref<const std::string&>());
    if (!decoded) return problem(where + ": standard base64 with padding", brief(c, 200));
    payload = std::move(*decoded);
  } else {
    if (encoding != Encoding::MsgPack) return problem(where + ": a binary message", "text");
    if (!c.contains("payload") || !c["payload"].is_binary())
      return problem(where + ": bin payload", brief(c, 200));
    const auto& bin = c["payload"].get_binary();
    payload.assign(bin.begin(), bin.end());
  }
  if (payload.size() > limits_.max_payload) {
    return problem(where + ": payload at most " + std::to_string(limits_.max_payload) + " bytes",
                   std::to_string(payload.size()) + " bytes");
  }
  bytes_ += payload.size();
  digest_->update(payload);
  std::string array = std::move(payload);
  if (compressed_) {
    auto inflated = zlib_inflate(array, limits_.max_inflated);
    if (!inflated) return problem(where + ": one complete zlib stream", "does not inflate");
    array = std::move(*inflated);
  }
  if (!msgpack_nesting_within(array, limits_.max_depth)) {
    return problem(where + ": a MessagePack array nested at most " +
                       std::to_string(limits_.max_depth) + " deep",
                   WireLog::hex_prefix(array));
  }
  const json items = json::from_msgpack(array.begin(), array.end(), true, false);
  if (items.is_discarded() || !items.is_array() || items.empty()) {
    return problem(where + ": one MessagePack array of at least one entry",
                   WireLog::hex_prefix(array));
  }
  for (const auto& item : items) entries_.push_back(item);
  ++added_;
  return std::nullopt;
}

std::optional<ChunkProblem> ChunkAssembler::finish() {
  if (!started_) return problem("a metadata response", "none");
  if (static_cast<std::int64_t>(added_) != announced_) {
    return problem(std::to_string(announced_) + " data.chunk notifications (6.7)",
                   std::to_string(added_));
  }
  if (bytes_ != meta_["bytes"].get<std::uint64_t>()) {
    return problem("bytes = the sum of the raw payload lengths",
                   std::to_string(bytes_) + " vs " + brief(meta_["bytes"]));
  }
  const std::string sha = digest_->hex();
  if (sha != meta_["sha256"]) return problem("sha256 over the concatenated raw payloads", sha);
  if (static_cast<std::int64_t>(entries_.size()) != meta_["totalEntries"].get<std::int64_t>()) {
    return problem("totalEntries = the entries in all chunks", std::to_string(entries_.size()));
  }
  return std::nullopt;
}

}  // namespace flake::conform
