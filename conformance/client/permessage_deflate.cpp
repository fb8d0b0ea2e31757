// RFC 7692 with zlib: raw deflate streams, Z_SYNC_FLUSH per message, optional context reset.
#include "conformance/client/permessage_deflate.hpp"

#include "conformance/client/wire_capture.hpp"

#include "conformance/client/http_handshake.hpp"

#include <array>
#include <charconv>

namespace flake::conform {
namespace {

bool parse_bits(std::string_view value, int& out) {
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
    value = value.substr(1, value.size() - 2);
  }
  int bits = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), bits);
  if (ec != std::errc() || end != value.data() + value.size() || bits < 8 || bits > 15) {
    return false;
  }
  out = bits;
  return true;
}

}  // namespace

std::optional<DeflateParams> parse_deflate_answer(std::string_view header, std::string& error) {
  error.clear();
  // Only the first extension matters: we offered exactly one.
  const std::string_view first = trim(header.substr(0, header.find(',')));
  std::string_view rest = first;
  const std::size_t semi = rest.find(';');
  if (trim(rest.substr(0, semi)) != "permessage-deflate") {
    error = "server answered an extension that was not offered: " + std::string(first);
    return std::nullopt;
  }
  DeflateParams params;
  bool seen[4] = {false, false, false, false};
  rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
  while (!rest.empty()) {
    const std::size_t next = rest.find(';');
    const std::string_view item = trim(rest.substr(0, next));
    rest = next == std::string_view::npos ? std::string_view() : rest.substr(next + 1);
    const std::size_t eq = item.find('=');
    const std::string_view name = trim(item.substr(0, eq));
    const std::string_view value =
        eq == std::string_view::npos ? std::string_view() : trim(item.substr(eq + 1));
    int index = -1;
    bool ok = true;
    if (name == "server_no_context_takeover") {
      index = 0;
      ok = value.empty();
      params.server_no_context_takeover = true;
    } else if (name == "client_no_context_takeover") {
      index = 1;
      ok = value.empty();
      params.client_no_context_takeover = true;
    } else if (name == "server_max_window_bits") {
      index = 2;
      ok = parse_bits(value, params.server_max_window_bits);
    } else if (name == "client_max_window_bits") {
      index = 3;
      ok = parse_bits(value, params.client_max_window_bits);
    }
    if (index < 0 || !ok || seen[index]) {
      error = "invalid permessage-deflate parameter in answer: " + std::string(item);
      return std::nullopt;
    }
    seen[index] = true;
  }
  return params;
}

MessageDeflater::MessageDeflater(int window_bits, bool no_context_takeover)
    : window_bits_(window_bits < 9 ? 9 : window_bits), no_context_takeover_(no_context_takeover) {
  init();
}

void MessageDeflater::init() {
  stream_.reset();
  *storage_ = z_stream{};
  deflateInit2(storage_.get(), Z_DEFAULT_COMPRESSION, Z_DEFLATED, -window_bits_, 8,
               Z_DEFAULT_STRATEGY);
  stream_.reset(storage_.get());
}

std::string MessageDeflater::compress(std::string_view message) {
  // Every compressed message the suite sends passes here, also those a case builds itself.
  if (WireCapture* capture = active_capture()) capture->on_compressed_plaintext(message);
  if (no_context_takeover_) init();
  z_stream* z = stream_.get();
  std::string out;
  std::array<unsigned char, 16384> chunk{};
  z->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(message.data()));
  z->avail_in = static_cast<uInt>(message.size());
  do {
    z->next_out = chunk.data();
    z->avail_out = static_cast<uInt>(chunk.size());
    deflate(z, Z_SYNC_FLUSH);
    out.append(reinterpret_cast<const char*>(chunk.data()), chunk.size() - z->avail_out);
  } while (z->avail_out == 0);
  if (out.size() >= 4 && out.compare(out.size() - 4, 4, std::string("\0\0\xff\xff", 4)) == 0) {
    out.resize(out.size() - 4);
  }
  return out;
}

MessageInflater::MessageInflater(int window_bits, bool no_context_takeover)
    : window_bits_(window_bits), no_context_takeover_(no_context_takeover) {
  init();
}

void MessageInflater::init() {
  stream_.reset();
  *storage_ = z_stream{};
  // Inflating with the largest window accepts whatever window the peer used.
  inflateInit2(storage_.get(), -15);
  stream_.reset(storage_.get());
}

bool MessageInflater::decompress(std::string_view payload, std::size_t max_bytes, std::string& out,
                                 std::string& error) {
  if (no_context_takeover_) init();
  z_stream* z = stream_.get();
  std::string input(payload);
  input.append("\0\0\xff\xff", 4);
  z->next_in = reinterpret_cast<Bytef*>(input.data());
  z->avail_in = static_cast<uInt>(input.size());
  out.clear();
  std::array<unsigned char, 65536> chunk{};
  while (z->avail_in > 0) {
    z->next_out = chunk.data();
    z->avail_out = static_cast<uInt>(chunk.size());
    const int rc = inflate(z, Z_SYNC_FLUSH);
    if (rc != Z_OK && rc != Z_BUF_ERROR && rc != Z_STREAM_END) {
      error = std::string("inflate failed: ") + (z->msg ? z->msg : "corrupt data");
      return false;
    }
    out.append(reinterpret_cast<const char*>(chunk.data()), chunk.size() - z->avail_out);
    if (out.size() > max_bytes) {
      error = "inflated message larger than " + std::to_string(max_bytes) + " bytes";
      return false;
    }
    if (rc == Z_BUF_ERROR && z->avail_out != 0) break;  // no progress possible
    if (rc == Z_STREAM_END) {
      // A final block ends the stream; the next message needs a fresh one.
      inflateReset(z);
      break;
    }
  }
  return true;
}

}  // namespace flake::conform
