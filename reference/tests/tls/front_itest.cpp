// A TLS flake-sidecar over real sockets (docs/protocol.md §14): the handshake and its chain, ALPN
// and versions, no plain text on the TLS port, https and wss through the front, a large transfer,
// deadlines, descriptors after many connections, and the start-up rules of §14.1 and §14.2.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <signal.h>

#include <chrono>
#include <thread>

#include "reference/tests/tls/tls_itest_support.hpp"

namespace flake::tls_itest {
namespace {

using namespace std::chrono_literals;

std::vector<std::string> tls_options(std::vector<std::string> extra = {}) {
  const Pki& pki = shared_pki();
  std::vector<std::string> args{"--tls-cert", pki.path("chain.pem"), "--tls-key",
                                pki.path("leaf.key.pem")};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

std::string auth_request(int id) {
  return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) +
         R"(,"method":"auth.authenticate","params":{"token":")" + kToken +
         R"(","clientInfo":{"version":"itest","platform":"linux"}}})";
}

std::string ping_request(int id) {
  return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"method":"system.ping"})";
}

// The value of a string member in a small JSON text (enough for the fields these tests read).
std::string member(const std::string& json, const std::string& name) {
  const std::string key = "\"" + name + "\":";
  const size_t at = json.find(key);
  if (at == std::string::npos) return {};
  size_t start = at + key.size();
  if (json[start] == '"') {
    const size_t end = json.find('"', start + 1);
    return json.substr(start + 1, end - start - 1);
  }
  const size_t end = json.find_first_of(",}", start);
  return json.substr(start, end - start);
}

TEST(TlsFront, HandshakeSendsTheChainVerifiesAndPrefersTls13) {
  Spawned s(tls_options());
  ASSERT_TRUE(s.started) << s.err;
  EXPECT_EQ(s.scheme, "wss") << s.line;
  EXPECT_NE(s.err.find("flake-sidecar certificate sha256 " + shared_pki().leaf_fingerprint + "\n"),
            std::string::npos)
      << s.err;
  TlsClient c;
  ASSERT_TRUE(c.connect(s.port, {.alpn = {"h2", "http/1.1"}})) << c.error();
  EXPECT_TRUE(c.verified());
  EXPECT_EQ(c.peer_chain_length(), 2);  // leaf and intermediate, in that order (verified)
  EXPECT_EQ(c.version(), TLS1_3_VERSION);
  EXPECT_EQ(c.alpn(), "http/1.1");
  TlsClient no_alpn;
  ASSERT_TRUE(no_alpn.connect(s.port)) << no_alpn.error();
  EXPECT_EQ(no_alpn.alpn(), "");
  const std::string health = https_get(no_alpn, s.port, "/api/v1/health");
  EXPECT_TRUE(health.starts_with("HTTP/1.1 200")) << health;
  EXPECT_NE(health.find("\"status\":\"ok\""), std::string::npos) << health;
}

TEST(TlsFront, AlpnWithoutHttp11AndOldVersionsAreRefused) {
  Spawned s(tls_options());
  ASSERT_TRUE(s.started) << s.err;
  TlsClient h2;
  EXPECT_FALSE(h2.connect(s.port, {.alpn = {"h2"}}));
  EXPECT_NE(h2.error().find("no application protocol"), std::string::npos) << h2.error();
  TlsClient old;
  EXPECT_FALSE(old.connect(
      s.port, {.min_version = TLS1_1_VERSION, .max_version = TLS1_1_VERSION, .legacy = true}));
  TlsClient tls12;
  ASSERT_TRUE(tls12.connect(s.port, {.max_version = TLS1_2_VERSION})) << tls12.error();
  EXPECT_EQ(tls12.version(), TLS1_2_VERSION);
}

