// Each TLS defect switch (reference/defects/defects.def, §14) changes what a client observes: the
// conformance cases for §14 rely on every one of them being visible from outside.
#include <gtest/gtest.h>

#include "reference/tests/tls/tls_itest_support.hpp"

namespace flake::tls_itest {
namespace {

using namespace std::chrono_literals;

std::vector<std::string> with_tls(const std::string& defect) {
  const Pki& pki = shared_pki();
  return {"--tls-cert", pki.path("chain.pem"), "--tls-key", pki.path("leaf.key.pem"), "--defect",
          defect};
}

TEST(TlsDefects, NonLoopbackPlaintextSkipsTheRefusal) {
  Spawned s({"--host", "192.0.2.1", "--defect", "non-loopback-plaintext"});
  EXPECT_EQ(s.err.find("TLS required"), std::string::npos) << s.err;
}

TEST(TlsDefects, InsecurePlaintextSilentWritesNoWarning) {
  Spawned s(
      {"--host", "192.0.2.1", "--insecure-plaintext", "--defect", "insecure-plaintext-silent"});
  EXPECT_EQ(s.err.find("unencrypted"), std::string::npos) << s.err;
}

TEST(TlsDefects, SchemeWsNamesWsWhileServingTls) {
  Spawned s(with_tls("tls-scheme-ws"));
  ASSERT_TRUE(s.started) << s.err;
  EXPECT_EQ(s.scheme, "ws");
  TlsClient c;
  EXPECT_TRUE(c.connect(s.port)) << c.error();
}

TEST(TlsDefects, LeafOnlySendsNoIntermediate) {
  Spawned s(with_tls("tls-leaf-only"));
  ASSERT_TRUE(s.started) << s.err;
  TlsClient verifying;
  EXPECT_FALSE(verifying.connect(s.port));  // the chain no longer reaches the CA
  TlsClient c;
  ASSERT_TRUE(c.connect(s.port, {.verify = false})) << c.error();
  EXPECT_EQ(c.peer_chain_length(), 1);
}

TEST(TlsDefects, FallbackPlaintextStartsWithoutTls) {
  const Pki& pki = shared_pki();
  Spawned s({"--tls-cert", pki.path("nonexistent.pem"), "--tls-key", pki.path("leaf.key.pem"),
             "--defect", "tls-fallback-plaintext"});
  ASSERT_TRUE(s.started) << s.err;
  EXPECT_EQ(s.scheme, "ws");
  TlsClient plain;
  ASSERT_TRUE(plain.tcp_only(s.port));
  EXPECT_TRUE(https_get(plain, s.port, "/api/v1/health").starts_with("HTTP/1.1 200"));
}

TEST(TlsDefects, NoFingerprintLine) {
  Spawned s(with_tls("tls-no-fingerprint"));
  ASSERT_TRUE(s.started) << s.err;
  EXPECT_EQ(s.err.find("sha256"), std::string::npos) << s.err;
}

TEST(TlsDefects, OldVersionsCompleteTls11) {
  Spawned s(with_tls("tls-old-versions"));
  ASSERT_TRUE(s.started) << s.err;
  TlsClient old;
  ASSERT_TRUE(old.connect(
      s.port, {.min_version = TLS1_1_VERSION, .max_version = TLS1_1_VERSION, .legacy = true}))
      << old.error();
  EXPECT_EQ(old.version(), TLS1_1_VERSION);
}

TEST(TlsDefects, Max12NeverNegotiatesTls13) {
  Spawned s(with_tls("tls-max-1.2"));
  ASSERT_TRUE(s.started) << s.err;
  TlsClient c;
  ASSERT_TRUE(c.connect(s.port)) << c.error();
  EXPECT_EQ(c.version(), TLS1_2_VERSION);
}

TEST(TlsDefects, AlpnNoneSelectsNothing) {
  Spawned s(with_tls("tls-alpn-none"));
  ASSERT_TRUE(s.started) << s.err;
  TlsClient c;
  ASSERT_TRUE(c.connect(s.port, {.alpn = {"http/1.1"}})) << c.error();
  EXPECT_EQ(c.alpn(), "");
}

TEST(TlsDefects, AlpnAnyAcceptsAnOfferWithoutHttp11) {
  Spawned s(with_tls("tls-alpn-any"));
  ASSERT_TRUE(s.started) << s.err;
  TlsClient c;
  ASSERT_TRUE(c.connect(s.port, {.alpn = {"h2"}})) << c.error();
  EXPECT_EQ(c.alpn(), "");
}

TEST(TlsDefects, PlaintextServedAnswersPlainHttp) {
  Spawned s(with_tls("tls-plaintext-served"));
  ASSERT_TRUE(s.started) << s.err;
  TlsClient plain;
  ASSERT_TRUE(plain.tcp_only(s.port));
  EXPECT_TRUE(https_get(plain, s.port, "/api/v1/health").starts_with("HTTP/1.1 200"));
}

TEST(TlsDefects, NoHostCheckAdmitsAnyHostThroughTls) {
  const std::string foreign =
      "GET /api/v1/health HTTP/1.1\r\nHost: evil.example\r\n"
      "Connection: close\r\n\r\n";
  auto answer = [&](const std::vector<std::string>& options) {
    Spawned s(options);
    EXPECT_TRUE(s.started) << s.err;
    TlsClient c;
    EXPECT_TRUE(c.connect(s.port)) << c.error();
    c.write(foreign);
    std::string out;
    for (std::string part; !(part = c.read_some()).empty();) out += part;
    return out.substr(0, 12);
  };
  const Pki& pki = shared_pki();
  EXPECT_EQ(answer({"--tls-cert", pki.path("chain.pem"), "--tls-key", pki.path("leaf.key.pem")}),
            "HTTP/1.1 403");
  EXPECT_EQ(answer(with_tls("tls-no-host-check")), "HTTP/1.1 200");
}

}  // namespace
}  // namespace flake::tls_itest
