// Helpers shared by the REST and SSE case files (cases_rest_*.cpp, cases_sse_*.cpp): one-shot
// requests, Bearer and ticket credentials, and the status/error-body checks of §9.2-9.3.
#pragma once

#include "conformance/cases/case_util.hpp"
#include "conformance/client/http_client.hpp"
#include "conformance/client/sse_client.hpp"

#include <charconv>
#include <memory>
#include <string>
#include <string_view>

namespace flake::conform::rest {

inline HttpResponse send(CaseContext& ctx, const HttpRequest& request) {
  return http_request(ctx.target().url, request, ctx.deadline(), &ctx.log(),
                      ctx.next_connection_number());
}

inline HttpRequest get(std::string path) {
  HttpRequest r;
  r.path = std::move(path);
  return r;
}

inline HttpRequest post_json(std::string path, std::string body) {
  HttpRequest r;
  r.method = "POST";
  r.path = std::move(path);
  r.headers = {{"Content-Type", "application/json"}};
  r.body = std::move(body);
  return r;
}

inline HttpRequest with_bearer(CaseContext& ctx, HttpRequest r) {
  r.headers.emplace_back("Authorization", "Bearer " + ctx.target().token);
  return r;
}

inline std::string status_text(const HttpResponse& r) {
  return r.complete
             ? "HTTP " + std::to_string(r.status) + " " + WireLog::summarize_text(r.body, 160)
             : r.error;
}

inline void require_status(const HttpResponse& r, int status, std::string_view what) {
  require(r.complete && r.status == status, std::string(what) + ": HTTP " + std::to_string(status),
          status_text(r));
}

inline json json_body(const HttpResponse& r, std::string_view what) {
  const json body = json::parse(r.body, nullptr, false);
  require(!body.is_discarded(), std::string(what) + ": a JSON body",
          WireLog::summarize_text(r.body, 200));
  return body;
}

// §9.3: status plus {"error":{"code":<code>,"message":<string>,...}}.
inline json require_error_body(const HttpResponse& r, int status, int code, std::string_view what) {
  require_status(r, status, what);
  const json body = json_body(r, what);
  require(has_object(body, "error") && body["error"].value("code", 0) == code &&
              has_string(body["error"], "message"),
          std::string(what) + ": body {\"error\":{\"code\":" + std::to_string(code) +
              ",\"message\":...}}",
          WireLog::summarize_text(r.body, 200));
  return body;
}

// The cheapest probe for "does this sidecar serve REST at all".
inline void require_rest(CaseContext& ctx) {
  const HttpResponse r = send(ctx, get("/api/v1/health"));
  require(r.complete, "an HTTP answer to GET /api/v1/health", r.error);
  if (r.status == 404) unimplemented_case("GET /api/v1/health answers 404: no REST endpoints");
}

// A fresh ticket from POST /api/v1/auth/ticket (§9.11); 404 means no REST endpoints.
inline std::string issue_ticket(CaseContext& ctx) {
  const HttpResponse t = send(ctx, with_bearer(ctx, post_json("/api/v1/auth/ticket", "{}")));
  if (t.complete && t.status == 404) unimplemented_case("POST /api/v1/auth/ticket answers 404");
  require_status(t, 200, "POST /api/v1/auth/ticket");
  const json body = json_body(t, "ticket answer");
  require(has_string(body, "ticket"), "{\"ticket\":<string>,...}", show(body));
  return body["ticket"].get<std::string>();
}

// Opens an SSE stream and checks the status (and, for 200, the §9.12 head).
inline std::unique_ptr<SseStream> open_sse(CaseContext& ctx, const HttpRequest& request,
                                           int expect_status, HttpResponse* answer = nullptr) {
  auto stream = std::make_unique<SseStream>();
  const std::string what = "GET " + request.path;
  const HttpResponse r = stream->open(ctx.target().url, request, ctx.deadline(), &ctx.log(),
                                      ctx.next_connection_number());
  require(r.complete, what + ": an HTTP answer", r.error);
  if (answer != nullptr) *answer = r;
  if (r.status == 404) unimplemented_case(what + " answers 404");
  require(r.status == expect_status, what + ": HTTP " + std::to_string(expect_status),
          status_text(r));
  if (expect_status == 200) {
    require(r.head.header("content-type").value_or("").rfind("text/event-stream", 0) == 0,
            what + ": Content-Type: text/event-stream",
            r.head.header("content-type").value_or("none"));
    require(header_has_token(r.head.combined("cache-control").value_or(""), "no-cache"),
            what + ": Cache-Control: no-cache", r.head.combined("cache-control").value_or("none"));
  }
  return stream;
}

}  // namespace flake::conform::rest

