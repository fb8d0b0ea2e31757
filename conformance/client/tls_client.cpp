// OpenSSL behind the suite's TLS client. Sockets go through a BIO of our own that sends with
// MSG_NOSIGNAL: OpenSSL's socket BIO writes with write(2), which raises SIGPIPE on a peer that is
// gone, and a conformance run must survive a sidecar that resets connections.
#include "conformance/client/tls_client.hpp"

#include "conformance/client/socket.hpp"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <mutex>

namespace flake::conform {

void SslFree::operator()(ssl_st* p) const {
  SSL_free(p);
}
void SslCtxFree::operator()(ssl_ctx_st* p) const {
  SSL_CTX_free(p);
}

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_ip_address(const std::string& host) {
  unsigned char buf[16];
  return ::inet_pton(AF_INET, host.c_str(), buf) == 1 ||
         ::inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

// The BIO: the descriptor is the BIO's data; EAGAIN becomes OpenSSL's retry flags.
int bio_write(BIO* b, const char* data, int len) {
  BIO_clear_retry_flags(b);
  const ssize_t n = ::send(static_cast<int>(reinterpret_cast<std::intptr_t>(BIO_get_data(b))), data,
                           static_cast<std::size_t>(len), MSG_NOSIGNAL);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) BIO_set_retry_write(b);
  return static_cast<int>(n);
}

int bio_read(BIO* b, char* data, int len) {
  BIO_clear_retry_flags(b);
  const ssize_t n = ::recv(static_cast<int>(reinterpret_cast<std::intptr_t>(BIO_get_data(b))), data,
                           static_cast<std::size_t>(len), 0);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) BIO_set_retry_read(b);
  return static_cast<int>(n);
}

long bio_ctrl(BIO*, int cmd, long, void*) {
  return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

int bio_create(BIO* b) {
  BIO_set_init(b, 1);
  return 1;
}

const BIO_METHOD* socket_method() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m =
        BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "flake-conform socket");
    BIO_meth_set_write(m, bio_write);
    BIO_meth_set_read(m, bio_read);
    BIO_meth_set_ctrl(m, bio_ctrl);
    BIO_meth_set_create(m, bio_create);
    return m;
  }();
  return method;
}

// Pinning replaces chain verification altogether: the leaf's DER must hash to the pinned value.
int verify_pinned(X509_STORE_CTX* store, void* arg) {
  const auto* client = static_cast<const TlsClient*>(arg);
  X509* leaf = X509_STORE_CTX_get0_cert(store);
  unsigned char* der = nullptr;
  const int len = leaf != nullptr ? i2d_X509(leaf, &der) : -1;
  if (len <= 0) {
    X509_STORE_CTX_set_error(store, X509_V_ERR_UNSPECIFIED);
    return 0;
  }
  const Sha256 got = sha256_of(std::string_view(reinterpret_cast<const char*>(der), len));
  OPENSSL_free(der);
  if (got == *client->options().fingerprint_sha256) return 1;
  auto* ssl =
      static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  if (auto* mismatch = static_cast<std::string*>(SSL_get_app_data(ssl))) {
    *mismatch = "the certificate's SHA-256 fingerprint " + format_fingerprint(got) +
                " is not the pinned " + format_fingerprint(*client->options().fingerprint_sha256);
  }
  X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
  return 0;
}

std::string alpn_wire(const std::vector<std::string>& protocols) {
  std::string wire;
  for (const std::string& p : protocols) {
    wire.push_back(static_cast<char>(p.size()));
    wire += p;
  }
  return wire;
}

std::mutex g_target_mutex;
std::shared_ptr<const TlsClient> g_target;

}  // namespace

std::optional<Sha256> parse_fingerprint(std::string_view text) {
  Sha256 out{};
  std::size_t n = 0;
  int high = -1;
  for (const char c : text) {
    if (c == ':') {
      if (high >= 0) return std::nullopt;  // a separator inside an octet
      continue;
    }
    const int v = hex_value(c);
    if (v < 0) return std::nullopt;
    if (high < 0) {
      high = v;
      continue;
    }
    if (n == out.size()) return std::nullopt;
    out[n++] = static_cast<std::uint8_t>(high << 4 | v);
    high = -1;
  }
  if (high >= 0 || n != out.size()) return std::nullopt;
  return out;
}

