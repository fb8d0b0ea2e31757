// How a WebSocket gets away from libwebsockets' own WebSocket code (docs/protocol.md §1.5-§1.7,
// §2): lws' HTTP server parses every request head; an upgrade request is answered here, by our own
// handshake, and its socket moves to a raw vhost where the reference does its own framing
// (ws_reader, frame_writer). lws 4.1 accepts unmasked frames and swallows empty pongs before any
// callback, so the framing has to be ours.
#pragma once

#include <string_view>
#include <vector>

#include "reference/ws/deflate.hpp"

struct lws;
struct lws_vhost;

namespace flake {

struct ServerState;

struct Takeover {
  struct Upgraded {
    int fd;  // the socket, now ours: its old descriptor number was handed a placeholder for lws
    std::optional<ws::DeflateParams> deflate;
  };
  std::vector<Upgraded> pending;  // 101 sent, waiting for adopt_upgraded
};

// At LWS_CALLBACK_HTTP_CONFIRM_UPGRADE (`protocol` is the Upgrade header): answers a WebSocket
// upgrade (101 or a refusal) and returns -1, which makes lws hang up: after a refusal that ends the
// connection; after a 101 lws only closes the placeholder, and the socket waits in
// `takeover.pending`. 0 for other upgrades, which lws handles as before.
int take_upgrade(Takeover& takeover, lws* wsi, ServerState& server, std::string_view protocol);

// Adopts the upgraded sockets into the raw vhost, each with a new Connection. Runs from the main
// loop, outside any lws callback. `attach` stores the Connection in the new wsi's user data.
void adopt_upgraded(Takeover& takeover, lws_vhost* raw_vhost, ServerState& server,
                    void (*attach)(lws* wsi, struct Connection& c));

}  // namespace flake
