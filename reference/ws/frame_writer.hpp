// Sending what a WebSocket connection has queued, framed by us (RFC 6455 §5.2; server frames are
// unmasked): the close handshake, pongs and pings first, then data frames, several per callback,
// compressed when permessage-deflate was agreed.
#pragma once

#include <cstddef>
#include <string_view>

struct lws;

namespace flake {

struct Connection;

// Runs from the writeable callback. Sends the close frame when one is due (and then holds the
// connection until the client's close or the 1 s deadline of §2.11), else a due pong or ping,
// else data frames until the queue is empty, the socket is full or a per-callback budget is spent.
// Keeps tx_bytes and the high-water wake-up as each frame leaves. 0, or -1: close the socket now.
int write_pending(lws* wsi, Connection& c);

// A small uncompressed text answer framed straight into the send buffer, skipping the queue, when
// that cannot reorder or unbound anything: inside a read (whose end writes the buffer out), nothing
// queued ahead of it, no close due, no permessage-deflate, the buffer below one flush's worth.
// False: the caller queues the frame as usual.
bool frame_now(Connection& c, std::string_view payload);

}  // namespace flake
