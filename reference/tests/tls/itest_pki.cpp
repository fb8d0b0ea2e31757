// The TLS itests' throwaway certificates: a CA, an intermediate and a leaf for 127.0.0.1 and
// localhost, generated with the OpenSSL API into a temporary directory (tls_itest_support.hpp).
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "reference/tests/tls/tls_itest_support.hpp"

namespace flake::tls_itest {

namespace {

using KeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using CertPtr = std::unique_ptr<X509, decltype(&X509_free)>;

KeyPtr new_key() {
  return KeyPtr(EVP_EC_gen("P-256"), EVP_PKEY_free);
}

void add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) throw std::runtime_error("extension");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

CertPtr new_cert(const char* cn, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key, bool ca) {
  static long serial = 1;
  CertPtr cert(X509_new(), X509_free);
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial++);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn),
                             -1, -1, 0);
  X509* signer = issuer ? issuer : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
  if (ca) {
    add_ext(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_ext(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
    add_ext(cert.get(), signer, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
    add_ext(cert.get(), signer, NID_ext_key_usage, "serverAuth");
  }
  X509_sign(cert.get(), issuer_key, EVP_sha256());
  return cert;
}

void write_pem(const std::string& path, std::initializer_list<X509*> certs, EVP_PKEY* key) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) throw std::runtime_error("cannot write " + path);
  for (X509* cert : certs) PEM_write_X509(f, cert);
  if (key) PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
}

}  // namespace

Pki::Pki() {
  std::string templ = std::filesystem::temp_directory_path().string() + "/flake-tls-XXXXXX";
  if (::mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp");
  dir = templ;
  KeyPtr ca_key = new_key(), int_key = new_key(), leaf_key = new_key(), other_key = new_key();
  CertPtr ca = new_cert("flake test CA", ca_key.get(), nullptr, ca_key.get(), true);
  CertPtr mid = new_cert("flake test intermediate", int_key.get(), ca.get(), ca_key.get(), true);
  CertPtr leaf = new_cert("localhost", leaf_key.get(), mid.get(), int_key.get(), false);
  write_pem(path("ca.pem"), {ca.get()}, nullptr);
  write_pem(path("chain.pem"), {leaf.get(), mid.get()}, nullptr);
  write_pem(path("leaf.pem"), {leaf.get()}, nullptr);
  write_pem(path("leaf.key.pem"), {}, leaf_key.get());
  write_pem(path("other.key.pem"), {}, other_key.get());
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int length = 0;
  X509_digest(leaf.get(), EVP_sha256(), md.data(), &length);
  for (unsigned i = 0; i < length; ++i) {
    char hex[4];
    std::snprintf(hex, sizeof hex, i ? ":%02X" : "%02X", md[i]);
    leaf_fingerprint += hex;
  }
}

Pki::~Pki() {
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}

const Pki& shared_pki() {
  static const Pki pki;
  return pki;
}

}  // namespace flake::tls_itest
