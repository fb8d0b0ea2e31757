// permessage-deflate: a strict reader of Sec-WebSocket-Extensions offers (RFC 7692 §5, RFC 6455
// §9.1 syntax) and zlib raw-deflate streams that live as long as the connection.
#include "reference/ws/deflate.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <vector>

#include "reference/codec/ascii.hpp"

namespace flake::ws {

namespace detail {

void InflateEnd::operator()(z_stream_s* z) const {
  inflateEnd(z);
  std::default_delete<z_stream_s>()(z);
}

void DeflateEnd::operator()(z_stream_s* z) const {
  deflateEnd(z);
  std::default_delete<z_stream_s>()(z);
}

}  // namespace detail

namespace {

constexpr std::string_view kExtensionName = "permessage-deflate";
constexpr std::array<uint8_t, 4> kFlushTail = {0x00, 0x00, 0xff, 0xff};
// Output is produced in steps of at most this much, so a message over its limit is noticed
// before it costs memory.
constexpr size_t kOutputStep = 16 * 1024;
// zlib counts in uInt; larger inputs go in slices.
constexpr size_t kMaxSlice = size_t{1} << 30;

// ---- Offer syntax (RFC 6455 §9.1 on RFC 7230 tokens) ----

struct Param {
  std::string_view name;
  std::optional<std::string> value;  // unquoted
};

struct Offer {
  std::string_view name;
  std::vector<Param> params;
};

// A cursor over one list element (the text between two top-level commas).
class ElementParser {
 public:
  explicit ElementParser(std::string_view s) : s_(s) {}

  // nullopt on any syntax error; the caller then skips this element.
  std::optional<Offer> parse() {
    Offer offer;
    skip_ows();
    offer.name = token();
    if (offer.name.empty()) return std::nullopt;
    skip_ows();
    while (at(';')) {
      ++i_;
      skip_ows();
      Param p;
      p.name = token();
      if (p.name.empty()) return std::nullopt;
      skip_ows();
      if (at('=')) {
        ++i_;
        skip_ows();
        p.value = at('"') ? quoted() : std::optional<std::string>(std::string(token()));
        if (!p.value || p.value->empty()) return std::nullopt;
        skip_ows();
      }
      offer.params.push_back(std::move(p));
    }
    if (i_ != s_.size()) return std::nullopt;
    return offer;
  }

 private:
  bool at(char c) const { return i_ < s_.size() && s_[i_] == c; }
  void skip_ows() {
    while (i_ < s_.size() && is_ows(s_[i_])) ++i_;
  }
  std::string_view token() {
    size_t start = i_;
    while (i_ < s_.size() && is_tchar(s_[i_])) ++i_;
    return s_.substr(start, i_ - start);
  }
  // A quoted-string with its quoted-pairs undone (RFC 7230 §3.2.6).
  std::optional<std::string> quoted() {
    std::string out;
    ++i_;  // opening quote
    while (i_ < s_.size()) {
      char c = s_[i_++];
      if (c == '"') return out;
      if (c == '\\') {
        if (i_ == s_.size()) return std::nullopt;
        c = s_[i_++];
      }
      out += c;
    }
    return std::nullopt;  // unterminated
  }

