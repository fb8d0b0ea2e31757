// The TLS family of the network fuzzer: the captured ClientHello is one well-formed record, a seed
// reproduces the scripts, the scripts are well-formed, reproducers keep the TLS parts, and a plain
// script's bytes reach the wire raw while the run's target is TLS.
#include "conformance/client/tls_certs.hpp"
#include "conformance/netfuzz/exec.hpp"
#include "conformance/netfuzz/generators.hpp"
#include "conformance/netfuzz/options.hpp"
#include "conformance/netfuzz/reproducer.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <thread>

namespace flake::conform::netfuzz {
namespace {

std::size_t be16(const std::string& s, std::size_t at) {
  return static_cast<std::size_t>(static_cast<unsigned char>(s[at])) << 8 |
         static_cast<unsigned char>(s[at + 1]);
}

GenContext tls_context() {
  GenContext c;
  c.client_hello = capture_client_hello();
  return c;
}

bool is_tls_step(StepKind k) {
  return k == StepKind::TlsSend || k == StepKind::TlsCloseNotify || k == StepKind::TlsRekey;
}

std::string all_sent(const ConnScript& conn) {
  ExecTarget t;
  t.authority = "127.0.0.1:1";
  std::string out;
  for (const Step& s : conn.steps) {
    if (s.kind == StepKind::Send || s.kind == StepKind::Trickle) out += expand(s.segments, t);
  }
  return out;
}

TEST(NetfuzzTls, CapturedHelloIsOneHandshakeRecord) {
  const std::string hello = capture_client_hello();
  ASSERT_GT(hello.size(), 50u);
  EXPECT_EQ(hello[0], '\x16');                  // handshake record
  EXPECT_EQ(be16(hello, 3), hello.size() - 5);  // its length is exact
  EXPECT_EQ(hello[5], '\x01');                  // ClientHello
  EXPECT_EQ(be16(hello, 7) | (static_cast<std::size_t>(hello[6]) << 16), hello.size() - 9);
  EXPECT_NE(hello.find("localhost"), std::string::npos);  // SNI
  EXPECT_NE(hello.find("http/1.1"), std::string::npos);   // ALPN
}

TEST(NetfuzzTls, SameSeedSameScripts) {
  const GenContext context = tls_context();
  const std::vector<Family> only{Family::Tls};
  for (std::uint64_t index = 0; index < 40; ++index) {
    const Burst a = generate_burst(5, index, context, only);
    const Burst b = generate_burst(5, index, context, only);
    EXPECT_EQ(a.family, "tls");
    ASSERT_EQ(a.conns.size(), b.conns.size());
    for (std::size_t i = 0; i < a.conns.size(); ++i) {
      EXPECT_EQ(a.conns[i].label, b.conns[i].label);
      EXPECT_EQ(all_sent(a.conns[i]), all_sent(b.conns[i])) << "burst " << index;
      EXPECT_EQ(a.conns[i].steps.size(), b.conns[i].steps.size());
    }
  }
}

TEST(NetfuzzTls, OnlyTlsRunsGetTheFamily) {
  const auto plain = all_families();
  EXPECT_EQ(std::find(plain.begin(), plain.end(), Family::Tls), plain.end());
  const auto tls = tls_families();
  EXPECT_NE(std::find(tls.begin(), tls.end(), Family::Tls), tls.end());
  std::set<Family> seen;
  for (std::size_t i = 0; i < tls.size(); ++i) seen.insert(burst_family(3, i, tls));
  EXPECT_EQ(seen.size(), tls.size());
  EXPECT_EQ(family_from_string("tls"), Family::Tls);
}

TEST(NetfuzzTls, ScriptsAreWellFormed) {
  const GenContext context = tls_context();
  const std::string& hello = context.client_hello;
  Rng rng(17);
  std::set<std::string> labels;
  for (int i = 0; i < 600; ++i) {
    const ConnScript conn = gen_tls(rng, context);
    labels.insert(conn.label);
    EXPECT_TRUE(conn.plain) << conn.label;
    ASSERT_FALSE(conn.steps.empty()) << conn.label;
    bool handshaken = false;
    for (const Step& s : conn.steps) {
      if (s.kind == StepKind::TlsHandshake) handshaken = true;
      if (is_tls_step(s.kind)) {
        EXPECT_TRUE(handshaken) << conn.label << ": before the handshake";
      }
      if (s.kind == StepKind::Send) {
        EXPECT_FALSE(s.segments.empty()) << conn.label;
      }
    }
    const std::string sent = all_sent(conn);
    if (conn.label == "ClientHello split" || conn.label == "ClientHello byte by byte") {
      EXPECT_EQ(sent, hello);
    } else if (conn.label == "ClientHello over many records") {
      // Legal record fragmentation: the payloads join up to the hello's handshake message.
      std::string joined;
      for (std::size_t at = 0; at + 5 <= sent.size();) {
        EXPECT_EQ(sent[at], '\x16');
        const std::size_t n = be16(sent, at + 3);
        joined += sent.substr(at + 5, n);
        at += 5 + n;
      }
      EXPECT_EQ(joined, hello.substr(5));
    } else if (conn.label == "truncated ClientHello") {
      EXPECT_LT(sent.size(), hello.size());
      EXPECT_EQ(sent, hello.substr(0, sent.size()));
    } else if (conn.label == "oversized record length") {
      EXPECT_GT(be16(sent, 3), 16384u);
    } else if (conn.label == "handshake abandoned") {
      EXPECT_EQ(sent, hello);
    }
  }
  for (const char* want :
       {"truncated ClientHello", "bit-flipped ClientHello", "wrong record length",
        "oversized record length", "oversized handshake length", "ClientHello over many records",
        "record before ClientHello", "ClientHello split", "ClientHello byte by byte",
        "plaintext HTTP to the TLS port", "handshake abandoned", "data after close_notify",
        "KeyUpdate", "renegotiation", "forged record after handshake",
        "request cut after handshake"}) {
    EXPECT_TRUE(labels.contains(want)) << want;
  }
}

TEST(NetfuzzTls, ReproducerKeepsTlsParts) {
  Reproducer r;
  r.tls = true;
  r.burst = generate_burst(9, 0, tls_context(), std::vector<Family>{Family::Tls});
  ConnScript conn;
  conn.plain = true;
  conn.steps = {tls_handshake("1.2"), tls_send("GET"), simple(StepKind::TlsRekey),
                simple(StepKind::TlsCloseNotify), send(std::string("\x17\x03\x03\x00\x01x", 6))};
  r.burst.conns.push_back(conn);
  std::string error;
  const auto back = parse_reproducer(reproducer_text(r), error);
  ASSERT_TRUE(back) << error;
  EXPECT_TRUE(back->tls);
  ASSERT_EQ(back->burst.conns.size(), r.burst.conns.size());
  for (std::size_t c = 0; c < r.burst.conns.size(); ++c) {
    EXPECT_EQ(back->burst.conns[c].plain, r.burst.conns[c].plain);
    EXPECT_EQ(all_sent(back->burst.conns[c]), all_sent(r.burst.conns[c]));
    ASSERT_EQ(back->burst.conns[c].steps.size(), r.burst.conns[c].steps.size());
    for (std::size_t s = 0; s < r.burst.conns[c].steps.size(); ++s) {
      EXPECT_EQ(back->burst.conns[c].steps[s].kind, r.burst.conns[c].steps[s].kind);
      EXPECT_EQ(back->burst.conns[c].steps[s].text, r.burst.conns[c].steps[s].text);
    }
  }
  Reproducer plain;
  EXPECT_FALSE(parse_reproducer(reproducer_text(plain), error)->tls);
}

TEST(NetfuzzTls, OptionsFollowTheNormalMode) {
  auto error_of = [](std::vector<const char*> args) {
    args.insert(args.begin(), {"flake-conform", "fuzz"});
    return parse_fuzz_options(static_cast<int>(args.size()), const_cast<char**>(args.data()), "bin")
        .error;
  };
  EXPECT_EQ(error_of({"--reference", "--tls", "--families", "tls,http"}), "");
  EXPECT_EQ(error_of({"wss://127.0.0.1:1/rpc", "--token", "t", "--tls-ca", "ca.pem"}), "");
  EXPECT_NE(error_of({"--reference", "--families", "tls"}), "");  // a plain run
  EXPECT_NE(error_of({"ws://127.0.0.1:1/rpc", "--token", "t", "--tls"}), "");
  EXPECT_NE(error_of({"wss://127.0.0.1:1/rpc", "--token", "t"}), "");  // no trust
  EXPECT_NE(error_of({"ws://127.0.0.1:1/rpc", "--token", "t", "--tls-ca", "ca.pem"}), "");
}

// A plain script on a TLS run: its bytes go out raw, no handshake first.
TEST(NetfuzzTls, PlainScriptsBypassTheTargetTls) {
  std::string error;
  auto pki = ThrowawayPki::create(error);
  ASSERT_TRUE(pki) << error;
  TlsClientOptions options;
  options.enabled = true;
  options.ca_file = pki->ca_file();
  auto client = TlsClient::create(options, error);
  ASSERT_TRUE(client) << error;
  set_target_tls(client);

  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ::listen(listener, 4);
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  std::string got;
  std::thread server([&] {
    pollfd p{listener, POLLIN, 0};
    if (::poll(&p, 1, 5000) <= 0) return;
    const int conn = ::accept(listener, nullptr, nullptr);
    char buf[4096];
    for (pollfd q{conn, POLLIN, 0}; ::poll(&q, 1, 5000) > 0;) {
      const ssize_t n = ::recv(conn, buf, sizeof buf, 0);
      if (n <= 0) break;
      got.append(buf, static_cast<std::size_t>(n));
    }
    ::close(conn);
  });
  ExecTarget target;
  target.host = "127.0.0.1";
  target.port = ntohs(addr.sin_port);
  target.authority = "127.0.0.1:1";
  Burst burst;
  ConnScript conn;
  conn.plain = true;
  conn.steps = {send(std::string("\x16\x03\x01\x00\x02\x01\x00", 7)), simple(StepKind::Close)};
  burst.conns.push_back(conn);
  const BurstOutcome out = run_burst(burst, target, deadline_in(std::chrono::milliseconds(4000)));
  server.join();
  ::close(listener);
  set_target_tls(nullptr);
  EXPECT_EQ(got, std::string("\x16\x03\x01\x00\x02\x01\x00", 7));
  ASSERT_EQ(out.conns.size(), 1u);
  EXPECT_TRUE(out.conns[0].connected);
  EXPECT_EQ(out.conns[0].end, "closed by us");
}

}  // namespace
}  // namespace flake::conform::netfuzz
