// Raw-socket HTTP/1.1 and SSE helpers for the REST and SSE integration tests: a keep-alive
// connection with deadlines, an SSE block reader, gunzip, and a few request shorthands.
#pragma once

#include <zlib.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "conformance/client/socket.hpp"
#include "reference/tests/sidecar_fixture.hpp"

namespace flake::itest {

using namespace std::chrono_literals;
using conform::Deadline;
using conform::deadline_in;

inline const std::string kAuth = std::string("Bearer ") + kToken;

struct Response {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
  json json_body() const { return json::parse(body, nullptr, false); }
};

inline std::string lower(std::string text) {
  for (char& ch : text) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return text;
}

// A keep-alive HTTP/1.1 connection to the sidecar with a deadline on every exchange; after an
// answer with Connection: close the next request opens a new connection.
class Http {
 public:
  explicit Http(const Sidecar& s) : port_(s.url().port) {
    if (!socket_.connect("127.0.0.1", port_, deadline_in(3s))) throw std::runtime_error("connect");
  }

  void send(const std::string& method, const std::string& target,
            std::vector<std::string> headers = {}, const std::string& body = "",
            bool with_length = true) {
    send_bytes(request_text(method, target, headers, body, with_length));
  }

  // Bytes as they stand, e.g. several requests in one write (pipelining).
  void send_bytes(const std::string& text) {
    if (closed_) {  // the last answer said Connection: close (every POST answer does)
      socket_ = conform::TcpSocket();
      buffer_.clear();
      closed_ = false;
      if (!socket_.connect("127.0.0.1", port_, deadline_in(3s)))
        throw std::runtime_error("connect");
    }
    ASSERT_EQ(socket_.send_all(text, deadline_in(3s)), conform::IoStatus::Ok);
  }

  std::string request_text(const std::string& method, const std::string& target,
                           const std::vector<std::string>& headers = {},
                           const std::string& body = "", bool with_length = true) const {
    std::string text =
        method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port_) + "\r\n";
    for (const std::string& h : headers) text += h + "\r\n";
    if (with_length && (method == "POST" || !body.empty()))
      text += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    return text + "\r\n" + body;
  }

  // Status line and headers only (SSE); the rest stays buffered for read_more().
  Response read_head(Deadline deadline = deadline_in(5s)) {
    Response r;
    size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill(deadline)) return r;
    }
    std::string head = buffer_.substr(0, end);
    buffer_.erase(0, end + 4);
    r.status = std::atoi(head.substr(9, 3).c_str());
    size_t pos = head.find("\r\n");
    while (pos != std::string::npos) {
      const size_t next = head.find("\r\n", pos + 2);
      const std::string line =
          head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
      const size_t colon = line.find(':');
      if (colon != std::string::npos) {
        std::string value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.erase(0, 1);
        r.headers[lower(line.substr(0, colon))] = value;
      }
      pos = next;
    }
    return r;
  }

  Response read_response(Deadline deadline = deadline_in(5s)) {
    Response r = read_head(deadline);
    if (lower(r.header("connection")) == "close") closed_ = true;
    if (r.status == 0 || r.status == 204) return r;
    const size_t length =
        std::stoul(r.header("content-length").empty() ? "0" : r.header("content-length"));
    while (buffer_.size() < length && fill(deadline)) {
    }
    r.body = buffer_.substr(0, length);
    buffer_.erase(0, std::min(length, buffer_.size()));
    return r;
  }

  Response request(const std::string& method, const std::string& target,
                   std::vector<std::string> headers = {}, const std::string& body = "") {
    send(method, target, std::move(headers), body);
    return read_response();
  }

  // More body bytes (SSE); false on EOF, error or deadline.
  bool fill(Deadline deadline) {
    char chunk[65536];
    conform::RecvResult r = socket_.recv_some(chunk, sizeof chunk, deadline);
    if (r.status != conform::IoStatus::Ok || r.bytes == 0) return false;
    buffer_.append(chunk, r.bytes);
    return true;
  }
  std::string& buffer() { return buffer_; }
  // What the connection does next when nothing more is expected: Eof once the sidecar closed it.
  conform::IoStatus read_more_status(char& byte, Deadline deadline = deadline_in(2s)) {
    return buffer_.empty() ? socket_.recv_some(&byte, 1, deadline).status : conform::IoStatus::Ok;
  }

 private:
  uint16_t port_;
  conform::TcpSocket socket_;
  std::string buffer_;
  bool closed_ = false;
};

struct Event {
  std::string event, id, data;
  bool comment = false;
};

// The next block of an SSE stream (lines up to an empty line); nullopt at EOF or deadline.
inline std::optional<Event> next_event(Http& http, Deadline deadline) {
  while (true) {
    const size_t end = http.buffer().find("\n\n");
    if (end != std::string::npos) {
      const std::string block = http.buffer().substr(0, end);
      http.buffer().erase(0, end + 2);
      Event e;
      size_t pos = 0;
      while (pos <= block.size()) {
        size_t nl = block.find('\n', pos);
        if (nl == std::string::npos) nl = block.size();
        const std::string line = block.substr(pos, nl - pos);
        if (line.starts_with(":")) e.comment = true;
        if (line.starts_with("event: ")) e.event = line.substr(7);
        if (line.starts_with("id: ")) e.id = line.substr(4);
        if (line.starts_with("data: ")) e.data = line.substr(6);
        if (line.starts_with("retry: ")) e.event = "(retry)";
        pos = nl + 1;
      }
      return e;
    }
    if (!http.fill(deadline)) return std::nullopt;
  }
}

// The next real event, skipping heartbeats.
inline std::optional<Event> next_data_event(Http& http, Deadline deadline) {
  while (auto e = next_event(http, deadline)) {
    if (!e->comment) return e;
  }
  return std::nullopt;
}

inline std::string gunzip(const std::string& data) {
  z_stream z{};
  if (inflateInit2(&z, 15 + 16) != Z_OK) return {};
  std::string out(data.size() * 20 + 1024, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = inflate(&z, Z_FINISH);
  out.resize(z.total_out);
  inflateEnd(&z);
  return rc == Z_STREAM_END ? out : std::string();
}

inline const std::vector<std::string> kJsonPost = {"Authorization: " + kAuth,
                                                   "Content-Type: application/json"};

inline json rpc_over_http(const Sidecar& s, const json& message) {
  Http http(s);
  Response r = http.request("POST", "/api/v1/rpc", kJsonPost, message.dump());
  EXPECT_EQ(r.status, 200) << r.body;
  return r.json_body();
}

inline void expect_error(const Response& r, int status, int code) {
  EXPECT_EQ(r.status, status) << r.body;
  const json body = r.json_body();
  ASSERT_TRUE(body.is_object() && body.contains("error")) << r.body;
  EXPECT_EQ(body["error"]["code"], code) << r.body;
  EXPECT_TRUE(body["error"]["message"].is_string());
  EXPECT_NE(r.header("content-type").find("application/json"), std::string::npos);
}

inline void emit_logs(Sidecar& s, const std::string& service, int count, int per_notification) {
  auto ws = s.client();
  conform::Incoming r = ws->call(
      "test.emitLogs",
      json{{"service", service}, {"count", count}, {"perNotification", per_notification}}, 10s);
  ASSERT_TRUE(r.is_value() && r.value.contains("result")) << r.describe();
}

}  // namespace flake::itest
