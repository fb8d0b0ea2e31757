// The REST side of the network fuzzer (docs/rest.md, docs/protocol.md §9): request smuggling
// shapes, malformed request lines and heads, chunk-size overflow and huge headers.
#include "conformance/netfuzz/generators.hpp"

#include <array>
#include <cstdio>

namespace flake::conform::netfuzz {
namespace {

using namespace std::string_view_literals;

const std::string kBody = R"({"jsonrpc":"2.0","method":"system.ping","id":1})";
// A second request hidden in a body: a sidecar that frames bodies wrongly answers it too.
const std::string kSmuggled = "GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n";

struct Shape {
  std::string label;
  std::string request_line = "POST /api/v1/rpc HTTP/1.1";
  std::string headers;  // after Host, Authorization and Content-Type, each ending in \r\n
  std::string body;
  std::string eol = "\r\n";
};

std::string chunked(std::string_view body) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", body.size());
  return size + std::string(body) + "\r\n0\r\n\r\n";
}

Shape smuggling(Rng& rng) {
  Shape s;
  const std::string cl = std::to_string(kBody.size());
  switch (below(rng, 14)) {
    case 0:
      s.label = "Content-Length and Transfer-Encoding";
      s.body = chunked(kBody) + kSmuggled;
      s.headers = "Content-Length: " + std::to_string(s.body.size() - kSmuggled.size()) +
                  "\r\nTransfer-Encoding: chunked\r\n";
      break;
    case 1:
      s.label = "Transfer-Encoding and Content-Length";
      s.body = chunked(kBody);
      s.headers = "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n";
      break;
    case 2:
      s.label = "two different Content-Length";
      s.body = kBody + kSmuggled;
      s.headers =
          "Content-Length: " + cl + "\r\nContent-Length: " + std::to_string(s.body.size()) + "\r\n";
      break;
    case 3:
      s.label = "Content-Length list";
      s.body = kBody;
      s.headers = "Content-Length: " + cl + ", " + cl + "\r\n";
      break;
    case 4:
      s.label = "obs-fold";
      s.body = kBody;
      s.headers =
          "Content-Length: " + cl + "\r\nX-Folded: a\r\n  b\r\nTransfer-Encoding:\r\n chunked\r\n";
      break;
    case 5:
      s.label = "bare LF line ends";
      s.eol = "\n";
      s.body = kBody;
      s.headers = "Content-Length: " + cl + "\n";
      break;
    case 6:
      s.label = "chunk size overflow";
      s.headers = "Transfer-Encoding: chunked\r\n";
      s.body = std::string(chance(rng, 50) ? "ffffffffffffffff1" : "10000000000000000") + "\r\n" +
               kBody + "\r\n0\r\n\r\n";
      break;
    case 7:
      s.label = "negative or signed chunk size";
      s.headers = "Transfer-Encoding: chunked\r\n";
      s.body = std::string(chance(rng, 50) ? "-1" : "+2f") + ";ext=" + std::string(5000, 'e') +
               "\r\n" + kBody + "\r\n0\r\n\r\n";
      break;
    case 8: {
      static constexpr std::array<std::string_view, 6> kTe{
          "Transfer-Encoding: chunked, identity",
          "Transfer-Encoding : chunked",
          "Transfer-Encoding: xchunked",
          "Transfer-Encoding:\tchunked",
          "Transfer-Encoding: gzip, chunked",
          "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity"};
      s.label = "odd Transfer-Encoding";
      s.headers = std::string(pick<std::string_view>(rng, kTe)) + "\r\n";
      s.body = chunked(kBody);
      break;
    }
    case 9: {
      static constexpr std::array<std::string_view, 6> kCl{"-1",   "+48", "99999999999999999999999",
                                                           " 48 ", "4 8", "0x30"};
      s.label = "odd Content-Length";
      s.headers = "Content-Length: " + std::string(pick<std::string_view>(rng, kCl)) + "\r\n";
      s.body = kBody;
      break;
    }
    case 10:
      s.label = "huge header";
      s.headers = "X-Big: " + std::string(8000 + below(rng, 120000), 'h') +
                  "\r\nContent-Length: " + cl + "\r\n";
      s.body = kBody;
      break;
    case 11:
      s.label = "many headers";
      for (int i = 0, n = static_cast<int>(100 + below(rng, 3000)); i < n; ++i) {
        s.headers += "X-H" + std::to_string(i) + ": v\r\n";
      }
      s.headers += "Content-Length: " + cl + "\r\n";
      s.body = kBody;
      break;
    case 12: {
      static constexpr std::array<std::string_view, 8> kLines{
          "GET  /api/v1/health  HTTP/1.1",
          "GET /api/v1/health HTTP/1.1 extra",
          "GET /api/v1/health HTTP/9.9",
          "get /api/v1/health HTTP/1.1",
          "GET http://127.0.0.1/api/v1/health HTTP/1.1",
          "GET /api/v1/../rpc HTTP/1.1",
          "GET /api/v1/health\0x HTTP/1.1"sv,
          "GET /api/v1/logs/vercel?timeRange=%ff%00 HTTP/1.1"};
      s.label = "odd request line";
      s.request_line = std::string(pick<std::string_view>(rng, kLines));
      break;
    }
    default:
      s.label = "very long path";
      s.request_line = "GET /api/v1/" + std::string(8000 + below(rng, 100000), 'p') + " HTTP/1.1";
      break;
  }
  return s;
}

}  // namespace

ConnScript gen_http(Rng& rng, const GenContext&) {
  ConnScript conn;
  const Shape s = smuggling(rng);
  conn.label = s.label;
  std::vector<Segment> request{
      bytes(s.request_line + s.eol + "Host: "), authority(),
      bytes(s.eol + "Authorization: Bearer "), token(),
      bytes(s.eol + "Content-Type: application/json" + s.eol + s.headers + s.eol + s.body)};
  if (chance(rng, 30)) {  // pipelined: a plain request behind the odd one
    request.push_back(bytes("GET /api/v1/health HTTP/1.1\r\nHost: "));
    request.push_back(authority());
    request.push_back(bytes("\r\n\r\n"));
  }
  conn.steps.push_back(send(std::move(request)));
  conn.steps.push_back(drain(static_cast<int>(100 + below(rng, 300))));
  conn.steps.push_back(simple(chance(rng, 80) ? StepKind::Close : StepKind::Abort));
  return conn;
}

}  // namespace flake::conform::netfuzz
