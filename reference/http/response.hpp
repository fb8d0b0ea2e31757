// Writing HTTP responses through lws with the headers every REST answer shares: CORS (§9.5), Vary,
// gzip for bodies over 1 KiB (§9.6), and the error body of §9.3.
#pragma once

#include <libwebsockets.h>

#include <optional>
#include <string_view>

#include "reference/http/exchange.hpp"

namespace flake {

inline constexpr size_t kGzipThreshold = 1024;

// Status line and headers (CORS for an allowed Origin included); `content_length` nullopt means
// a body of unknown length (SSE). False when lws refuses.
bool write_head(lws* wsi, const HttpRequest& request, int status, std::string_view content_type,
                std::optional<size_t> content_length, const HttpReply& extra);

// A complete response, compressed when allowed; returns what the lws callback should return
// (-1 when the connection must close, e.g. `close_after` or lws ending the transaction).
int write_reply(lws* wsi, const HttpRequest& request, HttpReply reply, bool close_after = false);

}  // namespace flake