TEST(TlsFront, PlainTextGetsNoHttpAnswer) {
  Spawned s(tls_options());
  ASSERT_TRUE(s.started) << s.err;
  TlsClient plain;
  ASSERT_TRUE(plain.tcp_only(s.port));
  ASSERT_TRUE(plain.raw_write("GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
  const std::string answer = plain.raw_read_all(5s);
  EXPECT_EQ(answer.find("HTTP/"), std::string::npos) << answer;
  EXPECT_EQ(answer.find("<timeout>"), std::string::npos) << "not closed within 5 s";
}

TEST(TlsFront, WebSocketAuthenticatesAndPingsThroughTls) {
  Spawned s(tls_options());
  ASSERT_TRUE(s.started) << s.err;
  TlsClient c;
  ASSERT_TRUE(c.connect(s.port, {.alpn = {"http/1.1"}})) << c.error();
  ASSERT_TRUE(ws_upgrade(c, s.port));
  const std::optional<std::string> auth = ws_call(c, auth_request(1), 1);
  ASSERT_TRUE(auth);
  EXPECT_NE(auth->find("\"sessionId\""), std::string::npos) << *auth;
  const std::optional<std::string> pong = ws_call(c, ping_request(2), 2);
  ASSERT_TRUE(pong);
  EXPECT_NE(pong->find("\"result\""), std::string::npos) << *pong;
}

std::string base64_decode(const std::string& text) {
  std::string out(text.size() / 4 * 3 + 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  size_t pad = 0;
  for (size_t i = text.size(); i > 0 && text[i - 1] == '='; --i) ++pad;
  out.resize(out.size() - pad);
  return out;
}

std::string sha256_hex(const std::string& bytes) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), md);
  std::string hex;
  for (unsigned char b : md) {
    char two[3];
    std::snprintf(two, sizeof two, "%02x", b);
    hex += two;
  }
  return hex;
}

TEST(TlsFront, SeveralMebibytesEachWayArriveIntactThroughASlowReader) {
  Spawned s(tls_options());
  ASSERT_TRUE(s.started) << s.err;
  TlsClient c;
  ASSERT_TRUE(c.connect(s.port)) << c.error();
  ASSERT_TRUE(ws_upgrade(c, s.port));
  ASSERT_TRUE(ws_call(c, auth_request(1), 1));
  // In: a 3 MiB request, answered (its padding member makes it invalid params or not; either way
  // the answer carries its id only if every byte arrived and parsed).
  const std::string pad(3u << 20, 'x');
  const std::optional<std::string> big = ws_call(
      c, R"({"jsonrpc":"2.0","id":2,"method":"system.ping","params":{"pad":")" + pad + "\"}}", 2);
  ASSERT_TRUE(big);
  // Out: 8 entries of ~1 MB exported in chunks, read only after a pause, so the relay's bounds
  // and the sidecar's send path hold the backlog.
  ASSERT_TRUE(ws_call(
      c,
      R"({"jsonrpc":"2.0","id":3,"method":"test.emitLogs","params":{"service":"vercel","count":8,"messageBytes":1000000}})",
      3));
  ASSERT_TRUE(ws_send_text(
      c,
      R"({"jsonrpc":"2.0","id":4,"method":"logs.getLarge","params":{"service":"vercel","timeRange":"1h"}})"));
  std::this_thread::sleep_for(300ms);
  std::optional<std::string> meta;
  std::string payloads;
  int chunks_seen = 0;
  while (!meta || chunks_seen < std::stoi(member(*meta, "chunks"))) {
    std::optional<std::string> m = ws_read_text(c);
    ASSERT_TRUE(m) << "connection ended after " << chunks_seen << " chunks";
    if (m->find("\"id\":4,") != std::string::npos || m->find("\"id\":4}") != std::string::npos) {
      meta = m;
    } else if (m->find("\"data.chunk\"") != std::string::npos) {
      payloads += base64_decode(member(*m, "payload"));
      ++chunks_seen;
    }
  }
  EXPECT_GE(payloads.size(), 4u << 20);
  EXPECT_EQ(std::to_string(payloads.size()), member(*meta, "bytes"));
  EXPECT_EQ(sha256_hex(payloads), member(*meta, "sha256"));
}