  std::string_view s_;
  size_t i_ = 0;
};

// Splits at commas outside quoted strings, so a comma in a quoted value cannot cut an offer in two.
std::vector<std::string_view> split_elements(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  bool in_quotes = false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (in_quotes) {
      if (s[i] == '\\') {
        ++i;
      } else if (s[i] == '"') {
        in_quotes = false;
      }
    } else if (s[i] == '"') {
      in_quotes = true;
    } else if (s[i] == ',') {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  out.push_back(s.substr(start));
  return out;
}

// RFC 7692 §7.1.2: 1*DIGIT, no leading zeros, 8..15.
std::optional<int> window_bits(std::string_view v) {
  if (v.empty() || v.size() > 2 || v[0] == '0') return std::nullopt;
  int n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  if (n < 8 || n > 15) return std::nullopt;
  return n;
}

std::optional<DeflateAgreement> accept(const Offer& offer) {
  bool seen_server_nct = false, seen_client_nct = false;
  bool seen_server_bits = false, seen_client_bits = false;
  std::optional<int> server_bits, client_bits;  // the values, when given
  for (const Param& p : offer.params) {
    if (iequals(p.name, "server_no_context_takeover")) {
      if (seen_server_nct || p.value) return std::nullopt;
      seen_server_nct = true;
    } else if (iequals(p.name, "client_no_context_takeover")) {
      if (seen_client_nct || p.value) return std::nullopt;
      seen_client_nct = true;
    } else if (iequals(p.name, "server_max_window_bits")) {
      if (seen_server_bits || !p.value) return std::nullopt;
      seen_server_bits = true;
      server_bits = window_bits(*p.value);
      // zlib has no 8-bit raw-deflate window (1.2.13 refuses it, older ones quietly used 9), and
      // a larger one would break the promise.
      if (!server_bits || *server_bits == 8) return std::nullopt;
    } else if (iequals(p.name, "client_max_window_bits")) {
      if (seen_client_bits) return std::nullopt;
      seen_client_bits = true;
      if (p.value) {
        client_bits = window_bits(*p.value);
        if (!client_bits) return std::nullopt;
      }
    } else {
      return std::nullopt;
    }
  }

  DeflateAgreement agreement;
  DeflateParams& params = agreement.params;
  std::string& response = agreement.response;
  response = kExtensionName;
  if (seen_server_nct) {
    params.server_no_context_takeover = true;
    response += "; server_no_context_takeover";
  }
  if (seen_client_nct) {
    params.client_no_context_takeover = true;
    response += "; client_no_context_takeover";
  }
  if (server_bits) {
    params.server_max_window_bits = *server_bits;
    response += "; server_max_window_bits=" + std::to_string(*server_bits);
  }
  // A bare client_max_window_bits needs no answer: our 15-bit inflate window takes any size.
  if (client_bits) {
    params.client_max_window_bits = *client_bits;
    response += "; client_max_window_bits=" + std::to_string(*client_bits);
  }
  return agreement;
}

}  // namespace

std::optional<DeflateAgreement> negotiate_deflate(std::string_view offers) {
  for (std::string_view element : split_elements(offers)) {
    std::optional<Offer> offer = ElementParser(element).parse();
    if (!offer || !iequals(offer->name, kExtensionName)) continue;
    if (std::optional<DeflateAgreement> agreement = accept(*offer)) return agreement;
  }
  return std::nullopt;
}

// ---- Inflater ----

Inflater::Inflater(const DeflateParams& params) : params_(params) {}

bool Inflater::ensure_stream() {
  if (z_) return true;
  auto z = std::make_unique<z_stream_s>();
  // Always 15 bits: a larger window inflates any smaller one, and the client may pick smaller.
  if (inflateInit2(z.get(), -15) != Z_OK) return false;
  z_.reset(z.release());
  return true;
}

// After a BFINAL block zlib will not read on, so the next message needs a fresh stream; with
// context takeover it must still see the old window, carried over as a preset dictionary.
bool Inflater::restart_after_final_block() {
  final_block_ = false;
  if (params_.client_no_context_takeover) return inflateReset(z_.get()) == Z_OK;
  std::string window(size_t{1} << 15, '\0');
  uInt window_size = 0;
  if (inflateGetDictionary(z_.get(), reinterpret_cast<Bytef*>(window.data()), &window_size) !=
      Z_OK) {
    return false;
  }
  if (inflateReset(z_.get()) != Z_OK) return false;
  return inflateSetDictionary(z_.get(), reinterpret_cast<const Bytef*>(window.data()),
                              window_size) == Z_OK;
}

InflateStatus Inflater::run(std::span<const uint8_t> in, std::string& out, size_t limit) {
  z_stream& z = *z_;
  if (produced_ > limit) return failed_ = InflateStatus::kTooBig;
  // Every return leaves avail_in at 0, so zlib never keeps a pointer into the caller's bytes.
  while (!final_block_) {
    if (z.avail_in == 0 && !in.empty()) {
      const size_t slice = std::min(in.size(), kMaxSlice);
      z.next_in = const_cast<Bytef*>(reinterpret_cast<const Bytef*>(in.data()));
      z.avail_in = static_cast<uInt>(slice);
      in = in.subspan(slice);
    }
    // One byte past the limit is enough to know the message is too big.
    const size_t left = limit - produced_;
    const size_t step = left < kOutputStep ? left + 1 : kOutputStep;
    const size_t old_size = out.size();
    out.resize(old_size + step);
    z.next_out = reinterpret_cast<Bytef*>(out.data() + old_size);
    z.avail_out = static_cast<uInt>(step);
    const int rc = inflate(&z, Z_SYNC_FLUSH);
    const size_t got = step - z.avail_out;
    out.resize(old_size + got);
    produced_ += got;
    if (produced_ > limit) {
      z.avail_in = 0;
      return failed_ = InflateStatus::kTooBig;
    }
    if (rc == Z_STREAM_END) {
      // What follows a final block in this message is padding (RFC 7692 §7.2.3.3).
      z.avail_in = 0;
      final_block_ = true;
      break;
    }
    // Z_BUF_ERROR is "no progress": fine once the input is gone, impossible while some is left.
    if ((rc != Z_OK && rc != Z_BUF_ERROR) || (rc == Z_BUF_ERROR && z.avail_in != 0)) {
      z.avail_in = 0;
      return failed_ = InflateStatus::kCorrupt;
    }
    // Room to spare with no input left: zlib has handed over everything it could.
    if (z.avail_in == 0 && in.empty() && z.avail_out != 0) break;
  }
  return InflateStatus::kOk;
}

InflateStatus Inflater::feed(std::span<const uint8_t> in, std::string& out, size_t limit) {
  if (failed_ != InflateStatus::kOk) return failed_;
  if (in.empty()) return InflateStatus::kOk;
  if (!ensure_stream()) return failed_ = InflateStatus::kCorrupt;
  return run(in, out, limit);
}

InflateStatus Inflater::finish(std::string& out, size_t limit) {
  if (failed_ != InflateStatus::kOk) return failed_;
  if (!ensure_stream()) return failed_ = InflateStatus::kCorrupt;
  if (!final_block_) {
    const InflateStatus status = run(kFlushTail, out, limit);
    if (status != InflateStatus::kOk) return status;
  }
  if (final_block_) {
    if (!restart_after_final_block()) return failed_ = InflateStatus::kCorrupt;
  } else if ((z_->data_type & 128) == 0) {
    // zlib sets 128 when it stopped on a block boundary; the tail's empty stored block ends on
    // one unless the message broke off inside a block.
    return failed_ = InflateStatus::kCorrupt;
  } else if (params_.client_no_context_takeover) {
    // Not needed for correctness (the client's stream never refers back), but keeps nothing
    // stale.
    if (inflateReset(z_.get()) != Z_OK) return failed_ = InflateStatus::kCorrupt;
  }
  produced_ = 0;
  return InflateStatus::kOk;
}

// ---- Deflater ----

Deflater::Deflater(const DeflateParams& params) : params_(params) {}

bool Deflater::ensure_stream() {
  if (z_) return true;
  auto z = std::make_unique<z_stream_s>();
  const int bits = std::clamp(params_.server_max_window_bits, 9, 15);
  // memLevel 8 (zlib's default, 128 KiB of hash state at 15 bits): the sidecar keeps one per
  // connection.
  if (deflateInit2(z.get(), Z_DEFAULT_COMPRESSION, Z_DEFLATED, -bits, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    return false;
  }
  z_.reset(z.release());
  return true;
}

std::string Deflater::compress(std::string_view message) {
  if (failed_ || !ensure_stream()) {
    failed_ = true;
    return {};
  }
  // After a sync flush the stream sits on a byte boundary, so an empty stored block is all an
  // empty message needs (§7.2.3.6); zlib itself would refuse a second flush with no input.
  if (message.empty()) return std::string(1, '\0');
  z_stream& z = *z_;
  std::string out(message.size() / 2 + 64, '\0');
  size_t used = 0;
  size_t fed = 0;
  while (true) {
    if (z.avail_in == 0 && fed < message.size()) {
      const size_t slice = std::min(message.size() - fed, kMaxSlice);
      z.next_in = const_cast<Bytef*>(reinterpret_cast<const Bytef*>(message.data() + fed));
      z.avail_in = static_cast<uInt>(slice);
      fed += slice;
    }
    if (out.size() - used < 64) out.resize(out.size() * 2);
    const size_t room = std::min(out.size() - used, kMaxSlice);
    z.next_out = reinterpret_cast<Bytef*>(out.data() + used);
    z.avail_out = static_cast<uInt>(room);
    // Flushing only on the last slice keeps one sync point per message.
    const int flush = fed < message.size() ? Z_NO_FLUSH : Z_SYNC_FLUSH;
    const int rc = deflate(&z, flush);
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      failed_ = true;
      return {};
    }
    used += room - z.avail_out;
    // Room left over after a sync flush of all input means the flush is complete.
    if (flush == Z_SYNC_FLUSH && z.avail_in == 0 && z.avail_out != 0) break;
  }
  out.resize(used);
  if (out.size() < kFlushTail.size() ||
      !std::equal(kFlushTail.begin(), kFlushTail.end(), out.end() - kFlushTail.size(),
                  [](uint8_t a, char b) { return a == static_cast<uint8_t>(b); })) {
    failed_ = true;
    return {};
  }
  out.resize(out.size() - kFlushTail.size());
  if (params_.server_no_context_takeover && deflateReset(&z) != Z_OK) failed_ = true;
  return out;
}

}  // namespace flake::ws
