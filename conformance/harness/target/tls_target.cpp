// The target's TLS set-up (tls_target.hpp).
#include "conformance/harness/target/tls_target.hpp"

#include "conformance/client/tls_client.hpp"

#include <utility>

namespace flake::conform {

bool trust_url_target(const std::optional<std::string>& ca_file,
                      const std::optional<std::string>& fingerprint, std::string& error) {
  if (!ca_file && !fingerprint) return true;
  TlsClientOptions tls;
  tls.enabled = true;
  if (ca_file) tls.ca_file = *ca_file;
  if (fingerprint) {
    tls.fingerprint_sha256 = parse_fingerprint(*fingerprint);
    if (!tls.fingerprint_sha256) {
      error = "--tls-fingerprint needs 32 hex octets, not \"" + *fingerprint + "\"";
      return false;
    }
  }
  auto client = TlsClient::create(tls, error);
  if (!client) return false;
  set_target_tls(std::move(client));
  return true;
}

std::unique_ptr<ThrowawayPki> serve_throwaway_tls(SidecarLauncher& launcher, std::string& error) {
  auto pki = ThrowawayPki::create(error);
  if (!pki) return nullptr;
  TlsClientOptions tls;
  tls.enabled = true;
  tls.ca_file = pki->ca_file();
  auto client = TlsClient::create(tls, error);
  if (!client) return nullptr;
  set_target_tls(std::move(client));
  launcher.serve_tls(pki->chain_file(), pki->key_file(), pki->dir());
  return pki;
}

}  // namespace flake::conform