TEST(TlsFront, HeaderDeadlineClosesSilentClientsAndUnfinishedHandshakes) {
  Spawned s(tls_options({"--header-timeout-ms", "1000"}));
  ASSERT_TRUE(s.started) << s.err;
  TlsClient silent;
  ASSERT_TRUE(silent.connect(s.port)) << silent.error();
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(silent.read_some(), "");  // EOF (the receive timeout would take 5 s)
  EXPECT_LT(std::chrono::steady_clock::now() - start, 4s);
  TlsClient stuck;
  ASSERT_TRUE(stuck.tcp_only(s.port));
  ASSERT_TRUE(stuck.raw_write(std::string("\x16\x03\x01", 3)));  // a handshake that never ends
  const std::string rest = stuck.raw_read_all(4s);
  EXPECT_EQ(rest.find("<timeout>"), std::string::npos) << "not closed";
}

TEST(TlsFront, ManyConnectionsLeaveNoDescriptorsBehind) {
  Spawned s(tls_options());
  ASSERT_TRUE(s.started) << s.err;
  {
    TlsClient warm;
    ASSERT_TRUE(warm.connect(s.port));
    https_get(warm, s.port, "/api/v1/health");
  }
  std::this_thread::sleep_for(100ms);
  const size_t before = s.open_fds();
  for (int i = 0; i < 60; ++i) {
    TlsClient c;
    ASSERT_TRUE(c.connect(s.port)) << c.error();
    if (i % 3 == 0) {
      EXPECT_TRUE(https_get(c, s.port, "/api/v1/health").starts_with("HTTP/1.1 200"));
    } else if (i % 3 == 1) {
      ASSERT_TRUE(ws_upgrade(c, s.port));
      ASSERT_TRUE(ws_call(c, ping_request(7), 7));
    }  // else: closed right after the handshake
  }
  size_t after = 0;
  for (int i = 0; i < 50 && (after = s.open_fds()) > before; ++i) std::this_thread::sleep_for(20ms);
  EXPECT_EQ(after, before);
}

TEST(TlsFront, SlowTlsReaderMeetsTheSendBufferBound) {
  Spawned s(tls_options({"--max-send-buffer-bytes", "1048576", "--log-rate", "200000",
                         "--replay-bytes", "1048576", "--log-history", "20000"}));
  ASSERT_TRUE(s.started) << s.err;
  TlsClient c;
  ASSERT_TRUE(c.connect(s.port)) << c.error();
  ASSERT_TRUE(ws_upgrade(c, s.port));
  ASSERT_TRUE(ws_call(c, auth_request(1), 1));
  ASSERT_TRUE(ws_call(
      c, R"({"jsonrpc":"2.0","id":2,"method":"logs.subscribe","params":{"service":"aws"}})", 2));
  // Never read: the relay's bounds and the socketpair fill, then the sidecar's own buffer (§8.7).
  std::this_thread::sleep_for(2s);
  int code = 0;
  while (ws_read_text(c, &code)) {
  }
  EXPECT_EQ(code, 1008);
}

TEST(TlsFront, ConnectionCapCountsTlsConnections) {
  Spawned s(tls_options({"--max-connections", "1"}));
  ASSERT_TRUE(s.started) << s.err;
  TlsClient first, second;
  ASSERT_TRUE(first.connect(s.port));
  ASSERT_TRUE(ws_upgrade(first, s.port));
  ASSERT_TRUE(second.connect(s.port));
  ASSERT_TRUE(second.write("GET /rpc HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(s.port) +
                           "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n"));
  EXPECT_TRUE(second.read_until("\r\n\r\n").starts_with("HTTP/1.1 503"));
}

