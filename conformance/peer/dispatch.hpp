// What the scripted sidecar does with one client message: default answers as a sidecar would give
// them (§4-§7), the script's overrides, and what follows an answer (notifications, export chunks,
// scripted faults).
#pragma once

#include "conformance/peer/peer_state.hpp"

namespace flake::conform::peer {

class Connection;

void dispatch(Connection& conn, PeerState& state, const json& message, bool binary);

// The default answer to one request (no script override), e.g. for a hook that edits it.
json error_body(int code, const std::string& message, json data = nullptr);

// Milliseconds since the epoch on the system clock (system.ping, entry timestamps).
std::int64_t epoch_ms();

}  // namespace flake::conform::peer
