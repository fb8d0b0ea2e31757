// Bytes from an upgraded socket, turned into messages and control-frame answers: RFC 6455 frames
// (ws_frame_reader), reassembly, permessage-deflate inflation and the size limit (docs/protocol.md
// §2.5-§2.11, §7.6).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace flake {

struct Connection;

// The status a close frame without a code reports (RFC 6455 §7.1.5). Never sent: a close_code of
// 1005 makes the writer send a close frame with an empty payload.
inline constexpr int kCloseNoStatus = 1005;

// The payload of the sidecar's keepalive pings (§7.6); frame_writer.cpp sends it.
inline constexpr std::string_view kPingPayload = "flk";

// Feeds bytes read from the socket (unmasked in place). 0, or -1 when the socket must close now:
// test.dropSession, or the closing handshake completed.
int receive_bytes(Connection& c, std::span<uint8_t> bytes);

// Whether a close code received from a client is one RFC 6455 §7.4 allows on the wire.
bool is_valid_received_close_code(int code);

}  // namespace flake
