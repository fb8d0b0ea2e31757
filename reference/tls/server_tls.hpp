// The sidecar's TLS configuration (docs/protocol.md §14.2, §14.3): the OpenSSL server context built
// from --tls-cert and --tls-key, the ALPN choice, the certificate fingerprint, the record sniff.
#pragma once

#include <openssl/ssl.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace flake::tls {

// What the defect switches change in the handshake (defects/seams.hpp builds it); all false is
// the rule as §14 writes it.
struct TlsPolicy {
  bool leaf_only = false;         // send only the first certificate of the chain (§14.2b)
  bool old_versions = false;      // accept TLS 1.0 and 1.1 (§14.3a)
  bool max_tls12 = false;         // never negotiate TLS 1.3 (§14.3b)
  bool alpn_none = false;         // never select an ALPN protocol (§14.3c)
  bool alpn_any = false;          // no alert for an offer without http/1.1 (§14.3d)
  bool plaintext_served = false;  // serve a connection that does not start with TLS (§14.3f)
};

struct SslCtxFree {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;

struct ServerTls {
  SslCtxPtr ctx;
  std::unique_ptr<TlsPolicy> policy;  // the ALPN callback's argument: its address must not move
  std::string fingerprint;            // "AB:CD:...", SHA-256 of the first certificate's DER
};

// The context for `cert_file` (PEM chain, leaf first) and `key_file`; nullopt with `error` set
// when either cannot be read or the key does not belong to the certificate (§14.2c).
std::optional<ServerTls> make_server_tls(const std::string& cert_file, const std::string& key_file,
                                         const TlsPolicy& policy, std::string& error);

enum class AlpnChoice { kHttp11, kNoAlpn, kRefuse };
// §14.3c/d for a client's ALPN list in wire format (length-prefixed names).
AlpnChoice choose_alpn(std::span<const uint8_t> offer, const TlsPolicy& policy);

// §14.3f: a TLS connection starts with a handshake record (content type 22).
constexpr bool starts_tls_record(uint8_t first_byte) {
  return first_byte == 0x16;
}

// 32 octets as upper-case hex separated by colons (§14.2d).
std::string colon_hex(std::span<const uint8_t> bytes);

// The message of OpenSSL's oldest queued error (and clears the queue), for start-up errors.
std::string last_ssl_error();

}  // namespace flake::tls
