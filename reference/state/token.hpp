// The sidecar's shared secret: where it comes from (--token-file, FLAKE_SIDECAR_TOKEN, generated)
// and the constant-time comparison every authentication goes through (docs/protocol.md §4).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace flake {

struct TokenResult {
  std::string token;
  bool generated = false;   // true: nobody else knows it yet, so the caller prints it once
  std::string error;        // non-empty => failure; names the file, never the token's contents
  bool blank_file = false;  // the error is a token file that holds only whitespace
};

// Precedence: the file when a path is given (a file problem is an error, never a fallback), else a
// non-empty `env_value`, else a freshly generated token. Leading and trailing whitespace is
// stripped from a file (§4.1a); with `one_line_break_only` (--defect token-file-untrimmed) only
// one trailing "\n" or "\r\n" is.
TokenResult resolve_token(std::optional<std::string> token_file_path, const char* env_value,
                          bool one_line_break_only = false);

// 32 random bytes from OpenSSL's CSPRNG as 64 lowercase hex chars; empty only if the CSPRNG fails.
std::string generate_token();

// `n_bytes` random bytes as 2 * n_bytes lowercase hex chars; empty only if the CSPRNG fails.
std::string random_hex(size_t n_bytes);

// Constant-time equality. The time taken depends only on `offered`'s length, never on the secret's
// contents or on where a mismatch is; an empty `expected` matches nothing.
bool token_matches(std::string_view expected, std::string_view offered);

}  // namespace flake
