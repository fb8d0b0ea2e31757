// Building the TLS server context (see server_tls.hpp).
#include "reference/tls/server_tls.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <array>

namespace flake::tls {

namespace {

int select_alpn(SSL*, const unsigned char** out, unsigned char* out_length, const unsigned char* in,
                unsigned int in_length, void* arg) {
  const auto& policy = *static_cast<const TlsPolicy*>(arg);
  switch (choose_alpn(std::span(in, in_length), policy)) {
    case AlpnChoice::kHttp11:
      *out = reinterpret_cast<const unsigned char*>("http/1.1");
      *out_length = 8;
      return SSL_TLSEXT_ERR_OK;
    case AlpnChoice::kNoAlpn:
      return SSL_TLSEXT_ERR_NOACK;
    case AlpnChoice::kRefuse:
      break;
  }
  return SSL_TLSEXT_ERR_ALERT_FATAL;  // OpenSSL sends no_application_protocol (RFC 7301 §3.2)
}

}  // namespace

std::string last_ssl_error() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown error";
  std::array<char, 256> text{};
  ERR_error_string_n(code, text.data(), text.size());
  return text.data();
}

std::string colon_hex(std::span<const uint8_t> bytes) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (uint8_t b : bytes) {
    if (!out.empty()) out += ':';
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

AlpnChoice choose_alpn(std::span<const uint8_t> offer, const TlsPolicy& policy) {
  if (policy.alpn_none) return AlpnChoice::kNoAlpn;
  constexpr std::string_view kHttp11 = "http/1.1";
  size_t at = 0;
  while (at < offer.size()) {
    const size_t length = offer[at];
    if (length == 0 || at + 1 + length > offer.size()) break;  // malformed: no http/1.1 in it
    const std::string_view name(reinterpret_cast<const char*>(offer.data() + at + 1), length);
    if (name == kHttp11) return AlpnChoice::kHttp11;
    at += 1 + length;
  }
  return policy.alpn_any ? AlpnChoice::kNoAlpn : AlpnChoice::kRefuse;
}

std::optional<ServerTls> make_server_tls(const std::string& cert_file, const std::string& key_file,
                                         const TlsPolicy& policy, std::string& error) {
  ServerTls tls{
      SslCtxPtr(SSL_CTX_new(TLS_server_method())), std::make_unique<TlsPolicy>(policy), {}};
  SSL_CTX* ctx = tls.ctx.get();
  if (ctx == nullptr) {
    error = "cannot create the TLS context: " + last_ssl_error();
    return std::nullopt;
  }
  if (policy.old_versions) {
    // OpenSSL 3 refuses TLS 1.0/1.1 (SHA-1 signatures) at security level 1 and above.
    SSL_CTX_set_security_level(ctx, 0);
    SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
  } else {
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  }
  SSL_CTX_set_max_proto_version(ctx, policy.max_tls12 ? TLS1_2_VERSION : 0);
  const int loaded = policy.leaf_only
                         ? SSL_CTX_use_certificate_file(ctx, cert_file.c_str(), SSL_FILETYPE_PEM)
                         : SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str());
  if (loaded != 1) {
    error = "cannot read the certificate chain " + cert_file + ": " + last_ssl_error();
    return std::nullopt;
  }
  // Read apart from its use, so that "cannot read" and "does not belong" stay two messages.
  std::unique_ptr<BIO, decltype(&BIO_free)> key_bio(BIO_new_file(key_file.c_str(), "r"), BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      key_bio ? PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr) : nullptr,
      EVP_PKEY_free);
  if (!key) {
    error = "cannot read the private key " + key_file + ": " + last_ssl_error();
    return std::nullopt;
  }
  if (SSL_CTX_use_PrivateKey(ctx, key.get()) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    error = "the key " + key_file + " does not belong to the certificate " + cert_file;
    ERR_clear_error();
    return std::nullopt;
  }
  SSL_CTX_set_alpn_select_cb(ctx, select_alpn, tls.policy.get());
  // Each connection is its own session; resumption would only add state to keep.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(ctx, 0);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  std::array<uint8_t, EVP_MAX_MD_SIZE> digest{};
  unsigned int digest_length = 0;
  X509_digest(SSL_CTX_get0_certificate(ctx), EVP_sha256(), digest.data(), &digest_length);
  tls.fingerprint = colon_hex(std::span(digest.data(), digest_length));
  return tls;
}

}  // namespace flake::tls
