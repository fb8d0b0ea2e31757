// Tests of the TLS client: fingerprint text, and TcpSocket over TLS against an in-test OpenSSL
// server (trust by CA and by pin, refusals as error values, ALPN and version readback, a forced
// plain connection to a TLS port).
#include "conformance/client/tls_client.hpp"

#include "conformance/client/socket.hpp"
#include "conformance/client/tls_certs.hpp"
#include "conformance/tests/client/tls_test_server.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>

namespace flake::conform {
namespace {

using testing::TlsTestServer;

constexpr std::string_view kHex =
    "000102030405060708090a0b0c0d0e0f101112131415161718191A1B1C1D1E1F";

TEST(Fingerprint, ParsesPlainAndColonSeparatedHexInAnyCase) {
  const auto plain = parse_fingerprint(kHex);
  ASSERT_TRUE(plain);
  EXPECT_EQ((*plain)[0], 0x00);
  EXPECT_EQ((*plain)[26], 0x1A);
  EXPECT_EQ((*plain)[31], 0x1F);
  const std::string colons = format_fingerprint(*plain);
  EXPECT_EQ(colons.substr(0, 12), "00:01:02:03:");
  EXPECT_EQ(colons.size(), 32u * 3 - 1);
  EXPECT_EQ(colons.substr(colons.size() - 5), "1E:1F");
  EXPECT_EQ(parse_fingerprint(colons), plain);
  std::string lower = colons;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_EQ(parse_fingerprint(lower), plain);
}

TEST(Fingerprint, RefusesWrongLengthsAndStrayCharacters) {
  EXPECT_FALSE(parse_fingerprint(""));
  EXPECT_FALSE(parse_fingerprint(kHex.substr(0, 62)));        // 31 octets
  EXPECT_FALSE(parse_fingerprint(std::string(kHex) + "20"));  // 33 octets
  EXPECT_FALSE(parse_fingerprint(std::string(kHex.substr(0, 63)) + "g"));
  EXPECT_FALSE(parse_fingerprint("0:" + std::string(kHex.substr(1))));  // a colon inside an octet
  EXPECT_FALSE(parse_fingerprint(std::string(kHex.substr(0, 63))));     // half an octet
}

class TlsClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    pki_ = ThrowawayPki::create(error);
    ASSERT_TRUE(pki_) << error;
    server_ = std::make_unique<TlsTestServer>(*pki_);
  }

  std::shared_ptr<const TlsClient> client(TlsClientOptions o) {
    o.enabled = true;
    std::string error;
    auto c = TlsClient::create(o, error);
    EXPECT_TRUE(c) << error;
    return c;
  }
  std::shared_ptr<const TlsClient> trusting_ca() {
    TlsClientOptions o;
    o.ca_file = pki_->ca_file();
    return client(o);
  }
  bool connect(TcpSocket& s, TlsConnect tls) {
    return s.connect("127.0.0.1", server_->port(), deadline_in(std::chrono::seconds(5)), tls);
  }
  // One echo through the socket: what the server read and sent back.
  std::string echo(TcpSocket& s, std::string_view bytes) {
    EXPECT_EQ(s.send_all(bytes, deadline_in(std::chrono::seconds(5))), IoStatus::Ok);
    char buf[256];
    const RecvResult r = s.recv_some(buf, sizeof buf, deadline_in(std::chrono::seconds(5)));
    return r.status == IoStatus::Ok ? std::string(buf, r.bytes) : std::string();
  }

  std::unique_ptr<ThrowawayPki> pki_;
  std::unique_ptr<TlsTestServer> server_;
};

TEST_F(TlsClientTest, HandshakesWithTheCaAndReadsBackWhatWasNegotiated) {
  server_->serve_one();
  TcpSocket s;
  ASSERT_TRUE(connect(s, {.client = trusting_ca()})) << s.error();
  const TlsInfo* info = s.tls_info();
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->version, kTls13);
  EXPECT_EQ(info->version_name, "TLSv1.3");
  EXPECT_EQ(info->alpn, "http/1.1");
  EXPECT_FALSE(info->cipher.empty());
  ASSERT_EQ(info->peer_chain_der.size(), 2u);  // the leaf and the intermediate, as configured
  EXPECT_EQ(info->leaf_fingerprint, pki_->leaf_fingerprint());
  EXPECT_EQ(sha256_of(info->peer_chain_der[0]), pki_->leaf_fingerprint());
  EXPECT_EQ(echo(s, "GET / HTTP/1.1\r\n\r\n"), "GET / HTTP/1.1\r\n\r\n");
  EXPECT_EQ(server_->received(), "GET / HTTP/1.1\r\n\r\n");
  // The server has gone: writing on is an error value, never SIGPIPE.
  IoStatus last = IoStatus::Ok;
  for (int i = 0; i < 5 && last == IoStatus::Ok; ++i) {
    last = s.send_all(std::string(65536, 'x'), deadline_in(std::chrono::seconds(2)));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(last, IoStatus::Error);
  EXPECT_FALSE(s.error().empty());
}

