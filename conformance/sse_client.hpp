// An EventSource-style reader for the SSE endpoints (docs §9.12-9.14): opens the stream, then
// hands out events (event, id, data, retry) and comment lines one by one, each with a deadline.
#pragma once

#include "http_client.hpp"

#include <optional>
#include <string>

namespace flake::conform {

struct SseEvent {
  std::string event;           // "message" when absent
  std::optional<std::string> id;
  std::string data;            // data lines joined with '\n'
  std::optional<long> retry;
  bool comment_only = false;   // a block made only of ':' lines (heartbeat)
};

class SseStream {
 public:
  // Sends the GET and reads the response head. On a non-200 answer the body is read as well.
  HttpResponse open(const Url& server, const HttpRequest& request, Deadline deadline,
                    WireLog* log = nullptr, int conn_no = 0);
  // The next block terminated by an empty line; nullopt on timeout or end of stream.
  std::optional<SseEvent> next(Deadline deadline);
  // The raw body text decoded so far (after the chunked coding), for "first bytes" checks.
  const std::string& text() const { return text_; }
  bool ended() const { return ended_; }

 private:
  bool pump(Deadline deadline);
  bool decode();  // text_ from raw_

  TcpSocket socket_;
  WireLog* log_ = nullptr;
  int conn_no_ = 0;
  bool chunked_ = false;
  bool ended_ = false;
  std::string raw_;    // body bytes as received
  std::string text_;   // decoded body
  std::size_t pos_ = 0;  // parse position in text_
};

}  // namespace flake::conform
