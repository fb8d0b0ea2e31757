// Our answer to a WebSocket upgrade request (docs/protocol.md §1.4-§1.7, §4.3, §4.4, §8.4): the
// gate, path, method and RFC 6455 §4.2 checks, then subprotocol and permessage-deflate selection.
#pragma once

#include <optional>
#include <string>

#include "reference/state/server_state.hpp"
#include "reference/ws/deflate.hpp"
#include "reference/ws/handshake.hpp"

namespace flake {

struct UpgradeAnswer {
  bool accepted = false;
  std::string response;  // the 101 head, or a complete refusal with the JSON error body of §9.3
  std::optional<ws::DeflateParams> deflate;  // accepted with permessage-deflate
};

// `open_connections` counts WebSockets and SSE streams toward the connection cap (§8.4).
UpgradeAnswer answer_upgrade(const ws::RequestHead& head, const ServerState& server,
                             size_t open_connections);

}  // namespace flake
