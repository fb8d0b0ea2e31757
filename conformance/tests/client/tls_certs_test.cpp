// Tests of the throwaway certificate authority: private files, a chain that verifies against its
// CA only, a leaf for 127.0.0.1 and localhost with an EC P-256 key, and nothing left behind.
#include "conformance/client/tls_certs.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace flake::conform {
namespace {

struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

std::vector<X509Ptr> read_certs(const std::string& path) {
  std::vector<X509Ptr> out;
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "r"), &std::fclose);
  if (!f) return out;
  while (X509* c = PEM_read_X509(f.get(), nullptr, nullptr, nullptr)) out.emplace_back(c);
  return out;
}

unsigned mode_of(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? (st.st_mode & 0777) : 0;
}

// X509_verify_cert of `chain[0]` with `chain[1..]` untrusted and `roots` trusted.
int verify(const std::vector<X509Ptr>& chain, const std::vector<X509Ptr>& roots) {
  std::unique_ptr<X509_STORE, void (*)(X509_STORE*)> store(X509_STORE_new(), &X509_STORE_free);
  for (const auto& r : roots) X509_STORE_add_cert(store.get(), r.get());
  std::unique_ptr<STACK_OF(X509), void (*)(STACK_OF(X509)*)> untrusted(
      sk_X509_new_null(), [](STACK_OF(X509) * s) { sk_X509_free(s); });
  for (std::size_t i = 1; i < chain.size(); ++i) sk_X509_push(untrusted.get(), chain[i].get());
  std::unique_ptr<X509_STORE_CTX, void (*)(X509_STORE_CTX*)> ctx(X509_STORE_CTX_new(),
                                                                 &X509_STORE_CTX_free);
  X509_STORE_CTX_init(ctx.get(), store.get(), chain[0].get(), untrusted.get());
  X509_VERIFY_PARAM_set_purpose(X509_STORE_CTX_get0_param(ctx.get()), X509_PURPOSE_SSL_SERVER);
  return X509_verify_cert(ctx.get()) == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx.get());
}

TEST(ThrowawayPki, MakesAChainThatVerifiesAgainstItsOwnCaOnly) {
  std::string error;
  const auto pki = ThrowawayPki::create(error);
  ASSERT_TRUE(pki) << error;
  const auto chain = read_certs(pki->chain_file());
  const auto ca = read_certs(pki->ca_file());
  ASSERT_EQ(chain.size(), 2u);  // leaf, intermediate
  ASSERT_EQ(ca.size(), 1u);
  EXPECT_EQ(verify(chain, ca), X509_V_OK);

  const auto other = ThrowawayPki::create(error);
  ASSERT_TRUE(other) << error;
  EXPECT_EQ(verify(chain, read_certs(other->ca_file())),
            X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
  std::vector<X509Ptr> leaf_alone;
  leaf_alone.emplace_back(X509_dup(chain[0].get()));
  EXPECT_NE(verify(leaf_alone, ca), X509_V_OK);  // the intermediate is needed
}

TEST(ThrowawayPki, TheLeafIsFor127001AndLocalhostWithAnEcP256Key) {
  std::string error;
  const auto pki = ThrowawayPki::create(error);
  ASSERT_TRUE(pki) << error;
  const auto chain = read_certs(pki->chain_file());
  ASSERT_FALSE(chain.empty());
  X509* leaf = chain[0].get();
  EXPECT_EQ(X509_check_ip_asc(leaf, "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_host(leaf, "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(leaf, "127.0.0.2", 0), 0);
  EXPECT_EQ(X509_check_host(leaf, "example.com", 0, 0, nullptr), 0);
  EXPECT_EQ(X509_check_ca(leaf), 0);
  EXPECT_EQ(X509_check_ca(chain[1].get()), 1);
  EXPECT_TRUE(EVP_PKEY_is_a(X509_get0_pubkey(leaf), "EC"));
  char group[32] = {};
  std::size_t len = 0;
  EVP_PKEY_get_group_name(X509_get0_pubkey(leaf), group, sizeof group, &len);
  EXPECT_STREQ(group, "prime256v1");
  // Valid now, and for a day at most.
  EXPECT_LT(X509_cmp_current_time(X509_get0_notBefore(leaf)), 0);
  EXPECT_GT(X509_cmp_current_time(X509_get0_notAfter(leaf)), 0);
  time_t in_two_days = std::time(nullptr) + 2 * 86400;
  EXPECT_GT(X509_cmp_time(X509_get0_notAfter(leaf), &in_two_days), -2);
  EXPECT_LT(X509_cmp_time(X509_get0_notAfter(leaf), &in_two_days), 0);

  unsigned char* der = nullptr;
  const int der_len = i2d_X509(leaf, &der);
  ASSERT_GT(der_len, 0);
  EXPECT_EQ(sha256_of(std::string_view(reinterpret_cast<char*>(der), der_len)),
            pki->leaf_fingerprint());
  OPENSSL_free(der);

  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(pki->key_file().c_str(), "r"), &std::fclose);
  ASSERT_TRUE(f);
  EVP_PKEY* key = PEM_read_PrivateKey(f.get(), nullptr, nullptr, nullptr);
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(X509_check_private_key(leaf, key), 1);  // the key belongs to the first certificate
  EVP_PKEY_free(key);
}

TEST(ThrowawayPki, FilesArePrivateAndGoAwayWithTheObject) {
  std::string error;
  auto pki = ThrowawayPki::create(error);
  ASSERT_TRUE(pki) << error;
  const std::string dir = pki->dir();
  EXPECT_EQ(mode_of(dir), 0700u);
  EXPECT_EQ(mode_of(pki->key_file()), 0600u);
  EXPECT_NE(dir.find("flake-conform-tls-"), std::string::npos);
  pki.reset();
  EXPECT_NE(::access(dir.c_str(), F_OK), 0);
}

}  // namespace
}  // namespace flake::conform
