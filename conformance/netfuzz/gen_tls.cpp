// The TLS family of the network fuzzer, for runs over TLS: plain TCP to the TLS port carrying
// mutated records around a real ClientHello (captured from OpenSSL at run time, never stored),
// handshakes abandoned half-way, data after close_notify, KeyUpdate and renegotiation.
#include "conformance/netfuzz/generators.hpp"

#include <openssl/bio.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <memory>

namespace flake::conform::netfuzz {
namespace {

constexpr std::size_t kRecordHeader = 5;

std::string record(std::uint8_t type, std::string_view payload, std::uint16_t version = 0x0303) {
  const std::size_t n = std::min<std::size_t>(payload.size(), 0xFFFF);
  std::string out{static_cast<char>(type), static_cast<char>(version >> 8),
                  static_cast<char>(version & 0xFF), static_cast<char>(n >> 8),
                  static_cast<char>(n & 0xFF)};
  out.append(payload.substr(0, n));
  return out;
}

void set_length(std::string& rec, std::size_t length) {
  rec[3] = static_cast<char>((length >> 8) & 0xFF);
  rec[4] = static_cast<char>(length & 0xFF);
}

std::string upgrade_head(Rng& rng, const GenContext& context) {
  return "GET " + context.ws_path +
         " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: " +
         std::string(chance(rng, 50) ? "dGhlIHNhbXBsZSBub25jZQ==" : "AAAAAAAAAAAAAAAAAAAAAA==") +
         "\r\nSec-WebSocket-Version: 13\r\n\r\n";
}

// How a connection that sent garbage ends: read what comes back, or go away abruptly.
void finish(Rng& rng, ConnScript& conn) {
  switch (below(rng, 4)) {
    case 0:
      conn.steps.push_back(simple(StepKind::Abort));
      break;
    case 1:
      conn.steps.push_back(simple(StepKind::ShutdownWrite));
      conn.steps.push_back(drain(300));
      break;
    default:
      conn.steps.push_back(drain(static_cast<int>(100 + below(rng, 400))));
  }
}

// Records mutated around the ClientHello `hello` (one complete record).
void mutated_hello(Rng& rng, ConnScript& conn, const std::string& hello) {
  std::string out = hello;
  const std::size_t body = hello.size() - kRecordHeader;
  switch (below(rng, 7)) {
    case 0:
      conn.label = "truncated ClientHello";
      out.resize(below(rng, hello.size()));
      break;
    case 1: {
      conn.label = "bit-flipped ClientHello";
      const std::size_t flips = 1 + below(rng, 8);
      for (std::size_t i = 0; i < flips; ++i) {
        out[below(rng, out.size())] ^= static_cast<char>(1u << below(rng, 8));
      }
      break;
    }
    case 2:
      conn.label = "wrong record length";
      set_length(out, below(rng, 2 * body + 2));
      break;
    case 3:
      conn.label = "oversized record length";
      set_length(out, 16385 + below(rng, 65536 - 16385));
      if (chance(rng, 50)) out += random_bytes(rng, below(rng, 4096));
      break;
    case 4: {
      conn.label = "oversized handshake length";
      const std::uint32_t n = chance(rng, 50) ? 0xFFFFFF : static_cast<std::uint32_t>(rng());
      out[6] = static_cast<char>((n >> 16) & 0xFF);
      out[7] = static_cast<char>((n >> 8) & 0xFF);
      out[8] = static_cast<char>(n & 0xFF);
      break;
    }
    case 5: {
      conn.label = "ClientHello over many records";
      out.clear();
      for (std::size_t at = kRecordHeader; at < hello.size();) {
        const std::size_t n = std::min<std::size_t>(hello.size() - at, 1 + below(rng, 40));
        out += record(0x16, std::string_view(hello).substr(at, n), 0x0301);
        at += n;
      }
      if (chance(rng, 30)) out += record(0x16, "");  // an empty handshake record is illegal
      break;
    }
    default: {
      conn.label = "record before ClientHello";
      static constexpr std::array<std::uint8_t, 6> kTypes{0x14, 0x15, 0x17, 0x18, 0x00, 0xFF};
      const std::uint8_t type = pick(rng, std::span<const std::uint8_t>(kTypes));
      const std::string payload = type == 0x14   ? std::string(1, '\x01')
                                  : type == 0x15 ? std::string("\x02\x28", 2)
                                                 : random_bytes(rng, below(rng, 300));
      out = record(type, payload) + hello;
      break;
    }
  }
  conn.steps.push_back(send(std::move(out)));
  finish(rng, conn);
}

// The hello in several writes: at random boundaries, or one byte at a time (every boundary).
void split_hello(Rng& rng, ConnScript& conn, const std::string& hello) {
  if (chance(rng, 30)) {
    conn.label = "ClientHello byte by byte";
    conn.steps.push_back(trickle({bytes(hello)}, 1));
  } else {
    conn.label = "ClientHello split";
    std::size_t at = 0;
    while (at < hello.size()) {
      const std::size_t n = std::min<std::size_t>(hello.size() - at, 1 + below(rng, 64));
      conn.steps.push_back(send(hello.substr(at, n)));
      if (chance(rng, 50)) conn.steps.push_back(pause(static_cast<int>(below(rng, 15))));
      at += n;
    }
  }
  conn.steps.push_back(drain(static_cast<int>(100 + below(rng, 300))));
}

// A handshake completed by the script's own session, then something the server must survive.
void after_handshake(Rng& rng, ConnScript& conn, const GenContext& context,
                     const std::string& hello) {
  const bool tls12 = chance(rng, 40);
  conn.steps.push_back(tls_handshake(tls12 ? "1.2" : ""));
  const std::string head = upgrade_head(rng, context);
  const std::size_t cut = below(rng, head.size());
  switch (below(rng, 4)) {
    case 0:
      conn.label = "data after close_notify";
      if (chance(rng, 50)) conn.steps.push_back(tls_send(head.substr(0, cut)));
      conn.steps.push_back(simple(StepKind::TlsCloseNotify));
      conn.steps.push_back(
          send(chance(rng, 50) ? hello : record(0x17, random_bytes(rng, below(rng, 200)))));
      break;
    case 1:
      conn.label = tls12 ? "renegotiation" : "KeyUpdate";
      conn.steps.push_back(tls_send(head.substr(0, cut)));
      for (std::size_t i = 0, n = 1 + below(rng, 3); i < n; ++i) {
        conn.steps.push_back(simple(StepKind::TlsRekey));
      }
      conn.steps.push_back(tls_send(head.substr(cut)));
      break;
    case 2:
      conn.label = "forged record after handshake";
      conn.steps.push_back(
          send(record(chance(rng, 70) ? 0x17 : 0x16, random_bytes(rng, 1 + below(rng, 300)))));
      break;
    default:
      conn.label = "request cut after handshake";
      conn.steps.push_back(tls_send(head.substr(0, cut)));
      conn.steps.push_back(simple(StepKind::Abort));
      return;
  }
  conn.steps.push_back(drain(static_cast<int>(100 + below(rng, 300))));
}

}  // namespace

std::string capture_client_hello() {
  const std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()),
                                                              &SSL_CTX_free);
  if (!ctx) return {};
  const std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(ctx.get()), &SSL_free);
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  if (!ssl || in == nullptr || out == nullptr) {
    BIO_free(in);
    BIO_free(out);
    return {};
  }
  SSL_set_bio(ssl.get(), in, out);  // owned by the SSL from here
  SSL_set_tlsext_host_name(ssl.get(), "localhost");
  static constexpr unsigned char kAlpn[] = "\x08http/1.1";
  SSL_set_alpn_protos(ssl.get(), kAlpn, sizeof kAlpn - 1);
  SSL_set_connect_state(ssl.get());
  SSL_do_handshake(ssl.get());  // wants to read the ServerHello: the ClientHello is in `out`
  char* data = nullptr;
  const long n = BIO_get_mem_data(out, &data);
  return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