std::string format_fingerprint(const Sha256& digest) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string text;
  for (const std::uint8_t b : digest) {
    if (!text.empty()) text.push_back(':');
    text.push_back(kDigits[b >> 4]);
    text.push_back(kDigits[b & 0xF]);
  }
  return text;
}

Sha256 sha256_of(std::string_view bytes) {
  Sha256 out{};
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), out.data(), &len, EVP_sha256(), nullptr);
  return out;
}

std::string take_openssl_error() {
  unsigned long newest = 0;
  while (const unsigned long e = ERR_get_error()) newest = e;
  if (newest == 0) return {};
  const char* reason = ERR_reason_error_string(newest);
  return reason != nullptr ? reason : "OpenSSL error " + std::to_string(newest);
}

std::shared_ptr<const TlsClient> TlsClient::create(const TlsClientOptions& options,
                                                   std::string& error) {
  if (options.ca_file.empty() == !options.fingerprint_sha256.has_value()) {
    error = options.ca_file.empty() ? "TLS needs a CA file or a certificate fingerprint to trust"
                                    : "TLS trusts a CA file or a fingerprint, not both";
    return nullptr;
  }
  std::shared_ptr<TlsClient> client(new TlsClient());
  client->options_ = options;
  client->ctx_.reset(SSL_CTX_new(TLS_client_method()));
  SSL_CTX* ctx = client->ctx_.get();
  if (ctx == nullptr) {
    error = "cannot create a TLS context: " + take_openssl_error();
    return nullptr;
  }
  SSL_CTX_set_min_proto_version(ctx, options.min_version);
  SSL_CTX_set_max_proto_version(ctx, options.max_version);
  // A sidecar that closes without close_notify has closed the connection, as in plain text.
  SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  if (options.fingerprint_sha256) {
    SSL_CTX_set_cert_verify_callback(ctx, verify_pinned, client.get());
  } else if (SSL_CTX_load_verify_locations(ctx, options.ca_file.c_str(), nullptr) != 1) {
    error = "cannot read the CA file " + options.ca_file + ": " + take_openssl_error();
    return nullptr;
  }
  return client;
}

void set_target_tls(std::shared_ptr<const TlsClient> client) {
  std::lock_guard lock(g_target_mutex);
  g_target = std::move(client);
}

std::shared_ptr<const TlsClient> target_tls() {
  std::lock_guard lock(g_target_mutex);
  return g_target;
}

