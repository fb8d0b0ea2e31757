// A one-connection OpenSSL server on 127.0.0.1 for the TLS client's tests: it serves a
// ThrowawayPki's chain, selects ALPN http/1.1 or ends the handshake with no_application_protocol
// (as docs/protocol.md §14.3c/d ask), then echoes what it decrypts. Every wait is bounded.
#pragma once

#include "conformance/client/tls_certs.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <thread>

namespace flake::conform::testing {

class TlsTestServer {
 public:
  explicit TlsTestServer(const ThrowawayPki& pki) {
    ctx_.reset(SSL_CTX_new(TLS_server_method()));
    SSL_CTX_use_certificate_chain_file(ctx_.get(), pki.chain_file().c_str());
    SSL_CTX_use_PrivateKey_file(ctx_.get(), pki.key_file().c_str(), SSL_FILETYPE_PEM);
    SSL_CTX_set_alpn_select_cb(ctx_.get(), select_alpn, nullptr);
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    ::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(listener_, 4);
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~TlsTestServer() {
    if (thread_.joinable()) thread_.join();
    ::close(listener_);
  }
  TlsTestServer(const TlsTestServer&) = delete;
  TlsTestServer& operator=(const TlsTestServer&) = delete;

  std::uint16_t port() const { return port_; }

  // Accepts one connection: a TLS handshake and an echo of one read, or (`raw`) one plain read.
  void serve_one(bool raw = false) {
    thread_ = std::thread([this, raw] {
      // OpenSSL's socket BIO writes with write(2): a client gone first must not SIGPIPE the test.
      sigset_t pipe;
      sigemptyset(&pipe);
      sigaddset(&pipe, SIGPIPE);
      pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
      pollfd p{listener_, POLLIN, 0};
      if (::poll(&p, 1, 5000) <= 0) return;
      const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) return;
      timeval tv{5, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      char buf[4096];
      if (raw) {
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n > 0) received_.assign(buf, static_cast<std::size_t>(n));
        ::close(fd);
        return;
      }
      SslPtr ssl(SSL_new(ctx_.get()));
      SSL_set_fd(ssl.get(), fd);
      if (SSL_accept(ssl.get()) == 1) {
        handshake_ok_ = true;
        std::size_t n = 0;
        if (SSL_read_ex(ssl.get(), buf, sizeof buf, &n) == 1) {
          received_.assign(buf, n);
          std::size_t written = 0;
          SSL_write_ex(ssl.get(), buf, n, &written);
        }
        SSL_shutdown(ssl.get());
      }
      ::close(fd);
    });
  }
  // After the connection ended (joins the server thread).
  const std::string& received() {
    if (thread_.joinable()) thread_.join();
    return received_;
  }
  bool handshake_ok() {
    if (thread_.joinable()) thread_.join();
    return handshake_ok_;
  }

 private:
  static int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen,
                         const unsigned char* in, unsigned int inlen, void*) {
    static const unsigned char kHttp11[] = "\x08http/1.1";
    unsigned char* selected = nullptr;
    if (SSL_select_next_proto(&selected, outlen, kHttp11, sizeof kHttp11 - 1, in, inlen) !=
        OPENSSL_NPN_NEGOTIATED) {
      return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
  }

  SslCtxPtr ctx_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::string received_;
  bool handshake_ok_ = false;
};

}  // namespace flake::conform::testing