TEST(TlsFront, ShutdownClosesWebSocketsWith1001ThroughTls) {
  Spawned s(tls_options());
  ASSERT_TRUE(s.started) << s.err;
  TlsClient c;
  ASSERT_TRUE(c.connect(s.port)) << c.error();
  ASSERT_TRUE(ws_upgrade(c, s.port));
  ASSERT_TRUE(ws_call(c, auth_request(1), 1));
  ::kill(s.pid, SIGTERM);
  int code = 0;
  while (ws_read_text(c, &code)) {
  }
  EXPECT_EQ(code, 1001);
}

TEST(TlsStartup, NonLoopbackHostNeedsTlsOrTheOptOut) {
  Spawned refused({"--host", "192.0.2.1"});
  EXPECT_FALSE(refused.started);
  EXPECT_NE(refused.exit_status, 0);
  EXPECT_NE(refused.err.find("TLS required"), std::string::npos) << refused.err;
  // The opt-out warns before it binds; an address the machine lacks then ends the start (§1.1f)
  // instead of a start-up line for a port nobody serves.
  Spawned opted({"--host", "192.0.2.1", "--insecure-plaintext"});
  EXPECT_NE(opted.err.find("crosses the network unencrypted"), std::string::npos) << opted.err;
  EXPECT_EQ(opted.err.find("TLS required"), std::string::npos) << opted.err;
  EXPECT_FALSE(opted.started);
  EXPECT_NE(opted.exit_status, 0);
  EXPECT_NE(opted.err.find("cannot listen on 192.0.2.1"), std::string::npos) << opted.err;
  Spawned loopback({"--host", "127.0.0.1"});
  EXPECT_TRUE(loopback.started) << loopback.err;
  EXPECT_EQ(loopback.scheme, "ws");
  // listen-any-address (§1.1) keeps --host on loopback, so §14.1 does not stop it.
  Spawned any({"--defect", "listen-any-address"});
  EXPECT_TRUE(any.started) << any.err;
}

TEST(TlsStartup, UnreadableOrMismatchedCertificateEndsTheStart) {
  const Pki& pki = shared_pki();
  Spawned missing(
      {"--tls-cert", pki.path("nonexistent.pem"), "--tls-key", pki.path("leaf.key.pem")});
  EXPECT_FALSE(missing.started);
  EXPECT_NE(missing.exit_status, 0);
  EXPECT_NE(missing.err.find("certificate"), std::string::npos) << missing.err;
  Spawned mismatch({"--tls-cert", pki.path("chain.pem"), "--tls-key", pki.path("other.key.pem")});
  EXPECT_FALSE(mismatch.started);
  EXPECT_NE(mismatch.exit_status, 0);
  EXPECT_NE(mismatch.err.find("does not belong"), std::string::npos) << mismatch.err;
  Spawned half({"--tls-cert", pki.path("chain.pem")});
  EXPECT_FALSE(half.started);
  EXPECT_EQ(half.exit_status, 2);
}

// One figure for the cost of TLS: 1,000 pings one after another over ws:// and wss://. Printed,
// not asserted (speed is measured, not tested).
TEST(TlsFront, PingRoundTripsPlainAndTlsFigure) {
  constexpr int kPings = 1000;
  auto run = [&](bool tls) {
    Spawned s(tls ? tls_options() : std::vector<std::string>{});
    EXPECT_TRUE(s.started) << s.err;
    TlsClient c;
    EXPECT_TRUE(tls ? c.connect(s.port) : c.tcp_only(s.port));
    EXPECT_TRUE(ws_upgrade(c, s.port));
    EXPECT_TRUE(ws_call(c, auth_request(1), 1));
    int answered = 0;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kPings; ++i) answered += ws_call(c, ping_request(10 + i), 10 + i) ? 1 : 0;
    const double us =
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
    EXPECT_EQ(answered, kPings);
    return us / kPings;
  };
  const double plain = run(false);
  const double tls = run(true);
  std::printf("[ figure ] system.ping round trip, %d sequential: ws %.1f us, wss %.1f us\n", kPings,
              plain, tls);
}

}  // namespace
}  // namespace flake::tls_itest
