// The checks every request on the port passes before anything else, WebSocket upgrade or plain HTTP
// (docs/protocol.md §1.4, §4.3, §4.4): one Host header, an allowed Host, an allowed Origin.
#pragma once

#include <libwebsockets.h>

#include <optional>
#include <string>

#include "server_state.hpp"

namespace flake {

enum class GateVerdict { kAllowed, kDuplicateHost, kForbidden };

// A header's value; lws joins repeated headers with ',' so callers needing "exactly one" ask
// header_count.
std::optional<std::string> header(lws* wsi, lws_token_indexes token);
int header_count(lws* wsi, lws_token_indexes token);

// Honours the defect switches that disable the Host or Origin check.
GateVerdict check_gate(lws* wsi, const ServerState& server);

}  // namespace flake
