// Plain HTTP/1.1 requests for the REST endpoints (docs §9): one request per connection
// ("Connection: close"), bodies by Content-Length, chunked coding or connection close.
#pragma once

#include "http_handshake.hpp"
#include "socket.hpp"
#include "url.hpp"
#include "wire_log.hpp"

#include <optional>
#include <string>

namespace flake::conform {

struct HttpRequest {
  std::string method = "GET";
  std::string path = "/";
  bool omit_host = false;
  std::optional<std::string> host;  // replaces the URL's authority in Host
  HeaderList headers;
  std::optional<std::string> body;  // sent with Content-Length when present
  bool raw_body = false;  // send `body` as is, without Content-Length (framing cases, §9.1)
};

struct HttpResponse {
  bool complete = false;  // a whole response arrived
  int status = 0;
  HttpResponseHead head;
  std::string body;       // after removing the chunked coding (not decompressed)
  std::string error;
};

HttpResponse http_request(const Url& server, const HttpRequest& request, Deadline deadline,
                          WireLog* log = nullptr, int conn_no = 0);

// Undoes "Transfer-Encoding: chunked"; false on malformed input.
bool decode_chunked(std::string_view wire, std::string& out, bool& complete);

}  // namespace flake::conform