namespace flake::conform {

// The first request to an endpoint under test: 404 means the sidecar lacks it.
inline HttpResponse send_to_endpoint(CaseContext& ctx, HttpRequest request) {
  const std::string what = request.method + " " + request.path;
  HttpResponse r = rest::send(ctx, std::move(request));
  if (r.complete && r.status == 404) unimplemented_case(what + " answers 404");
  return r;
}

inline HttpRequest& bearer(CaseContext& ctx, HttpRequest& r) {
  r.headers.emplace_back("Authorization", "Bearer " + ctx.target().token);
  return r;
}

// The SSE log stream the ticket and stream cases read.
inline constexpr const char* kPath = "/api/v1/stream/logs/vercel";

// Opens an SSE stream and requires `expect_status`; with 200 also §9.12's Content-Type and
// Cache-Control. 404 means the sidecar lacks the endpoint.
inline std::unique_ptr<SseStream> open_stream(CaseContext& ctx, HttpRequest request,
                                              int expect_status) {
  auto stream = std::make_unique<SseStream>();
  const std::string what = "GET " + request.path;
  const HttpResponse r = stream->open(ctx.target().url, request, ctx.deadline(), &ctx.log(),
                                      ctx.next_connection_number());
  require(r.complete, what + ": an HTTP answer", r.error);
  if (r.status == 404) unimplemented_case(what + " answers 404");
  require(r.status == expect_status, what + ": HTTP " + std::to_string(expect_status),
          "HTTP " + std::to_string(r.status) + " " + WireLog::summarize_text(r.body, 200));
  if (expect_status == 200) {
    require(r.head.header("content-type").value_or("").rfind("text/event-stream", 0) == 0,
            "Content-Type: text/event-stream", r.head.header("content-type").value_or("none"));
    require(header_has_token(r.head.combined("cache-control").value_or(""), "no-cache"),
            "Cache-Control: no-cache", r.head.combined("cache-control").value_or("none"));
  }
  return stream;
}

inline HttpRequest stream_request(CaseContext& ctx, const std::string& path, bool with_bearer) {
  HttpRequest r;
  r.path = path;
  if (with_bearer) r.headers = {{"Authorization", "Bearer " + ctx.target().token}};
  return r;
}

// One kept-alive HTTP/1.1 connection whose requests are written ahead of their answers (the token
// bucket is per connection, §8.1, so counting tokens takes many requests on one connection).
class HttpPipeline {
 public:
  bool connect(CaseContext& ctx) {
    return socket_.connect(ctx.target().url.host, ctx.target().url.port, ctx.deadline());
  }
  bool send(std::string_view wire, Deadline deadline) {
    return socket_.send_all(wire, deadline) == IoStatus::Ok;
  }
  // The next response: its head and a Content-Length body. A response without Content-Length (a
  // stream) comes back with its head only. Incomplete when the connection ended or time ran out.
  HttpResponse receive(Deadline deadline) {
    HeadRead read = read_response_head(socket_, leftover_, deadline);
    if (read.status != HeadRead::Status::Ok) {
      HttpResponse response;
      response.error = read.status == HeadRead::Status::Timeout ? "no answer in time"
                                                                : "no answer: " + read.error;
      return response;
    }
    return body_after(std::move(read.head), deadline);
  }
  // The next response head alone (the answer to HEAD, or an interim 1xx).
  HeadRead receive_head(Deadline deadline) {
    return read_response_head(socket_, leftover_, deadline);
  }
  // The Content-Length-framed body of a response whose head was read.
  HttpResponse body_after(HttpResponseHead head, Deadline deadline) {
    HttpResponse response;
    response.head = std::move(head);
    response.status = response.head.status;
    const auto cl = response.head.header("content-length");
    std::size_t length = 0;
    if (cl) std::from_chars(cl->data(), cl->data() + cl->size(), length);
    char buf[16384];
    while (leftover_.size() < length) {
      const RecvResult r = socket_.recv_some(buf, sizeof buf, deadline);
      if (r.status != IoStatus::Ok) {
        response.error = "the body ended early";
        return response;
      }
      leftover_.append(buf, r.bytes);
    }
    response.body = leftover_.substr(0, length);
    leftover_.erase(0, length);
    response.complete = true;
    return response;
  }
  // Up to `want` bytes of what follows the last head read: fewer when the connection ends
  // (`ended`) or at the deadline.
  std::string following(std::size_t want, Deadline deadline, bool& ended) {
    ended = false;
    char buf[4096];
    while (leftover_.size() < want) {
      const RecvResult r = socket_.recv_some(buf, sizeof buf, deadline);
      if (r.status == IoStatus::Timeout) break;
      if (r.status != IoStatus::Ok || r.bytes == 0) {
        ended = true;
        break;
      }
      leftover_.append(buf, r.bytes);
    }
    return leftover_.substr(0, want);
  }

 private:
  TcpSocket socket_;
  std::string leftover_;
};

// "GET <path> HTTP/1.1" with Host and, when `bearer`, the token: one request of a pipeline.
inline std::string wire_get(CaseContext& ctx, std::string_view path, bool bearer) {
  std::string r =
      "GET " + std::string(path) + " HTTP/1.1\r\nHost: " + ctx.target().url.authority + "\r\n";
  if (bearer) r += "Authorization: Bearer " + ctx.target().token + "\r\n";
  return r + "\r\n";
}

struct HttpAdmitted {
  std::int64_t admitted = 0;  // answers other than 429
  std::int64_t refused = 0;   // 429 answers
  int last_status = 0;
};

// Writes `request` (wire text) in windows of 100 until an answer is 429 or more than `stop_after`
// were admitted; every answer written for is read.
inline HttpAdmitted pipeline_until_429(CaseContext& ctx, HttpPipeline& pipe,
                                       const std::string& request, std::int64_t stop_after) {
  HttpAdmitted a;
  std::string window;
  for (int i = 0; i < 100; ++i) window += request;
  while (a.refused == 0 && a.admitted <= stop_after) {
    require(pipe.send(window, ctx.deadline()), "the kept-alive connection takes pipelined requests",
            "send failed after " + std::to_string(a.admitted + a.refused) + " answers");
    for (int i = 0; i < 100; ++i) {
      const HttpResponse r = pipe.receive(ctx.deadline());
      require(r.complete, "an answer to every pipelined request (the connection stays open)",
              r.error + " after " + std::to_string(a.admitted + a.refused) + " answers");
      a.last_status = r.status;
      if (r.status == 429) {
        ++a.refused;
      } else {
        ++a.admitted;
      }
    }
  }
  return a;
}

}  // namespace flake::conform
