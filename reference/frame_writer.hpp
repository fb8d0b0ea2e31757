// Sending a connection's queued frames from its writeable callback: several per callback, and
// small ones framed together into one send when no WebSocket extension is active.
#pragma once

#include <cstddef>

struct lws;

namespace flake {

struct Connection;

// Sends frames from the front of c.tx until it is empty, lws_send_pipe_choked() reports the socket
// full, or a per-callback budget is spent; at least one frame when any is queued. Keeps tx_bytes
// and the high-water wake-up as each frame leaves. 0, or -1 when the connection failed.
int write_queued_frames(lws* wsi, Connection& c);

}  // namespace flake
