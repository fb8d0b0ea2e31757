// A throwaway certificate authority for a --tls run against a sidecar the suite starts
// (docs/protocol.md §14.4): CA -> intermediate -> leaf for 127.0.0.1 and localhost, made at run
// time in a private directory that goes away with the object, so no key outlives the run.
#pragma once

#include "conformance/client/tls_client.hpp"

#include <chrono>
#include <memory>
#include <string>

namespace flake::conform {

class ThrowawayPki {
 public:
  // EC P-256 keys; the leaf has SAN IP:127.0.0.1 and DNS:localhost and is valid for `validity`
  // (from an hour ago, for clock skew). The directory is $TMPDIR/flake-conform-tls-XXXXXX, mode
  // 0700. Nullptr with `error` when anything fails; nothing is left behind then.
  static std::unique_ptr<ThrowawayPki> create(std::string& error,
                                              std::chrono::hours validity = std::chrono::hours(24));
  ~ThrowawayPki();  // removes the files and the directory
  ThrowawayPki(const ThrowawayPki&) = delete;
  ThrowawayPki& operator=(const ThrowawayPki&) = delete;

  const std::string& dir() const { return dir_; }
  // The root the suite trusts (--tls-ca of a client).
  std::string ca_file() const { return dir_ + "/ca.pem"; }
  // For --tls-cert: the leaf, then the intermediate (§14.2).
  std::string chain_file() const { return dir_ + "/chain.pem"; }
  // For --tls-key: the leaf's private key (PKCS#8 PEM, mode 0600).
  std::string key_file() const { return dir_ + "/key.pem"; }
  // SHA-256 of the leaf's DER, as §14.2d has the sidecar print it.
  const Sha256& leaf_fingerprint() const { return leaf_fingerprint_; }

 private:
  ThrowawayPki() = default;
  std::string dir_;
  Sha256 leaf_fingerprint_{};
};

}  // namespace flake::conform
