// Minimal HTTP/1.1 client: enough framing to read any sidecar answer, nothing more.
#include "conformance/client/http_client.hpp"

#include <charconv>

namespace flake::conform {

bool decode_chunked(std::string_view wire, std::string& out, bool& complete) {
  out.clear();
  complete = false;
  std::size_t pos = 0;
  for (;;) {
    const std::size_t eol = wire.find("\r\n", pos);
    if (eol == std::string_view::npos) return true;  // need more
    std::string_view size_text = wire.substr(pos, eol - pos);
    size_text = size_text.substr(0, size_text.find(';'));  // chunk extensions
    std::size_t size = 0;
    const auto [end, ec] =
        std::from_chars(size_text.data(), size_text.data() + size_text.size(), size, 16);
    if (ec != std::errc() || end != size_text.data() + size_text.size()) return false;
    pos = eol + 2;
    if (size == 0) {
      // Trailer section ends with an empty line.
      complete = wire.find("\r\n", pos) != std::string_view::npos;
      return true;
    }
    if (wire.size() < pos + size + 2) return true;
    out.append(wire.substr(pos, size));
    if (wire.substr(pos + size, 2) != "\r\n") return false;
    pos += size + 2;
  }
}

HeadRead read_response_head(TcpSocket& socket, std::string& buffered, Deadline deadline) {
  HeadRead read;
  ResponseHeadParser parser;
  char buf[16384];
  for (;;) {
    std::string input;
    input.swap(buffered);
    if (input.empty()) {
      const RecvResult r = socket.recv_some(buf, sizeof buf, deadline);
      if (r.status != IoStatus::Ok) {
        read.status =
            r.status == IoStatus::Timeout ? HeadRead::Status::Timeout : HeadRead::Status::Closed;
        read.error = r.error;
        return read;
      }
      input.assign(buf, r.bytes);
    }
    const auto parsed = parser.feed(input);
    if (parsed.status == ResponseHeadParser::Status::Error) {
      read.status = HeadRead::Status::Invalid;
      read.error = parser.error();
      return read;
    }
    if (parsed.status == ResponseHeadParser::Status::Done) {
      buffered = input.substr(parsed.consumed);
      read.status = HeadRead::Status::Ok;
      read.head = parser.head();
      return read;
    }
  }
}

std::string head_summary(const HttpResponseHead& head) {
  std::string text = std::to_string(head.status) + " " + head.reason;
  for (const auto& [name, value] : head.headers) text += " | " + name + ": " + value;
  return text;
}

std::string tls_summary(const TlsInfo& info) {
  return "TLS " + info.version_name + ", ALPN " + (info.alpn.empty() ? "none" : info.alpn) + ", " +
         std::to_string(info.peer_chain_der.size()) + " certificate" +
         (info.peer_chain_der.size() == 1 ? "" : "s");
}

HttpResponse http_request(const Url& server, const HttpRequest& request, Deadline deadline,
                          WireLog* log, int conn_no) {
  HttpResponse response;
  auto note = [&](std::string_view dir, std::string_view text) {
    if (log) log->add(conn_no, dir, text);
  };
  TcpSocket socket;
  if (!socket.connect(server.host, server.port, deadline, request.tls)) {
    response.error = socket.error();
    note("..", "connect failed: " + response.error);
    return response;
  }
  if (const TlsInfo* tls = socket.tls_info()) {
    response.tls = *tls;
    note("..", tls_summary(*tls));
  }
  std::string wire = request.method + " " + request.path + " HTTP/1.1\r\n";
  if (!request.omit_host) wire += "Host: " + request.host.value_or(server.authority) + "\r\n";
  for (const auto& [name, value] : request.headers) wire += name + ": " + value + "\r\n";
  if (request.body && !request.raw_body)
    wire += "Content-Length: " + std::to_string(request.body->size()) + "\r\n";
  wire += "Connection: close\r\n\r\n";
  if (request.body) wire += *request.body;
  note("->", "HTTP " + WireLog::summarize_text(wire, 600));
  if (socket.send_all(wire, deadline) != IoStatus::Ok) {
    response.error = "send failed: " + socket.error();
    return response;
  }
  std::string rest;
  HeadRead read = read_response_head(socket, rest, deadline);
  switch (read.status) {
    case HeadRead::Status::Ok:
      break;
    case HeadRead::Status::Timeout:
      response.error = "no complete HTTP response head in time";
      return response;
    case HeadRead::Status::Closed:
      response.error = "connection ended before a complete response head";
      note("<-", response.error);
      return response;
    case HeadRead::Status::Invalid:
      response.error = read.error;
      return response;
  }
  response.head = std::move(read.head);
  response.status = response.head.status;
  note("<-", "HTTP " + WireLog::summarize_text(head_summary(response.head), 600));
  char buf[16384];
  bool eof = false;

  const bool no_body = request.method == "HEAD" || response.status == 204 ||
                       response.status == 304 || response.status < 200;
  const auto coding = response.head.combined("transfer-encoding");
  const bool chunked = coding && header_has_token(*coding, "chunked");
  std::optional<std::size_t> length;
  if (const auto cl = response.head.header("content-length")) {
    std::size_t n = 0;
    const auto [end, ec] = std::from_chars(cl->data(), cl->data() + cl->size(), n);
    if (ec == std::errc() && end == cl->data() + cl->size()) length = n;
  }
  for (;;) {
    if (no_body) {
      response.complete = true;
      break;
    }
    if (chunked) {
      bool done = false;
      if (!decode_chunked(rest, response.body, done)) {
        response.error = "malformed chunked body";
        return response;
      }
      if (done) {
        response.complete = true;
        break;
      }
    } else if (length && rest.size() >= *length) {
      response.body = rest.substr(0, *length);
      response.complete = true;
      break;
    } else if (eof) {
      response.body = rest;
      response.complete = !length.has_value();
      if (!response.complete) response.error = "connection closed before the whole body";
      break;
    }
    if (eof) {
      response.error = "connection closed inside a chunked body";
      break;
    }
    const RecvResult r = socket.recv_some(buf, sizeof buf, deadline);
    if (r.status == IoStatus::Timeout) {
      response.error = "body not complete in time";
      break;
    }
    if (r.status != IoStatus::Ok) {
      eof = true;
      continue;
    }
    rest.append(buf, r.bytes);
  }
  if (!response.body.empty()) note("<-", "HTTP body " + WireLog::summarize_text(response.body));
  return response;
}

}  // namespace flake::conform
