// Shared by the peer's tests: a running scripted sidecar and a client of the suite's own library.
#pragma once

#include "conformance/client/url.hpp"
#include "conformance/client/ws_client.hpp"
#include "conformance/peer/peer.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <thread>

namespace flake::conform::peer::fixture {

using namespace std::chrono_literals;

inline constexpr const char* kToken = "peer-test-token-0123456789";

struct Running {
  explicit Running(PeerScript script)
      : peer([&] {
          script.token = kToken;
          return std::move(script);
        }()) {
    std::string error;
    EXPECT_TRUE(peer.start(error)) << error;
  }
  Url url() const { return *parse_url(peer.url()); }
  Peer peer;
};

inline std::unique_ptr<WsClient> connect(const Running& r, bool deflate = false) {
  auto ws = std::make_unique<WsClient>();
  ConnectOptions o;
  o.subprotocols = {"flake.v1"};
  o.offer_deflate = deflate;
  o.timeout = 2000ms;
  const ConnectResult c = ws->connect(r.url(), o);
  EXPECT_TRUE(c.upgraded) << c.error;
  return ws;
}

inline json call(WsClient& ws, const json& request) {
  EXPECT_TRUE(ws.send_text(request.dump()));
  for (;;) {
    const Message m = ws.next_message(deadline_in(2000ms));
    if (m.kind != MessageKind::Text && m.kind != MessageKind::Binary) {
      ADD_FAILURE() << "no answer: " << to_string(m.kind) << " " << m.data;
      return json();
    }
    json v = m.kind == MessageKind::Text ? json::parse(m.data) : json::from_msgpack(m.data);
    if (v.is_array() || v.contains("id")) return v;
  }
}

inline json next_json(WsClient& ws) {
  const Message m = ws.next_message(deadline_in(2000ms));
  if (m.kind == MessageKind::Text) return json::parse(m.data);
  if (m.kind == MessageKind::Binary) return json::from_msgpack(m.data);
  ADD_FAILURE() << "expected a message, got " << to_string(m.kind);
  return json();
}

inline json auth(WsClient& ws) {
  return call(ws, {{"jsonrpc", "2.0"},
                   {"id", 1},
                   {"method", "auth.authenticate"},
                   {"params", {{"token", kToken}}}});
}

inline std::size_t count(const std::vector<PeerEvent>& events, EventKind kind) {
  std::size_t n = 0;
  for (const auto& e : events) n += e.kind == kind ? 1 : 0;
  return n;
}

inline bool wait_for(const Peer& p, EventKind kind, std::size_t n = 1) {
  for (int i = 0; i < 200; ++i) {
    if (count(p.events(), kind) >= n) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

}  // namespace flake::conform::peer::fixture
