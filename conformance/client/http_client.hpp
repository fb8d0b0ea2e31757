// Plain HTTP/1.1 requests for the REST endpoints (docs §9): one request per connection
// ("Connection: close"), bodies by Content-Length, chunked coding or connection close.
#pragma once

#include "conformance/client/http_handshake.hpp"
#include "conformance/client/socket.hpp"
#include "conformance/client/url.hpp"
#include "conformance/client/wire_log.hpp"

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
  TlsConnect tls;         // TLS as the target has it, or an override (§14 cases)
};

struct HttpResponse {
  bool complete = false;  // a whole response arrived
  int status = 0;
  HttpResponseHead head;
  std::string body;  // after removing the chunked coding (not decompressed)
  std::string error;
  std::optional<TlsInfo> tls;  // what the handshake negotiated, on a TLS connection
};
// "TLS TLSv1.3, ALPN http/1.1, 2 certificates" for wire logs.
std::string tls_summary(const TlsInfo& info);

// One HTTP response head read from a socket, the loop the REST, SSE and WebSocket clients share.
struct HeadRead {
  enum class Status { Ok, Timeout, Closed, Invalid };
  Status status = Status::Closed;
  HttpResponseHead head;
  std::string error;  // Closed: the socket's error (may be empty); Invalid: the parser's
};
// Reads until the head is complete, starting with the bytes already in `buffered`; on Ok,
// `buffered` holds what followed the head (body bytes or WebSocket frames).
HeadRead read_response_head(TcpSocket& socket, std::string& buffered, Deadline deadline);
// "200 OK | name: value | ..." for wire logs.
std::string head_summary(const HttpResponseHead& head);

HttpResponse http_request(const Url& server, const HttpRequest& request, Deadline deadline,
                          WireLog* log = nullptr, int conn_no = 0);

// Undoes "Transfer-Encoding: chunked"; false on malformed input.
bool decode_chunked(std::string_view wire, std::string& out, bool& complete);

}  // namespace flake::conform