std::unique_ptr<TlsSession> TlsSession::handshake(const TlsClient& client, const TlsConnect& tweak,
                                                  int fd, const std::string& host,
                                                  Deadline deadline, std::string& error) {
  ERR_clear_error();
  std::unique_ptr<TlsSession> s(new TlsSession());
  s->ssl_.reset(SSL_new(client.ctx()));
  BIO* bio = BIO_new(socket_method());
  if (!s->ssl_ || bio == nullptr) {
    BIO_free(bio);
    error = "TLS handshake failed: " + take_openssl_error();
    return nullptr;
  }
  SSL* ssl = s->ssl_.get();
  BIO_set_data(bio, reinterpret_cast<void*>(static_cast<std::intptr_t>(fd)));
  SSL_set_bio(ssl, bio, bio);
  std::string mismatch;
  SSL_set_app_data(ssl, &mismatch);
  const TlsClientOptions& o = client.options();
  const std::string& name = o.server_name.empty() ? host : o.server_name;
  const bool ip = is_ip_address(name);
  if (!ip) SSL_set_tlsext_host_name(ssl, name.c_str());
  if (!o.fingerprint_sha256) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    if (ip) {
      X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str());
    } else {
      X509_VERIFY_PARAM_set1_host(param, name.c_str(), 0);
    }
  }
  const std::string alpn = alpn_wire(tweak.alpn.value_or(o.alpn));
  if (!alpn.empty()) {
    SSL_set_alpn_protos(ssl, reinterpret_cast<const unsigned char*>(alpn.data()),
                        static_cast<unsigned>(alpn.size()));
  }
  if (tweak.min_version) {
    if (*tweak.min_version < kTls12) SSL_set_security_level(ssl, 0);
    SSL_set_min_proto_version(ssl, *tweak.min_version);
  }
  if (tweak.max_version) SSL_set_max_proto_version(ssl, *tweak.max_version);

  for (;;) {
    ERR_clear_error();
    errno = 0;
    const int r = SSL_connect(ssl);
    if (r == 1) break;
    const int saved_errno = errno;
    const int e = SSL_get_error(ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      if (!wait_for_fd(fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline)) {
        error = "TLS handshake timed out";
        s->failed_ = true;
        return nullptr;
      }
      continue;
    }
    s->failed_ = true;
    std::string why;
    if (e == SSL_ERROR_SYSCALL) {
      why = saved_errno != 0 ? std::strerror(saved_errno) : "the peer closed the connection";
      ERR_clear_error();
    } else {
      why = take_openssl_error();
      if (why.empty()) why = "error " + std::to_string(e);
      if (!mismatch.empty()) {
        why += " (" + mismatch + ")";
      } else if (const long v = SSL_get_verify_result(ssl); v != X509_V_OK) {
        why += std::string(" (") + X509_verify_cert_error_string(v) + ")";
      }
    }
    error = "TLS handshake failed: " + why;
    return nullptr;
  }
  SSL_set_app_data(ssl, nullptr);

  TlsInfo& info = s->info_;
  info.version = SSL_version(ssl);
  info.version_name = SSL_get_version(ssl);
  const unsigned char* selected = nullptr;
  unsigned selected_len = 0;
  SSL_get0_alpn_selected(ssl, &selected, &selected_len);
  if (selected != nullptr) info.alpn.assign(reinterpret_cast<const char*>(selected), selected_len);
  if (const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl))
    info.cipher = SSL_CIPHER_get_name(cipher);
  // On the client side the peer's chain as sent starts with its own certificate.
  if (STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl)) {
    for (int i = 0; i < sk_X509_num(chain); ++i) {
      unsigned char* der = nullptr;
      const int len = i2d_X509(sk_X509_value(chain, i), &der);
      if (len > 0) info.peer_chain_der.emplace_back(reinterpret_cast<const char*>(der), len);
      OPENSSL_free(der);
    }
  }
  if (!info.peer_chain_der.empty()) info.leaf_fingerprint = sha256_of(info.peer_chain_der.front());
  return s;
}

TlsIo TlsSession::classify(int result) {
  const int saved_errno = errno;
  const int e = SSL_get_error(ssl_.get(), result);
  switch (e) {
    case SSL_ERROR_WANT_READ:
      return TlsIo::kWantRead;
    case SSL_ERROR_WANT_WRITE:
      return TlsIo::kWantWrite;
    case SSL_ERROR_ZERO_RETURN:
      return TlsIo::kEof;
    case SSL_ERROR_SYSCALL:
      failed_ = true;
      ERR_clear_error();
      if (saved_errno == 0) return TlsIo::kEof;
      error_ = std::strerror(saved_errno);
      return TlsIo::kError;
    default:
      failed_ = true;
      error_ = "TLS error: " + take_openssl_error();
      return TlsIo::kError;
  }
}

TlsIo TlsSession::read_step(char* buffer, std::size_t size, std::size_t& got) {
  got = 0;
  if (failed_) return TlsIo::kError;
  ERR_clear_error();
  errno = 0;
  if (SSL_read_ex(ssl_.get(), buffer, size, &got) == 1) return TlsIo::kOk;
  return classify(0);
}

TlsIo TlsSession::write_step(std::string_view bytes, std::size_t& written) {
  written = 0;
  if (failed_) return TlsIo::kError;
  ERR_clear_error();
  errno = 0;
  if (SSL_write_ex(ssl_.get(), bytes.data(), bytes.size(), &written) == 1) return TlsIo::kOk;
  return classify(0);
}

bool TlsSession::has_pending() const {
  return SSL_has_pending(ssl_.get()) == 1;
}

void TlsSession::close_notify() {
  if (failed_ || notified_) return;
  notified_ = true;
  ERR_clear_error();
  SSL_shutdown(ssl_.get());
  ERR_clear_error();
}

}  // namespace flake::conform
