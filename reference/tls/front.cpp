// The TLS front's per-connection relay (see front.hpp; the why is in tls/README.md).
#include "reference/tls/front.hpp"

#include <libwebsockets.h>
#include <openssl/err.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <span>

#include "reference/tls/relay_buffer.hpp"
#include "reference/tls/server_tls.hpp"

namespace flake::tls {

namespace {

// Bytes held per direction before the reading side stops: large enough for a few TLS records and
// socket buffers' worth, small enough that the inner socketpair, not this buffer, holds a slow
// reader's backlog and the sidecar's own send-buffer bound (§8.7) applies.
constexpr size_t kRelayBound = 256 * 1024;
constexpr size_t kChunk = 16 * 1024;
// After the client is gone, the inner side gets this long to notice the end of its input.
constexpr int kInnerDrainS = 5;
// After the inner side is gone, a client gets this long to read what is left for it; plain TCP
// would leave the rest to the kernel, which gives up on a reader that never reads as well.
constexpr int kClientDrainS = 30;

struct SslFree {
  void operator()(SSL* ssl) const { SSL_free(ssl); }
};

struct Session {
  Link* link;
};

}  // namespace

struct Link {
  enum class Phase { kFirstByte, kHandshake, kOpen, kPlain };
  lws* client = nullptr;  // the accepted TCP connection
  lws* relay = nullptr;   // the front's end of the socketpair
  int relay_fd = -1;
  std::unique_ptr<SSL, SslFree> ssl;
  BIO* rbio = nullptr;  // owned by ssl: ciphertext from the client
  BIO* wbio = nullptr;  // owned by ssl: ciphertext for the client
  Phase phase = Phase::kFirstByte;
  RelayBuffer to_inner{kRelayBound};
  RelayBuffer to_client{kRelayBound};
  bool client_done = false;   // the client sent close_notify or went away
  bool inner_shut = false;    // shutdown(SHUT_WR) sent to the inner side
  bool close_client = false;  // close the client once to_client is sent
  bool client_rx_on = true;
  bool relay_rx_on = true;
};

void LinkFree::operator()(Link* link) const {
  delete link;
}

namespace {

TlsFront& front_of(lws* wsi) {
  return *static_cast<TlsFront*>(lws_get_protocol(wsi)->user);
}

void kill_async(lws* wsi) {
  lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

void set_rx(lws* wsi, bool& on, bool want) {
  if (wsi == nullptr || on == want) return;
  on = want;
  lws_rx_flow_control(wsi, want ? 1 : 0);
}

// Runs the handshake and decrypts what the client sent, as far as to_inner has room.
void decrypt(Link& link) {
  SSL* ssl = link.ssl.get();
  if (link.phase == Link::Phase::kHandshake) {
    const int result = SSL_do_handshake(ssl);
    if (result == 1) {
      link.phase = Link::Phase::kOpen;
      lws_set_timeout(link.client, NO_PENDING_TIMEOUT, 0);
    } else {
      const int error = SSL_get_error(ssl, result);
      if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) link.close_client = true;
    }
  }
  if (link.phase == Link::Phase::kOpen && !link.client_done) {
    std::array<uint8_t, kChunk> plain{};
    while (!link.to_inner.full()) {
      const int n = SSL_read(ssl, plain.data(), static_cast<int>(plain.size()));
      if (n > 0) {
        link.to_inner.append(std::span(plain.data(), static_cast<size_t>(n)));
        continue;
      }
      const int error = SSL_get_error(ssl, n);
      if (error == SSL_ERROR_ZERO_RETURN) link.client_done = true;  // close_notify: FIN inside
      if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE &&
          error != SSL_ERROR_ZERO_RETURN)
        link.close_client = true;
      break;
    }
  }
  ERR_clear_error();
}

void drain_wbio(Link& link) {
  std::array<uint8_t, kChunk> cipher{};
  int n = 0;
  while ((n = BIO_read(link.wbio, cipher.data(), static_cast<int>(cipher.size()))) > 0) {
    link.to_client.append(std::span(cipher.data(), static_cast<size_t>(n)));
  }
}

// Moves what can move in both directions, then sets the read switches from the buffers' fill.
void pump(Link& link) {
  if (link.client != nullptr &&
      (link.phase == Link::Phase::kHandshake || link.phase == Link::Phase::kOpen)) {
    decrypt(link);
    drain_wbio(link);
  }
  if (link.relay != nullptr) {
    const SendResult sent = send_pending(link.relay_fd, link.to_inner);
    if (sent == SendResult::kPartial) lws_callback_on_writable(link.relay);
    if (sent == SendResult::kFailed) link.to_inner.consume(link.to_inner.size());
    if (link.client_done && link.to_inner.empty() && !link.inner_shut) {
      ::shutdown(link.relay_fd, SHUT_WR);  // the inner side reads the client's FIN
      link.inner_shut = true;
    }
  }
  if (link.client != nullptr) {
    const SendResult sent = send_pending(lws_get_socket_fd(link.client), link.to_client);
    if (sent == SendResult::kPartial) lws_callback_on_writable(link.client);
    if (sent == SendResult::kFailed || (link.close_client && link.to_client.empty())) {
      kill_async(link.client);
    }
  }
  // A full buffer stops reading the side that fills it; the other side's socket then fills, and
  // its writer sees EAGAIN as it would with a slow plain-TCP reader.
  set_rx(link.client, link.client_rx_on, !link.to_inner.full());
  set_rx(link.relay, link.relay_rx_on, !link.to_client.full());
}

int open_link(TlsFront& front, lws* wsi, Session& session) {
  if (front.adopting_relay != nullptr) {  // this adoption is the front's end of a new socketpair
    session.link = front.adopting_relay;
    session.link->relay = wsi;
    return 0;
  }
  std::unique_ptr<Link, LinkFree> link(new Link);
  link->client = wsi;
  link->ssl.reset(SSL_new(front.ctx));
  link->rbio = BIO_new(BIO_s_mem());
  link->wbio = BIO_new(BIO_s_mem());
  if (!link->ssl || link->rbio == nullptr || link->wbio == nullptr) {
    BIO_free(link->rbio);
    BIO_free(link->wbio);
    return -1;
  }
  BIO_set_mem_eof_return(link->rbio, -1);  // empty means "more to come", not end of stream
  SSL_set_bio(link->ssl.get(), link->rbio, link->wbio);
  SSL_set_accept_state(link->ssl.get());
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pair) < 0) return -1;
  lws_sock_file_fd_type descriptor{};
  descriptor.sockfd = pair[0];
  if (lws_adopt_descriptor_vhost(front.http_vhost,
                                 static_cast<lws_adoption_type>(LWS_ADOPT_HTTP | LWS_ADOPT_SOCKET),
                                 descriptor, nullptr, nullptr) == nullptr) {
    ::close(pair[1]);  // lws closed pair[0]
    return -1;
  }
  descriptor.sockfd = pair[1];
  front.adopting_relay = link.get();
  lws* relay = lws_adopt_descriptor_vhost(lws_get_vhost(wsi), LWS_ADOPT_SOCKET, descriptor,
                                          kFrontProtocol, nullptr);
  front.adopting_relay = nullptr;
  if (relay == nullptr) return -1;  // lws closed pair[1]; the inner side reads EOF and closes
  link->relay_fd = pair[1];
  session.link = link.get();
  lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, front.handshake_timeout_s);
  front.links.emplace(link.get(), std::move(link));
  return 0;
}

