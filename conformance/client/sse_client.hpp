// An EventSource-style reader for the SSE endpoints (docs §9.12-9.14): opens the stream, then
// hands out events (event, id, data, retry) and comment lines one by one, each with a deadline.
#pragma once

#include "conformance/client/http_client.hpp"
#include "conformance/client/sse_parser.hpp"

#include <deque>
#include <optional>
#include <string>
#include <vector>

namespace flake::conform {

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
  std::string raw_;      // body bytes as received
  std::string text_;     // decoded body
  std::size_t fed_ = 0;  // bytes of text_ given to parser_
  SseParser parser_;
  std::deque<SseEvent> pending_;  // parsed blocks not yet handed out
};

}  // namespace flake::conform
