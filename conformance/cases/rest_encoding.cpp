// §9.1 request body framing (chunked request bodies) and §9.6 response compression: gzip exactly
// when Accept-Encoding allows it, never on SSE.
#include "conformance/cases/cases.hpp"
#include "conformance/cases/rest_case_util.hpp"
#include "conformance/client/data_codec.hpp"

#include <array>
#include <cstdio>
#include <memory>

namespace flake::conform {
namespace {

using namespace rest;

// A chunked POST /api/v1/rpc ping: a sidecar MAY decode it (then it answers the ping) and MUST
// otherwise refuse it with 400. Taking it as an empty or unparseable body is neither.
Outcome chunked_body(CaseContext& ctx) {
  require_rest(ctx);
  const std::string ping = R"({"jsonrpc":"2.0","id":7,"method":"system.ping"})";
  HttpRequest r = with_bearer(ctx, post_json("/api/v1/rpc", ""));
  r.headers.emplace_back("Transfer-Encoding", "chunked");
  char size[16];
  std::snprintf(size, sizeof size, "%zx", ping.size());
  r.body = std::string(size) + "\r\n" + ping + "\r\n0\r\n\r\n";
  r.raw_body = true;
  const HttpResponse a = send(ctx, r);
  require(a.complete, "an HTTP answer to a chunked POST /api/v1/rpc", a.error);
  if (a.status == 400) {  // §9.2: 400 carries -32700, -32600 or -32602
    const json body = json_body(a, "a refused chunked body");
    const int code = body.is_object() && body.contains("error") && body["error"].is_object()
                         ? body["error"].value("code", 0)
                         : 0;
    require(code == -32700 || code == -32600 || code == -32602,
            "400 with {\"error\":{\"code\":-32700|-32600|-32602,...}}", show(body));
    return pass("chunked request bodies refused with 400");
  }
  require_status(a, 200, "a chunked POST /api/v1/rpc: 200 (decoded) or 400 (refused)");
  const json body = json_body(a, "chunked ping");
  require(body.is_object() && body.value("id", json()) == 7 && body.contains("result"),
          "the ping's result with id 7 (the decoded chunked body), or HTTP 400", show(body));
  return pass("chunked request bodies decoded");
}

HttpRequest multi_dashboard(CaseContext& ctx, std::optional<std::string> accept_encoding) {
  HttpRequest r = with_bearer(ctx, get("/api/v1/multi/dashboard"));
  if (accept_encoding) r.headers.emplace_back("Accept-Encoding", *accept_encoding);
  return r;
}

// The plain multi dashboard: a JSON body well over 1 KiB, the input of both gzip cases.
json plain_dashboard(CaseContext& ctx) {
  const HttpResponse plain = send(ctx, multi_dashboard(ctx, std::nullopt));
  if (plain.complete && plain.status == 404)
    unimplemented_case("GET /api/v1/multi/dashboard answers 404");
  require_status(plain, 200, "GET /api/v1/multi/dashboard without Accept-Encoding");
  require(!plain.head.header("content-encoding").has_value() ||
              plain.head.header("content-encoding") == "identity",
          "no Content-Encoding without Accept-Encoding",
          "Content-Encoding: " + plain.head.header("content-encoding").value_or(""));
  const json doc = json_body(plain, "plain multi dashboard");
  if (plain.body.size() <= 1024)
    skip_case("the multi dashboard is only " + std::to_string(plain.body.size()) + " bytes");
  return doc;
}

Outcome gzip_when_accepted(CaseContext& ctx) {
  require_rest(ctx);
  const json doc = plain_dashboard(ctx);
  for (const char* offer : {"gzip", "br;q=0.9, GZIP;q=0.5", "*"}) {
    const std::string how = std::string("Accept-Encoding: ") + offer;
    const HttpResponse r = send(ctx, multi_dashboard(ctx, offer));
    require_status(r, 200, how);
    require(r.head.header("content-encoding").value_or("") == "gzip",
            how + ": Content-Encoding: gzip",
            "Content-Encoding: " + r.head.header("content-encoding").value_or("none"));
    require(header_has_token(r.head.combined("vary").value_or(""), "Accept-Encoding"),
            how + ": Vary: Accept-Encoding", r.head.combined("vary").value_or("none"));
    const auto inflated = gzip_inflate(r.body, 64u << 20);
    require(inflated.has_value(), how + ": a body that is one complete gzip member",
            WireLog::summarize_text(r.body, 60));
    const json unpacked = json::parse(*inflated, nullptr, false);
    require(unpacked == doc, how + ": a body that decompresses to the same JSON document",
            WireLog::summarize_text(*inflated, 200));
  }
  return pass();
}

Outcome no_gzip_unless_accepted(CaseContext& ctx) {
  require_rest(ctx);
  const json doc = plain_dashboard(ctx);  // checks the request without Accept-Encoding too
  for (const char* offer : {"gzip;q=0", "identity", "br, deflate", "*;q=0"}) {
    const std::string how = std::string("Accept-Encoding: ") + offer;
    const HttpResponse r = send(ctx, multi_dashboard(ctx, offer));
    require_status(r, 200, how);
    const std::string coding = r.head.header("content-encoding").value_or("identity");
    require(coding == "identity", how + ": no Content-Encoding", "Content-Encoding: " + coding);
    require(json::parse(r.body, nullptr, false) == doc, how + ": the plain JSON document",
            WireLog::summarize_text(r.body, 100));
  }
  // §9.6: SSE responses are never compressed (whatever else the stream gets wrong: §9.12).
  HttpRequest sse = with_bearer(ctx, get("/api/v1/stream/metrics"));
  sse.headers.emplace_back("Accept-Encoding", "gzip");
  HttpResponse head;
  auto stream = open_sse(ctx, sse, 200, &head);
  const std::string coding = head.head.header("content-encoding").value_or("identity");
  require(coding == "identity",
          "an SSE stream asked with Accept-Encoding: gzip: no Content-Encoding",
          "Content-Encoding: " + coding);
  stream->next(ctx.deadline_after(std::chrono::milliseconds(1500)));
  const std::string& text = stream->text();
  require(text.size() < 2 || text.compare(0, 2, "\x1f\x8b") != 0,
          "an SSE stream asked with Accept-Encoding: gzip: not gzip-compressed",
          WireLog::summarize_text(text, 60));
  return pass();
}

}  // namespace

void add_rest_encoding_cases(Catalog& c) {
  c.add({"9.1/1", Tier::Must, Group::Rest,
         "A Transfer-Encoding: chunked request body MUST be decoded (MAY) or answered with 400; "
         "it is never taken as an empty body.",
         chunked_body});
  c.add({"9.6/1", Tier::Must, Group::Rest,
         "A body over 1 KiB MUST be gzip-compressed with Content-Encoding: gzip and Vary: "
         "Accept-Encoding when Accept-Encoding allows gzip (listed or *, q > 0).",
         gzip_when_accepted});
  c.add({"9.6/2", Tier::Must, Group::Rest,
         "A body MUST NOT be compressed when Accept-Encoding is absent or does not allow gzip, nor "
         "an SSE response.",
         no_gzip_unless_accepted});
}

}  // namespace flake::conform
