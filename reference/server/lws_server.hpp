// The libwebsockets side of the reference sidecar: an HTTP vhost that listens, a raw vhost for
// upgraded WebSockets (framed by us), one event loop.
#pragma once

#include "reference/state/server_state.hpp"
#include "reference/tls/server_tls.hpp"

namespace flake {

// Listens, prints "flake-sidecar listening on ws://HOST:PORT/rpc" (wss:// with `tls`, which puts
// the TLS front on the port), serves until SIGTERM/SIGINT, closes every socket with 1001 and
// returns the process exit code (0 on a clean shutdown).
int run_server(ServerState& state, const tls::ServerTls* tls = nullptr);

}  // namespace flake
