// Reproducer files of the network fuzzer: the failing burst's exact bytes per connection as JSON
// (format "flake-netfuzz-reproducer/1", documented in docs/network-fuzzing.md).
#pragma once

#include "conformance/netfuzz/script.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace flake::conform::netfuzz {

inline constexpr std::string_view kReproducerFormat = "flake-netfuzz-reproducer/1";

struct Reproducer {
  std::uint64_t seed = 0;
  std::uint64_t max_message_bytes = 0;  // what the generators were told (informative)
  std::string failure;                  // what the fuzzer saw after the burst
  std::string target;                   // informative
  bool tls = false;                     // the run was over TLS: replay needs a TLS target
  Burst burst;                          // index, family, connections
};

std::string reproducer_text(const Reproducer& reproducer);
std::optional<Reproducer> parse_reproducer(std::string_view text, std::string& error);

bool write_reproducer(const std::string& path, const Reproducer& reproducer, std::string& error);
std::optional<Reproducer> read_reproducer(const std::string& path, std::string& error);

}  // namespace flake::conform::netfuzz
