// Generators of the network fuzzer: one family of malformed traffic each, all driven by a seeded
// PRNG owned by the caller, so a (seed, burst index) pair always yields the same bytes.
#pragma once

#include "conformance/netfuzz/script.hpp"

#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace flake::conform::netfuzz {

using Rng = std::mt19937_64;

enum class Family {
  Framing,    // reserved bits and opcodes, bad lengths, unmasked, control-frame abuse, fragments
  Utf8,       // invalid UTF-8 in text frames, whole or split across fragments
  Close,      // close frames with bad codes and payloads, data after close
  JsonRpc,    // structure mutations of valid requests, huge ids, deep nesting, big batches
  MsgPack,    // declared lengths beyond the data, deep nesting, invalid bytes
  Oversized,  // messages over the advertised limit, in one frame or many
  Slowloris,  // request heads and frames trickled byte by byte
  HalfOpen,   // connections that stop talking or half-close
  Abrupt,     // resets and closes in the middle of a handshake, frame or body
  Http,       // REST side: request smuggling shapes, huge heads, chunk-size overflow
  Tls,        // runs over TLS only: raw mutated TLS records, half handshakes, KeyUpdate
};

// The families of a plain run (the default set); tls_families() adds Family::Tls.
std::span<const Family> all_families();
std::span<const Family> tls_families();
std::string_view to_string(Family family);
std::optional<Family> family_from_string(std::string_view name);

// What the generators know about the target; it is part of what the bytes depend on.
struct GenContext {
  std::uint64_t max_message_bytes = std::uint64_t{16} << 20;  // capabilities.maxMessageBytes
  std::string ws_path = "/rpc";
  // The ClientHello the TLS family mutates; empty: capture_client_hello() once per process.
  std::string client_hello;
};

// The PRNG of one burst: independent of every other burst, so burst k can be regenerated alone.
Rng burst_rng(std::uint64_t seed, std::uint64_t index);

// The family of burst `index`: every family comes up once in each cycle of families.size()
// bursts, in a seed-dependent order.
Family burst_family(std::uint64_t seed, std::uint64_t index, std::span<const Family> families);

Burst generate_burst(std::uint64_t seed, std::uint64_t index, const GenContext& context,
                     std::span<const Family> families);

// One connection of the given family (used by generate_burst and by tests).
ConnScript generate_connection(Family family, Rng& rng, const GenContext& context);

// Helpers shared by the generator files.
std::uint64_t below(Rng& rng, std::uint64_t n);  // uniform in [0, n), n > 0
bool chance(Rng& rng, unsigned percent);
std::string random_bytes(Rng& rng, std::size_t n);
template <typename T>
const T& pick(Rng& rng, std::span<const T> items) {
  return items[below(rng, items.size())];
}
// A masked client frame whose mask key comes from the PRNG.
std::string client_frame(Rng& rng, std::uint8_t opcode, std::string_view payload, bool fin = true,
                         std::uint8_t rsv = 0);
// Upgrade (key from the PRNG) and, when `auth`, authentication.
void open_websocket(Rng& rng, ConnScript& conn, bool auth);
// The message as frames of random sizes, with pings between some of them.
std::string fragmented(Rng& rng, std::uint8_t opcode, std::string_view payload);

// Family bodies (netfuzz_gen_*.cpp).
ConnScript gen_framing(Rng& rng, const GenContext& context);
ConnScript gen_utf8(Rng& rng, const GenContext& context);
ConnScript gen_close(Rng& rng, const GenContext& context);
ConnScript gen_jsonrpc(Rng& rng, const GenContext& context);
ConnScript gen_msgpack(Rng& rng, const GenContext& context);
ConnScript gen_oversized(Rng& rng, const GenContext& context);
ConnScript gen_slowloris(Rng& rng, const GenContext& context);
ConnScript gen_half_open(Rng& rng, const GenContext& context);
ConnScript gen_abrupt(Rng& rng, const GenContext& context);
ConnScript gen_http(Rng& rng, const GenContext& context);
ConnScript gen_tls(Rng& rng, const GenContext& context);

// One TLS record holding the ClientHello OpenSSL sends first (memory BIOs, nothing on the network);
// empty when OpenSSL fails. Its random fields differ from call to call (gen_tls.cpp).
std::string capture_client_hello();

// Text of a JSON-RPC request mutated structurally (gen_payloads.cpp).
std::string mutated_request(Rng& rng);
// A MessagePack message, usually hostile (gen_payloads.cpp).
std::string hostile_msgpack(Rng& rng);

}  // namespace flake::conform::netfuzz
