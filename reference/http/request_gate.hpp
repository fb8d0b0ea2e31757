// The checks every request on the port passes before anything else, WebSocket upgrade or plain HTTP
// (docs/protocol.md §1.4, §4.3, §4.4): one Host header, an allowed Host, an allowed Origin.
#pragma once

#include <libwebsockets.h>

#include <optional>
#include <string>

#include "reference/state/server_state.hpp"

namespace flake {

enum class GateVerdict { kAllowed, kDuplicateHost, kForbidden };

// A header's value; lws joins repeated headers with ',' so callers needing "exactly one" ask
// header_count.
std::optional<std::string> header(lws* wsi, lws_token_indexes token);
int header_count(lws* wsi, lws_token_indexes token);

// What the gate reads from a request head, whoever parsed it (lws for plain HTTP, ws_handshake for
// upgrades).
struct GateInput {
  int host_count = 0;
  std::optional<std::string> host;
  std::optional<std::string> origin;
  bool upgrade = false;  // a WebSocket upgrade request
};
GateInput gate_input(lws* wsi);

// Honours the defect switches that disable the Host or Origin check.
GateVerdict check_gate(const GateInput& request, const ServerState& server);

}  // namespace flake
