// The fault proxy in front of a TLS server: the client side is plain text (the faults act on those
// bytes), the upstream side TLS, verified as the given client trusts.
#include "conformance/client/fault_proxy.hpp"

#include "conformance/client/socket.hpp"
#include "conformance/client/tls_certs.hpp"
#include "conformance/client/tls_client.hpp"
#include "conformance/tests/client/tls_test_server.hpp"

#include <gtest/gtest.h>

#include <string>

namespace flake::conform {
namespace {

std::shared_ptr<const TlsClient> trusting(const std::string& ca_file) {
  TlsClientOptions o;
  o.enabled = true;
  o.ca_file = ca_file;
  std::string error;
  auto c = TlsClient::create(o, error);
  EXPECT_TRUE(c) << error;
  return c;
}

TEST(FaultProxyTls, PlainToTheProxyTlsUpstream) {
  std::string error;
  const auto pki = ThrowawayPki::create(error);
  ASSERT_TRUE(pki) << error;
  testing::TlsTestServer server(*pki);
  server.serve_one();
  auto proxy = FaultProxy::start("127.0.0.1", server.port(), trusting(pki->ca_file()), error);
  ASSERT_TRUE(proxy) << error;
  TcpSocket s;
  ASSERT_TRUE(s.connect("127.0.0.1", proxy->port(), deadline_in(std::chrono::seconds(5)),
                        {.use = TlsConnect::Use::kPlain}))
      << s.error();
  ASSERT_EQ(s.send_all("GET /rpc HTTP/1.1\r\n", deadline_in(std::chrono::seconds(5))),
            IoStatus::Ok);
  char buf[64];
  const RecvResult r = s.recv_some(buf, sizeof buf, deadline_in(std::chrono::seconds(5)));
  ASSERT_EQ(r.status, IoStatus::Ok) << r.error;
  EXPECT_EQ(std::string(buf, r.bytes), "GET /rpc HTTP/1.1\r\n");  // echoed, decrypted both ways
  EXPECT_EQ(server.received(), "GET /rpc HTTP/1.1\r\n");
  EXPECT_EQ(proxy->stats().to_upstream, 19u);  // the plain bytes, not TLS records
}

TEST(FaultProxyTls, AnUpstreamItCannotVerifyIsReset) {
  std::string error;
  const auto pki = ThrowawayPki::create(error);
  const auto other = ThrowawayPki::create(error);
  ASSERT_TRUE(pki && other) << error;
  testing::TlsTestServer server(*pki);
  server.serve_one();
  auto proxy = FaultProxy::start("127.0.0.1", server.port(), trusting(other->ca_file()), error);
  ASSERT_TRUE(proxy) << error;
  TcpSocket s;
  ASSERT_TRUE(s.connect("127.0.0.1", proxy->port(), deadline_in(std::chrono::seconds(5)),
                        {.use = TlsConnect::Use::kPlain}));
  char buf[64];
  const RecvResult r = s.recv_some(buf, sizeof buf, deadline_in(std::chrono::seconds(5)));
  EXPECT_EQ(r.status, IoStatus::Error);  // reset, as a client of a sidecar that is down sees
  EXPECT_FALSE(server.handshake_ok());
  EXPECT_EQ(server.received(), "");
}

}  // namespace
}  // namespace flake::conform
