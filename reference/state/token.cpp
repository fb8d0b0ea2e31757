// Token sourcing and comparison. Secrets never reach logs or error messages, and comparison takes
// constant time so response times do not reveal how much of a guess was right.
#include "reference/state/token.hpp"

#include <libwebsockets.h>
#include <openssl/rand.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

namespace flake {

namespace {

// A token file is a few dozen bytes; the bound stops "--token-file /dev/zero" from eating memory.
constexpr size_t kMaxTokenFileBytes = size_t{64} * 1024;

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

std::string describe_errno(int err) {
  return err != 0 ? std::strerror(err) : "read error";
}

TokenResult read_token_file(const std::string& path, bool one_line_break_only) {
  TokenResult result;
  errno = 0;
  FilePtr file(std::fopen(path.c_str(), "rb"));
  if (!file) {
    result.error = "cannot open token file '" + path + "': " + describe_errno(errno);
    return result;
  }
  std::string contents;
  char buffer[4096];
  for (;;) {
    errno = 0;
    const size_t got = std::fread(buffer, 1, sizeof buffer, file.get());
    contents.append(buffer, got);
    if (contents.size() > kMaxTokenFileBytes) {
      result.error = "token file '" + path + "' is larger than " +
                     std::to_string(kMaxTokenFileBytes) + " bytes";
      return result;
    }
    if (got < sizeof buffer) {
      if (std::ferror(file.get())) {
        result.error = "cannot read token file '" + path + "': " + describe_errno(errno);
        return result;
      }
      break;  // end of file
    }
  }
  // Tokens are printable non-space ASCII (§4.1), so surrounding whitespace is never part of the
  // secret: editors and `echo` add line breaks, and clients that read "the first line" must agree.
  constexpr std::string_view kSpace = " \t\r\n\f\v";
  if (one_line_break_only) {
    if (contents.ends_with("\n")) contents.pop_back();
    if (contents.ends_with("\r")) contents.pop_back();
    if (contents.find_first_not_of(kSpace) == std::string::npos) contents.clear();
  }
  const size_t first = contents.find_first_not_of(kSpace);
  contents = one_line_break_only ? contents
             : first == std::string::npos
                 ? std::string()
                 : contents.substr(first, contents.find_last_not_of(kSpace) - first + 1);
  if (contents.empty()) {
    result.error = "token file '" + path + "' is empty";
    result.blank_file = true;
    return result;
  }
  result.token = std::move(contents);
  return result;
}

}  // namespace

std::string random_hex(size_t n_bytes) {
  if (n_bytes > static_cast<size_t>(std::numeric_limits<int>::max())) return {};
  std::vector<unsigned char> raw(n_bytes);
  if (n_bytes > 0 && RAND_bytes(raw.data(), static_cast<int>(n_bytes)) != 1) return {};
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * n_bytes);
  for (unsigned char b : raw) {
    hex.push_back(kDigits[b >> 4]);
    hex.push_back(kDigits[b & 0x0F]);
  }
  OPENSSL_cleanse(raw.data(), raw.size());
  return hex;
}

std::string generate_token() {
  return random_hex(32);
}

TokenResult resolve_token(std::optional<std::string> token_file_path, const char* env_value,
                          bool one_line_break_only) {
  if (token_file_path) return read_token_file(*token_file_path, one_line_break_only);
  if (env_value != nullptr && env_value[0] != '\0') return TokenResult{env_value, false, {}};
  TokenResult result;
  result.token = generate_token();
  result.generated = true;
  if (result.token.empty()) result.error = "cannot generate a token: the CSPRNG failed";
  return result;
}

bool token_matches(std::string_view expected, std::string_view offered) {
  if (offered.size() > std::numeric_limits<uint32_t>::max()) return false;
  const auto len = static_cast<uint32_t>(offered.size());
  const bool same_length = expected.size() == offered.size();
  // On a length mismatch `offered` is compared with itself: the same amount of work is still done,
  // so the time taken does not reveal that the length was what differed.
  const char* reference = same_length ? expected.data() : offered.data();
  const int diff = len == 0 ? 0 : lws_timingsafe_bcmp(reference, offered.data(), len);
  return same_length && diff == 0 && !expected.empty();
}

}  // namespace flake
