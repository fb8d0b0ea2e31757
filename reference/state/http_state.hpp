// State of the plain-HTTP side, kept in ServerState::http: tickets, SSE endpoints and one record
// per HTTP connection (rate-limit bucket, the request in progress, an open SSE response).
#pragma once

#include <libwebsockets.h>

#include <memory>
#include <unordered_map>

#include "reference/http/exchange.hpp"
#include "reference/http/sse_stream.hpp"
#include "reference/state/rate_limiter.hpp"
#include "reference/state/tickets.hpp"

namespace flake {

struct ServerState;

// Lives from a connection's first HTTP request until LWS_CALLBACK_CLOSED_HTTP; keep-alive requests
// reuse it, so the token bucket is per connection as §8.1 requires.
struct HttpConnection {
  lws* wsi = nullptr;
  TokenBucket bucket{0, 1};
  HttpRequest request;
  bool reading_body = false;
  std::unique_ptr<SseReader> sse;
};

struct HttpState {
  explicit HttpState(const ServerState& server);
  TicketStore tickets;
  SseHub hub;  // declared before connections: readers unregister from it when destroyed
  std::unordered_map<lws*, std::unique_ptr<HttpConnection>> connections;
};

// Created on first use.
HttpState& http_state(ServerState& server);

}  // namespace flake
