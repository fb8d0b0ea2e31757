// Plain-HTTP side of the sidecar's port (docs/protocol.md §1, §9): access checks and the REST
// endpoints.
#pragma once

#include <libwebsockets.h>

#include <string_view>

namespace flake {

int http_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len);

// Writes a complete response with a JSON body and optionally one more header ("Name: value");
// returns the value the lws callback should return.
int send_json_response(lws* wsi, int status, std::string_view body,
                       std::string_view extra_header = {});

}  // namespace flake
