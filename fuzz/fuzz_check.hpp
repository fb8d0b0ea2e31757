// What every fuzz target shares: the libFuzzer entry point's signature and a check that stops the
// run (a crash libFuzzer and the replay driver both report) when a property of the parser breaks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace flake::fuzz {

[[noreturn]] inline void check_failed(const char* what, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: fuzz property violated: %s\n", file, line, what);
  std::abort();
}

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace flake::fuzz

// Unlike assert(), on in every build type: a property that fails must fail the replay too.
#define FLAKE_FUZZ_CHECK(condition) \
  ((condition) ? static_cast<void>(0) : ::flake::fuzz::check_failed(#condition, __FILE__, __LINE__))