TEST_F(TlsClientTest, TheTargetSettingIsTheDefaultAndPlainCanBeForced) {
  set_target_tls(trusting_ca());
  server_->serve_one();
  TcpSocket s;
  ASSERT_TRUE(connect(s, {})) << s.error();
  EXPECT_NE(s.tls_info(), nullptr);
  EXPECT_EQ(echo(s, "hello"), "hello");
  s.close();
  server_->received();

  TlsTestServer raw(*pki_);
  raw.serve_one(/*raw=*/true);
  TcpSocket plain;
  ASSERT_TRUE(plain.connect("127.0.0.1", raw.port(), deadline_in(std::chrono::seconds(5)),
                            {.use = TlsConnect::Use::kPlain}))
      << plain.error();
  set_target_tls(nullptr);
  EXPECT_EQ(plain.tls_info(), nullptr);
  ASSERT_EQ(plain.send_all("GET / HTTP/1.1\r\n", deadline_in(std::chrono::seconds(5))),
            IoStatus::Ok);
  EXPECT_EQ(raw.received(), "GET / HTTP/1.1\r\n");  // the very bytes, no TLS record around them
}

TEST_F(TlsClientTest, AnotherCaIsAnErrorValueAndNothingIsSent) {
  std::string error;
  const auto other = ThrowawayPki::create(error);
  ASSERT_TRUE(other) << error;
  TlsClientOptions o;
  o.ca_file = other->ca_file();
  server_->serve_one();
  TcpSocket s;
  EXPECT_FALSE(connect(s, {.client = client(o)}));
  EXPECT_FALSE(s.is_open());
  EXPECT_EQ(s.error(),
            "TLS handshake failed: certificate verify failed (unable to get local issuer "
            "certificate)");
  EXPECT_FALSE(server_->handshake_ok());
  EXPECT_EQ(server_->received(), "");
}

TEST_F(TlsClientTest, TheCertificateMustNameTheHostConnectedTo) {
  TlsClientOptions o;
  o.ca_file = pki_->ca_file();
  o.server_name = "flake.example";
  server_->serve_one();
  TcpSocket s;
  EXPECT_FALSE(connect(s, {.client = client(o)}));
  EXPECT_EQ(s.error(), "TLS handshake failed: certificate verify failed (hostname mismatch)");
  server_->received();
  o.server_name = "localhost";  // in the SAN, and sent as SNI
  TlsTestServer again(*pki_);
  again.serve_one();
  EXPECT_TRUE(s.connect("127.0.0.1", again.port(), deadline_in(std::chrono::seconds(5)),
                        {.client = client(o)}))
      << s.error();
  s.close();
}

TEST_F(TlsClientTest, APinnedFingerprintIsTrustedWithoutTheChain) {
  TlsClientOptions o;
  o.fingerprint_sha256 = pki_->leaf_fingerprint();
  server_->serve_one();
  TcpSocket s;
  ASSERT_TRUE(connect(s, {.client = client(o)})) << s.error();
  EXPECT_EQ(echo(s, "pinned"), "pinned");
  s.close();
  server_->received();

  Sha256 wrong = pki_->leaf_fingerprint();
  wrong[0] ^= 0xFF;
  o.fingerprint_sha256 = wrong;
  TlsTestServer again(*pki_);
  again.serve_one();
  TcpSocket t;
  EXPECT_FALSE(t.connect("127.0.0.1", again.port(), deadline_in(std::chrono::seconds(5)),
                         {.client = client(o)}));
  EXPECT_EQ(t.error(),
            "TLS handshake failed: certificate verify failed (the certificate's "
            "SHA-256 fingerprint " +
                format_fingerprint(pki_->leaf_fingerprint()) + " is not the pinned " +
                format_fingerprint(wrong) + ")");
  EXPECT_EQ(again.received(), "");
}

TEST_F(TlsClientTest, AlpnAndVersionOverridesPerConnection) {
  server_->serve_one();
  TcpSocket s;
  ASSERT_TRUE(connect(
      s, {.client = trusting_ca(), .alpn = std::vector<std::string>{}, .max_version = kTls12}))
      << s.error();
  EXPECT_EQ(s.tls_info()->alpn, "");
  EXPECT_EQ(s.tls_info()->version, kTls12);
  EXPECT_EQ(s.tls_info()->version_name, "TLSv1.2");
  s.close();
  server_->received();

  TlsTestServer again(*pki_);
  again.serve_one();
  TcpSocket t;
  EXPECT_FALSE(t.connect("127.0.0.1", again.port(), deadline_in(std::chrono::seconds(5)),
                         {.client = trusting_ca(), .alpn = std::vector<std::string>{"h2"}}));
  EXPECT_EQ(t.error(), "TLS handshake failed: tlsv1 alert no application protocol");
  again.received();
}

TEST(TlsClientOptions, TrustIsACaFileOrAFingerprint) {
  std::string error;
  TlsClientOptions o;
  EXPECT_FALSE(TlsClient::create(o, error));
  EXPECT_EQ(error, "TLS needs a CA file or a certificate fingerprint to trust");
  o.ca_file = "/nonexistent/ca.pem";
  EXPECT_FALSE(TlsClient::create(o, error));
  EXPECT_TRUE(error.starts_with("cannot read the CA file /nonexistent/ca.pem")) << error;
  o.fingerprint_sha256 = Sha256{};
  EXPECT_FALSE(TlsClient::create(o, error));
  EXPECT_EQ(error, "TLS trusts a CA file or a fingerprint, not both");
}

}  // namespace
}  // namespace flake::conform
