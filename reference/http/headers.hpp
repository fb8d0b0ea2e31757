// Reading an HTTP request out of lws, and the small header grammars the REST rules need: media
// types, q-value lists and the Bearer scheme (docs/protocol.md §4.10, §9.4, §9.6, §9.10).
#pragma once

#include <libwebsockets.h>

#include <optional>
#include <string>
#include <string_view>

#include "reference/http/exchange.hpp"

namespace flake {

// Captures method, path, query and every header the handlers use. Must run while lws still holds
// the header table (LWS_CALLBACK_HTTP); `uri` is what lws passes as `in`.
HttpRequest capture_request(lws* wsi, std::string_view uri);

// The media type of a Content-Type value is application/json (case-insensitive, parameters
// ignored).
bool is_json_media_type(std::string_view content_type);

// Whether a q-value list (Accept, Accept-Encoding) allows `token` with q > 0; with `star`, a "*"
// entry with q > 0 also allows it unless `token` itself is listed with q = 0.
bool list_allows(std::string_view header, std::string_view token, std::string_view star);

// The credentials of "Bearer <credentials>" (scheme case-insensitive), else nullopt.
std::optional<std::string_view> bearer_credentials(std::string_view authorization);

}  // namespace flake
