// Certificate generation with OpenSSL's API (no openssl CLI at run time): three keys, three
// certificates, three PEM files.
#include "conformance/client/tls_certs.hpp"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cstdlib>
#include <utility>

namespace flake::conform {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using BioPtr = std::unique_ptr<BIO, BioFree>;

PkeyPtr p256_key() {
  return PkeyPtr(EVP_EC_gen("P-256"));
}

bool add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) return false;
  const bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

struct CertSpec {
  const char* common_name;
  bool ca;
  const char* basic_constraints;
  const char* key_usage;
  const char* subject_alt_name;  // leaf only
  std::chrono::hours validity;
};

// `issuer` null: self-signed with `key`.
X509Ptr make_cert(const CertSpec& spec, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key) {
  X509Ptr cert(X509_new());
  if (!cert) return nullptr;
  X509* c = cert.get();
  X509_set_version(c, 2);
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) return nullptr;
  serial[0] &= 0x7F;  // a positive INTEGER
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  const bool serial_ok = bn != nullptr && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c));
  BN_free(bn);
  if (!serial_ok) return nullptr;
  X509_gmtime_adj(X509_getm_notBefore(c), -3600);
  X509_gmtime_adj(X509_getm_notAfter(c),
                  std::chrono::duration_cast<std::chrono::seconds>(spec.validity).count());
  X509_NAME* name = X509_get_subject_name(c);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("flake-conform throwaway"), -1,
                             -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(spec.common_name), -1, -1, 0);
  X509_set_issuer_name(c, issuer != nullptr ? X509_get_subject_name(issuer) : name);
  if (X509_set_pubkey(c, key) != 1) return nullptr;
  X509* signer = issuer != nullptr ? issuer : c;
  bool ok = add_extension(c, signer, NID_basic_constraints, spec.basic_constraints) &&
            add_extension(c, signer, NID_key_usage, spec.key_usage) &&
            add_extension(c, signer, NID_subject_key_identifier, "hash") &&
            add_extension(c, signer, NID_authority_key_identifier, "keyid:always");
  if (ok && spec.subject_alt_name != nullptr) {
    ok = add_extension(c, signer, NID_subject_alt_name, spec.subject_alt_name) &&
         add_extension(c, signer, NID_ext_key_usage, "serverAuth");
  }
  if (!ok || X509_sign(c, issuer_key != nullptr ? issuer_key : key, EVP_sha256()) <= 0) {
    return nullptr;
  }
  return cert;
}

std::string pem_of(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) return {};
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

std::string pem_of(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return {};
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

bool write_private_file(const std::string& path, const std::string& body) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  const bool ok =
      !body.empty() && ::write(fd, body.data(), body.size()) == static_cast<ssize_t>(body.size());
  ::close(fd);
  return ok;
}

}  // namespace

std::unique_ptr<ThrowawayPki> ThrowawayPki::create(std::string& error,
                                                   std::chrono::hours validity) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern =
      std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/flake-conform-tls-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {  // mkdtemp makes it 0700
    error = "cannot create a private temporary directory for the TLS certificates";
    return nullptr;
  }
  std::unique_ptr<ThrowawayPki> pki(new ThrowawayPki());
  pki->dir_ = pattern;

  const PkeyPtr ca_key = p256_key();
  const PkeyPtr mid_key = p256_key();
  const PkeyPtr leaf_key = p256_key();
  if (!ca_key || !mid_key || !leaf_key) {
    error = "cannot generate EC P-256 keys";
    return nullptr;
  }
  const X509Ptr ca = make_cert({"flake-conform throwaway root", true, "critical,CA:TRUE,pathlen:1",
                                "critical,keyCertSign,cRLSign", nullptr, validity},
                               ca_key.get(), nullptr, nullptr);
  const X509Ptr mid =
      ca ? make_cert({"flake-conform throwaway intermediate", true, "critical,CA:TRUE,pathlen:0",
                      "critical,keyCertSign,cRLSign", nullptr, validity},
                     mid_key.get(), ca.get(), ca_key.get())
         : nullptr;
  const X509Ptr leaf =
      mid ? make_cert({"localhost", false, "critical,CA:FALSE", "critical,digitalSignature",
                       "IP:127.0.0.1,DNS:localhost", validity},
                      leaf_key.get(), mid.get(), mid_key.get())
          : nullptr;
  if (!leaf) {
    error = "cannot make the throwaway certificates";
    return nullptr;
  }
  unsigned char* der = nullptr;
  const int len = i2d_X509(leaf.get(), &der);
  if (len <= 0) {
    error = "cannot encode the leaf certificate";
    return nullptr;
  }
  pki->leaf_fingerprint_ = sha256_of(std::string_view(reinterpret_cast<const char*>(der), len));
  OPENSSL_free(der);

  if (!write_private_file(pki->ca_file(), pem_of(ca.get())) ||
      !write_private_file(pki->chain_file(), pem_of(leaf.get()) + pem_of(mid.get())) ||
      !write_private_file(pki->key_file(), pem_of(leaf_key.get()))) {
    error = "cannot write the TLS certificates to " + pki->dir_;
    return nullptr;
  }
  return pki;
}

ThrowawayPki::~ThrowawayPki() {
  if (dir_.empty()) return;
  for (const std::string& f : {ca_file(), chain_file(), key_file()}) ::unlink(f.c_str());
  ::rmdir(dir_.c_str());
}

}  // namespace flake::conform
