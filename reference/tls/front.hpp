// The TLS front (docs/protocol.md §14, tls/README.md): the listening socket of a TLS sidecar lives
// on a raw libwebsockets vhost; each accepted connection gets an OpenSSL session over memory BIOs
// and a socketpair whose other end is adopted into the HTTP vhost, so the code after TLS reads and
// writes the same plain bytes as on a ws:// port.
#pragma once

#include <libwebsockets.h>
#include <openssl/ssl.h>

#include <cstddef>
#include <memory>
#include <unordered_map>

namespace flake::tls {

struct Link;

struct LinkFree {
  void operator()(Link* link) const;
};

struct TlsFront {
  SSL_CTX* ctx = nullptr;
  lws_vhost* http_vhost = nullptr;  // where the plain-text end of each link is adopted
  bool plaintext_served = false;    // defect tls-plaintext-served (TlsPolicy)
  int handshake_timeout_s = 5;      // a client that does not finish its handshake is closed
  std::unordered_map<const Link*, std::unique_ptr<Link, LinkFree>> links;
  Link* adopting_relay = nullptr;  // set while the front's own end of a socketpair is adopted
};

// The name of the front's protocol on its vhost; the protocol's `user` points at the TlsFront.
inline constexpr const char* kFrontProtocol = "flake-tls";
// Bytes of per-session user data the protocol needs.
size_t front_session_size();

// The protocol callback of the front vhost: client sockets and the front's ends of socketpairs.
int front_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len);

}  // namespace flake::tls
