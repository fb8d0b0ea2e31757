// Plain-HTTP side of the sidecar's port (docs/protocol.md §1.3, §1.4, §9): admission after the
// Host/Origin gate, routing, REST handlers and SSE streams.
#pragma once

#include <libwebsockets.h>

#include <string_view>

namespace flake {

struct HttpConnection;

// HTTP callback reasons from the single lws protocol callback. `slot` is the per-session pointer
// to this connection's HttpConnection (owned by ServerState::http; lws frees its user space with
// free()).
int http_callback(lws* wsi, lws_callback_reasons reason, HttpConnection*& slot, void* user,
                  void* in, size_t len);

// Writes a complete response with a JSON body and optionally one more header ("Name: value");
// returns the value the lws callback should return.
int send_json_response(lws* wsi, int status, std::string_view body,
                       std::string_view extra_header = {});

}  // namespace flake