const std::string& client_hello() {
  static const std::string hello = capture_client_hello();
  return hello;
}

ConnScript gen_tls(Rng& rng, const GenContext& context) {
  ConnScript conn;
  conn.plain = true;
  const std::string& hello = context.client_hello.empty() ? client_hello() : context.client_hello;
  switch (below(rng, 10)) {
    case 0:
    case 1:
    case 2:
      mutated_hello(rng, conn, hello);
      break;
    case 3:
    case 4:
      split_hello(rng, conn, hello);
      break;
    case 5:
      conn.label = "plaintext HTTP to the TLS port";
      conn.steps.push_back(send(chance(rng, 50) ? upgrade_head(rng, context)
                                                : "GET /api/v1/health HTTP/1.1\r\nHost: "
                                                  "127.0.0.1\r\n\r\n"));
      conn.steps.push_back(drain(300));
      break;
    case 6:
      conn.label = "handshake abandoned";
      conn.steps.push_back(send(hello));
      conn.steps.push_back(drain(static_cast<int>(50 + below(rng, 300))));
      if (chance(rng, 40)) {
        conn.hold = true;  // still half-way while the health check runs
      } else {
        conn.steps.push_back(simple(chance(rng, 50) ? StepKind::Abort : StepKind::Close));
      }
      break;
    default:
      after_handshake(rng, conn, context, hello);
  }
  return conn;
}

}  // namespace flake::conform::netfuzz
