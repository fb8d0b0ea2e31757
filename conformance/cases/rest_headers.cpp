// §9.3 headers that error responses must carry: Allow on 405, WWW-Authenticate on 401, and
// Retry-After (whole seconds, at least 1) on 429 and 503.
#include "conformance/cases/cases.hpp"
#include "conformance/cases/rest_case_util.hpp"

#include <algorithm>
#include <charconv>
#include <thread>
#include <vector>

namespace flake::conform {
namespace {

using namespace rest;

// §9.3: Retry-After in whole seconds, at least 1.
void require_retry_after(const HttpResponse& r, std::string_view what) {
  const std::string value = r.head.header("retry-after").value_or("");
  long long seconds = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  require(!value.empty() && ec == std::errc() && end == value.data() + value.size() && seconds >= 1,
          std::string(what) + ": Retry-After: <whole seconds >= 1>",
          value.empty() ? "no Retry-After" : "Retry-After: " + value);
}

Outcome allow_and_challenge(CaseContext& ctx) {
  require_rest(ctx);
  struct Probe {
    const char* method;
    const char* path;
    const char* allowed;  // must be listed
  };
  for (const Probe& p :
       {Probe{"POST", "/api/v1/health", "GET"}, Probe{"GET", "/api/v1/rpc", "POST"},
        Probe{"POST", "/api/v1/stream/metrics", "GET"},
        Probe{"GET", "/api/v1/auth/ticket", "POST"}}) {
    HttpRequest r = with_bearer(ctx, get(p.path));
    r.method = p.method;
    if (r.method == "POST") {
      r.headers.emplace_back("Content-Type", "application/json");
      r.body = "{}";
    }
    const std::string what = std::string(p.method) + " " + p.path;
    const HttpResponse a = send(ctx, r);
    require_error_body(a, 405, -32600, what);
    const std::string allow = a.head.combined("allow").value_or("");
    require(header_has_token(allow, p.allowed) && !header_has_token(allow, p.method),
            what + ": Allow listing " + p.allowed + " and not " + p.method,
            allow.empty() ? "no Allow header" : "Allow: " + allow);
  }
  const auto challenge = [](const HttpResponse& a, const std::string& what) {
    require_error_body(a, 401, -32001, what);
    const std::string value = a.head.header("www-authenticate").value_or("");
    require(value.size() >= 6 && (value[0] == 'B' || value[0] == 'b') &&
                (value.size() == 6 || value[6] == ' ' || value[6] == ',') &&
                std::equal(value.begin() + 1, value.begin() + 6, "earer"),
            what + ": WWW-Authenticate: Bearer", value.empty() ? "none" : value);
  };
  challenge(
      send(ctx, post_json("/api/v1/rpc", R"({"jsonrpc":"2.0","id":1,"method":"system.ping"})")),
      "POST /api/v1/rpc without Authorization");
  challenge(send(ctx, get("/api/v1/stream/metrics?ticket=not-a-ticket-0123456789")),
            "GET /api/v1/stream/metrics with an unknown ticket");
  return pass();
}

// Not part of the verdict: lets the sidecar notice the closed streams before the next case, which
// would otherwise find the cap still reached.
void wait_for_free_slot(CaseContext& ctx) {
  // A sidecar may notice closed SSE responses only on its next write or tick: give it a second.
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  const auto until = Clock::now() + std::chrono::milliseconds(4000);
  while (Clock::now() < until) {
    SseStream probe;
    const HttpResponse a =
        probe.open(ctx.target().url, with_bearer(ctx, get("/api/v1/stream/deployments")),
                   ctx.deadline(), &ctx.log(), ctx.next_connection_number());
    if (a.complete && a.status == 200) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

Outcome cap_retry_after(CaseContext& ctx) {
  require_rest(ctx);
  // Connections of earlier cases may take a moment to leave the sidecar's books.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  struct Streams {  // closed and waited for on every way out, failures included
    CaseContext& ctx;
    std::vector<std::unique_ptr<SseStream>> list;
    ~Streams() {
      list.clear();
      wait_for_free_slot(ctx);
    }
  } streams{ctx, {}};
  auto& open = streams.list;
  for (int i = 1; i <= 70; ++i) {
    HttpRequest r = with_bearer(ctx, get("/api/v1/stream/deployments"));
    auto stream = std::make_unique<SseStream>();
    const HttpResponse a =
        stream->open(ctx.target().url, r, ctx.deadline(), &ctx.log(), ctx.next_connection_number());
    require(a.complete, "an HTTP answer to SSE request " + std::to_string(i), a.error);
    if (a.status == 404) unimplemented_case("GET /api/v1/stream/deployments answers 404");
    if (a.status == 200) {
      open.push_back(std::move(stream));
      continue;
    }
    const json body = require_error_body(a, 503, -32003, "an SSE request over the connection cap");
    require_retry_after(a, "the 503 for the connection cap");
    const json& data = body["error"].value("data", json());
    require(data.is_object() && data.value("service", "") == "sidecar" &&
                data.contains("retryAfterMs") && data["retryAfterMs"].is_number_integer() &&
                data["retryAfterMs"].get<std::int64_t>() >= 1,
            "data {\"service\":\"sidecar\",\"retryAfterMs\":n}", show(body));
    return pass("refused after " + std::to_string(open.size()) + " open streams");
  }
  fail_case("HTTP 503 once the connection cap (64) is reached", "70 SSE streams opened");
}

// One keep-alive HTTP/1.1 connection: the token bucket is per connection (§8.1), so emptying it
// needs many requests on the same one.
class KeepAlive {
 public:
  bool connect(CaseContext& ctx) {
    return socket_.connect(ctx.target().url.host, ctx.target().url.port, ctx.deadline());
  }
  bool send(std::string_view wire, Deadline deadline) {
    return socket_.send_all(wire, deadline) == IoStatus::Ok;
  }
  // Reads one Content-Length-framed response; incomplete on any problem.
  HttpResponse receive(Deadline deadline) {
    HttpResponse response;
    HeadRead read = read_response_head(socket_, leftover_, deadline);
    if (read.status != HeadRead::Status::Ok) return response;
    response.head = std::move(read.head);
    response.status = response.head.status;
    std::size_t length = 0;
    const std::string cl = response.head.header("content-length").value_or("0");
    std::from_chars(cl.data(), cl.data() + cl.size(), length);
    char buf[16384];
    while (leftover_.size() < length) {
      const RecvResult r = socket_.recv_some(buf, sizeof buf, deadline);
      if (r.status != IoStatus::Ok) return response;
      leftover_.append(buf, r.bytes);
    }
    response.body = leftover_.substr(0, length);
    leftover_.erase(0, length);
    response.complete = true;
    return response;
  }

 private:
  TcpSocket socket_;
  std::string leftover_;
};

// The token bucket is per connection (§8.1), so emptying it takes many requests on one kept-alive
// connection: windows of pipelined GETs (one token each; they answer 400 for the bad timeRange
// while admitted) until one finds the bucket empty and must get 429 with Retry-After. GETs, because
// a sidecar may end the connection after a POST (the reference does, see docs/rest.md).
Outcome rate_limit_retry_after(CaseContext& ctx) {
  require_rest(ctx);
  const std::string host = "Host: " + ctx.target().url.authority + "\r\n";
  const std::string auth = "Authorization: Bearer " + ctx.target().token + "\r\n";
  constexpr int kWindow = 100;
  std::string gets;
  for (int i = 0; i < kWindow; ++i)
    gets += "GET /api/v1/logs/supabase?timeRange=x HTTP/1.1\r\n" + host + auth + "\r\n";
  KeepAlive conn;
  require(conn.connect(ctx), "a TCP connection", "connect failed");
  const auto started = Clock::now();
  int requests = 0;
  std::optional<HttpResponse> limited;
  while (!limited && Clock::now() - started < std::chrono::milliseconds(12000)) {
    require(conn.send(gets, ctx.deadline()), "the kept-alive connection takes pipelined GETs",
            "send failed after " + std::to_string(requests) + " requests");
    for (int i = 0; i < kWindow; ++i) {  // read every answer: the connection stays in step
      HttpResponse g = conn.receive(ctx.deadline());
      ++requests;
      require(g.complete, "an answer to pipelined GET " + std::to_string(requests),
              "no complete response");
      if (g.status == 429 && !limited) limited = std::move(g);
    }
  }
  if (limited) {
    require_error_body(*limited, 429, -32002, "a request that finds the bucket empty");
    require_retry_after(*limited, "the 429");
    return pass("429 after " + std::to_string(requests) + " requests");
  }
  skip_case("no 429 after " + std::to_string(requests) +
            " requests in 12 s: the sidecar answers too slowly to empty its bucket");
}

}  // namespace

void add_rest_header_cases(Catalog& c) {
  c.add({"9.3/1", Tier::Must, Group::Rest,
         "A 405 MUST carry Allow listing the path's methods; a 401 MUST carry WWW-Authenticate: "
         "Bearer (REST, RPC and SSE endpoints).",
         allow_and_challenge});
  c.add({"9.3/2", Tier::Must, Group::Rest,
         "A 503 for the connection cap (SSE request) MUST carry Retry-After in whole seconds >= 1 "
         "and -32003 {\"service\":\"sidecar\",\"retryAfterMs\"}.",
         cap_retry_after, std::chrono::milliseconds(20000)});
  c.add({"9.3/3", Tier::Must, Group::Rest,
         "A 429 MUST carry Retry-After in whole seconds >= 1 and -32002.", rate_limit_retry_after,
         std::chrono::milliseconds(20000)});
}

}  // namespace flake::conform
