// OpenSSL sessions of the fuzzer's plain connections (exec_tls.hpp).
#include "conformance/netfuzz/exec_tls.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <signal.h>

namespace flake::conform::netfuzz {

bool ScriptTls::wait(int result, Deadline deadline, std::string& error) {
  const int code = SSL_get_error(ssl_.get(), result);
  short events = 0;
  if (code == SSL_ERROR_WANT_READ) events = POLLIN;
  if (code == SSL_ERROR_WANT_WRITE) events = POLLOUT;
  if (events == 0) {
    error = "TLS: " + take_openssl_error();
    return false;
  }
  if (!wait_for_fd(fd_, events, deadline)) {
    error = "TLS: timed out";
    return false;
  }
  return true;
}

std::unique_ptr<ScriptTls> ScriptTls::handshake(int fd, const std::string& host,
                                                std::string_view max_version, Deadline deadline,
                                                std::string& error) {
  const auto client = target_tls();
  if (!client) {
    error = "TLS: the target is plain text";
    return nullptr;
  }
  // OpenSSL's socket BIO writes with write(2): a peer gone must be EPIPE, not SIGPIPE. Each
  // connection has a thread of its own, so blocking it here blocks it only for this connection
  // (a pending SIGPIPE dies with the thread).
  sigset_t pipe;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
  ERR_clear_error();
  std::unique_ptr<ScriptTls> tls(new ScriptTls());
  tls->fd_ = fd;
  tls->ssl_.reset(SSL_new(client->ctx()));
  if (!tls->ssl_ || SSL_set_fd(tls->ssl_.get(), fd) != 1) {
    error = "TLS: " + take_openssl_error();
    return nullptr;
  }
  SSL* ssl = tls->ssl_.get();
  if (max_version == "1.2") {
    SSL_set_max_proto_version(ssl, TLS1_2_VERSION);
    // The suite's client refuses renegotiation; this one exists to ask the server for one.
    SSL_clear_options(ssl, SSL_OP_NO_RENEGOTIATION);
  }
  // The fingerprint-pinned client checks in its own verify callback; a CA-trusting one needs the
  // host checked here as TcpSocket's layer does.
  if (!client->options().ca_file.empty()) {
    const std::string& name =
        client->options().server_name.empty() ? host : client->options().server_name;
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    if (X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str()) != 1) {
      X509_VERIFY_PARAM_set1_host(param, name.c_str(), 0);
      SSL_set_tlsext_host_name(ssl, name.c_str());
    }
  }
  static constexpr unsigned char kAlpn[] = "\x08http/1.1";
  SSL_set_alpn_protos(ssl, kAlpn, sizeof kAlpn - 1);
  SSL_set_connect_state(ssl);
  for (;;) {
    const int r = SSL_do_handshake(ssl);
    if (r == 1) return tls;
    if (!tls->wait(r, deadline, error)) {
      error = "TLS handshake failed: " + error;
      return nullptr;
    }
  }
}

bool ScriptTls::write(std::string_view bytes, Deadline deadline, std::string& error) {
  while (!bytes.empty()) {
    std::size_t written = 0;
    const int r = SSL_write_ex(ssl_.get(), bytes.data(), bytes.size(), &written);
    if (r == 1) {
      bytes.remove_prefix(written);
    } else if (!wait(r, deadline, error)) {
      return false;
    }
  }
  return true;
}

void ScriptTls::close_notify() {
  SSL_shutdown(ssl_.get());
  ERR_clear_error();
}

bool ScriptTls::rekey(Deadline deadline, std::string& error) {
  SSL* ssl = ssl_.get();
  if (SSL_version(ssl) >= TLS1_3_VERSION) {
    if (SSL_key_update(ssl, SSL_KEY_UPDATE_REQUESTED) != 1) {
      error = "TLS: " + take_openssl_error();
      return false;
    }
    // The KeyUpdate leaves with the next record: one of application data (a lone space, which a
    // WebSocket or HTTP peer sees as the start of garbage, not as a request).
    return write(" ", deadline, error);
  }
  if (SSL_renegotiate(ssl) != 1) {
    error = "TLS: " + take_openssl_error();
    return false;
  }
  const int r = SSL_do_handshake(ssl);
  if (r != 1) {
    const int code = SSL_get_error(ssl, r);
    if (code != SSL_ERROR_WANT_READ && code != SSL_ERROR_WANT_WRITE) {
      error = "TLS: " + take_openssl_error();
      return false;
    }
  }
  return true;
}

}  // namespace flake::conform::netfuzz
