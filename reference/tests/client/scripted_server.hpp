// A scripted WebSocket server for the client's engine tests: accepts on 127.0.0.1, answers the
// upgrade, reads the client's (masked) frames with the sidecar's server-role FrameReader, and
// writes whatever the test tells it to. Blocking, with timeouts; one connection at a time.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "reference/client/frame.hpp"
#include "reference/client/socket.hpp"
#include "reference/codec/json_parse.hpp"
#include "reference/ws/frame_reader.hpp"
#include "reference/ws/handshake.hpp"

namespace flake::client::testing {

using Ms = std::chrono::milliseconds;

// What the client sent: a JSON message, or a control frame.
struct ClientMessage {
  enum class Kind { kJson, kPong, kClose, kEnd } kind = Kind::kEnd;
  JsonPtr json;
  std::string payload;
  bool masked = true;
  std::string method() const {
    return std::string(string_member(json.get(), "method").value_or(""));
  }
  std::string id() const { return print_json(member(json.get(), "id")); }
};

class ServerConn {
 public:
  explicit ServerConn(Fd fd) : fd_(std::move(fd)) {}

  bool handshake(Ms timeout = Ms(2000)) {
    std::string head;
    while (head.find("\r\n\r\n") == std::string::npos) {
      if (!fill(head, timeout)) return false;
    }
    const size_t end = head.find("\r\n\r\n");
    pending_.assign(head.begin() + long(end + 4), head.end());
    const size_t k = head.find("Sec-WebSocket-Key: ");
    if (k == std::string::npos) return false;
    const std::string key = head.substr(k + 19, head.find("\r\n", k) - k - 19);
    send_raw(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Protocol: flake.v1\r\nSec-WebSocket-Accept: " +
        ws::accept_key(key) + "\r\n\r\n");
    return true;
  }

  void send_raw(const std::string& bytes) {
    [[maybe_unused]] ssize_t n = ::send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
  }
  void send_text(const std::string& json) {
    send_raw(encode_frame(Opcode::kText, true, json, false, {}));
  }
  void send_ping(const std::string& payload) {
    send_raw(encode_frame(Opcode::kPing, true, payload, false, {}));
  }
  void result(const ClientMessage& m, const std::string& result_json) {
    send_text(R"({"jsonrpc":"2.0","id":)" + m.id() + R"(,"result":)" + result_json + "}");
  }
  void error(const ClientMessage& m, int code, const std::string& data_json = "null") {
    send_text(R"({"jsonrpc":"2.0","id":)" + m.id() + R"(,"error":{"code":)" + std::to_string(code) +
              R"(,"message":"x","data":)" + data_json + "}}");
  }
  void close_tcp() { fd_.reset(); }

  // The next message or control frame; kEnd on EOF or timeout.
  ClientMessage read(Ms timeout = Ms(2000)) {
    std::string message;
    while (true) {
      std::span<uint8_t> in(reinterpret_cast<uint8_t*>(pending_.data()), pending_.size());
      while (true) {
        ws::FrameEvent ev = reader_.next(in);
        if (ev.kind == ws::FrameEvent::Kind::kIncomplete) break;
        if (ev.kind == ws::FrameEvent::Kind::kError) {
          pending_.clear();
          return {};
        }
        if (ev.kind == ws::FrameEvent::Kind::kPayload)
          message.append(reinterpret_cast<const char*>(ev.payload.data()), ev.payload.size());
        if (ev.kind == ws::FrameEvent::Kind::kFrameEnd && ev.header.fin) {
          pending_.erase(0, pending_.size() - in.size());
          ClientMessage m;
          if (ev.header.opcode == uint8_t(ws::Opcode::kPong)) {
            m.kind = ClientMessage::Kind::kPong;
            m.payload = message;
          } else if (ev.header.opcode == uint8_t(ws::Opcode::kClose)) {
            m.kind = ClientMessage::Kind::kClose;
          } else {
            m.kind = ClientMessage::Kind::kJson;
            m.json = parse_json(message).value;
          }
          return m;
        }
      }
      pending_.clear();
      if (!fill(pending_, timeout)) return {};
    }
  }

 private:
  bool fill(std::string& into, Ms timeout) {
    pollfd p{fd_.get(), POLLIN, 0};
    if (::poll(&p, 1, int(timeout.count())) <= 0) return false;
    char buf[65536];
    const ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
    if (n <= 0) return false;
    into.append(buf, size_t(n));
    return true;
  }

  Fd fd_;
  std::string pending_;
  ws::FrameReader reader_{false, ws::FrameLeniency{}};
};

class ScriptedServer {
 public:
  ScriptedServer() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const int one = 1;
    ::setsockopt(fd_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    ::bind(fd_.get(), reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_.get(), 8);
    socklen_t len = sizeof a;
    ::getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  std::string url() const { return "ws://127.0.0.1:" + std::to_string(port_) + "/rpc"; }

  std::optional<ServerConn> accept(Ms timeout = Ms(3000)) {
    pollfd p{fd_.get(), POLLIN, 0};
    if (::poll(&p, 1, int(timeout.count())) <= 0) return std::nullopt;
    Fd c(::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!c) return std::nullopt;
    return ServerConn(std::move(c));
  }

 private:
  Fd fd_;
  uint16_t port_ = 0;
};

}  // namespace flake::client::testing