int on_client_rx(TlsFront& front, Link& link, std::span<const uint8_t> bytes) {
  if (bytes.empty()) return 0;
  if (link.phase == Link::Phase::kFirstByte) {
    if (starts_tls_record(bytes[0])) {
      link.phase = Link::Phase::kHandshake;
    } else if (front.plaintext_served) {
      link.phase = Link::Phase::kPlain;
      lws_set_timeout(link.client, NO_PENDING_TIMEOUT, 0);
    } else {
      return -1;  // §14.3f: not TLS, so no answer at all
    }
  }
  if (link.phase == Link::Phase::kPlain) {
    link.to_inner.append(bytes);
  } else {
    BIO_write(link.rbio, bytes.data(), static_cast<int>(bytes.size()));
  }
  pump(link);
  return 0;
}

void on_relay_rx(Link& link, std::span<const uint8_t> bytes) {
  if (link.client == nullptr) return;  // nobody left to read it
  if (link.phase == Link::Phase::kPlain) {
    link.to_client.append(bytes);
  } else if (link.phase == Link::Phase::kOpen) {
    // A memory BIO takes any amount, so SSL_write takes it all in one call.
    SSL_write(link.ssl.get(), bytes.data(), static_cast<int>(bytes.size()));
    ERR_clear_error();
  }
  pump(link);
}

void on_closed(TlsFront& front, lws* wsi, Session& session) {
  Link* link = session.link;
  session.link = nullptr;
  if (link == nullptr) return;
  if (wsi == link->client) {
    link->client = nullptr;
    link->client_done = true;
    link->to_client.consume(link->to_client.size());  // nobody to read it; the inner side may go on
    if (link->relay != nullptr) {
      lws_set_timeout(link->relay, PENDING_TIMEOUT_USER_OK, kInnerDrainS);
      pump(*link);
    }
  } else {
    link->relay = nullptr;
    if (link->client != nullptr) {
      if (!link->to_inner.empty() || link->phase == Link::Phase::kHandshake) {
        // The inner side closed with input unread: plain TCP would reset the connection.
        const linger reset{1, 0};
        ::setsockopt(lws_get_socket_fd(link->client), SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
        kill_async(link->client);
      } else {
        if (link->phase == Link::Phase::kOpen) {
          SSL_shutdown(link->ssl.get());  // close_notify
          ERR_clear_error();
        }
        link->close_client = true;
        lws_set_timeout(link->client, PENDING_TIMEOUT_USER_OK, kClientDrainS);
        pump(*link);
      }
    }
  }
  if (link->client == nullptr && link->relay == nullptr) front.links.erase(link);
}

}  // namespace

size_t front_session_size() {
  return sizeof(Session);
}

int front_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
  auto* session = static_cast<Session*>(user);
  const std::span<const uint8_t> bytes(static_cast<const uint8_t*>(in), in ? len : 0);
  switch (reason) {
    case LWS_CALLBACK_RAW_ADOPT:
      return session ? open_link(front_of(wsi), wsi, *session) : -1;
    case LWS_CALLBACK_RAW_RX:
      if (session == nullptr || session->link == nullptr) return -1;
      if (wsi == session->link->client) return on_client_rx(front_of(wsi), *session->link, bytes);
      on_relay_rx(*session->link, bytes);
      return 0;
    case LWS_CALLBACK_RAW_WRITEABLE:
      if (session != nullptr && session->link != nullptr) pump(*session->link);
      return 0;
    case LWS_CALLBACK_RAW_CLOSE:
      if (session != nullptr) on_closed(front_of(wsi), wsi, *session);
      return 0;
    default:
      return 0;
  }
}

}  // namespace flake::tls
