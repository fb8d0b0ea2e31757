// §9.12-9.13 and §4.11: SSE streams, their event format and shared counter, Last-Event-ID replay,
// and one-time tickets. Events are produced with test.emitLogs over a WebSocket.
#include "conformance/cases/case_util.hpp"
#include "conformance/cases/cases.hpp"
#include "conformance/client/sse_client.hpp"

namespace flake::conform {
namespace {

constexpr const char* kPath = "/api/v1/stream/logs/vercel";

std::unique_ptr<SseStream> open_stream(CaseContext& ctx, HttpRequest request, int expect_status) {
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

HttpRequest stream_request(CaseContext& ctx, const std::string& path, bool with_bearer) {
  HttpRequest r;
  r.path = path;
  if (with_bearer) r.headers = {{"Authorization", "Bearer " + ctx.target().token}};
  return r;
}

// Next logs.update event (heartbeats skipped); the case fails without one.
SseEvent next_update(CaseContext& ctx, SseStream& s) {
  for (;;) {
    auto e = s.next(ctx.deadline());
    require(e.has_value(), "a logs.update event",
            s.ended() ? "the stream ended" : "nothing in time");
    if (e->comment_only || e->event == "message") continue;
    return *e;
  }
}

void emit(CaseContext& ctx, int count) {
  auto rpc = ctx.connect_authenticated();
  ctx.call_test_method(*rpc, "test.emitLogs",
                       {{"service", "vercel"}, {"count", count}, {"perNotification", 1}});
}

Outcome stream_format(CaseContext& ctx) {
  auto s = open_stream(ctx, stream_request(ctx, kPath, true), 200);
  auto first = s->next(ctx.deadline());
  require(first.has_value() && first->retry.has_value() && *first->retry >= 500 &&
              *first->retry <= 30000,
          "the body starts with a retry: line (500..30000) and an empty line",
          WireLog::summarize_text(s->text(), 100));
  require(s->text().rfind("retry:", 0) == 0, "retry: as the first bytes",
          WireLog::summarize_text(s->text(), 100));
  emit(ctx, 3);
  std::optional<std::int64_t> previous;
  for (int i = 0; i < 3; ++i) {
    const SseEvent e = next_update(ctx, *s);
    require(e.event == "logs.update" && e.id.has_value(),
            "event: logs.update with an id:", e.event + " id " + e.id.value_or("none"));
    const json params = json::parse(e.data, nullptr, false);
    require(params.is_object() && params.contains("seq") &&
                std::to_string(params.value("seq", -1)) == *e.id,
            "data: params whose seq equals the event id", WireLog::summarize_text(e.data, 200));
    require(params.value("subscription", "") == kPath && params.value("service", "") == "vercel",
            "subscription = the stream path, service vercel", WireLog::summarize_text(e.data, 200));
    const std::int64_t id = params["seq"];
    if (previous)
      require(id == *previous + 1, "event ids + 1", std::to_string(*previous) + " then " + *e.id);
    previous = id;
  }
  return pass();
}

Outcome replay(CaseContext& ctx) {
  std::int64_t last = 0;
  {
    auto s = open_stream(ctx, stream_request(ctx, kPath, true), 200);
    emit(ctx, 2);
    next_update(ctx, *s);
    last = std::stoll(next_update(ctx, *s).id.value_or("0"));
  }
  emit(ctx, 3);  // while nobody reads the stream
  HttpRequest again = stream_request(ctx, kPath, true);
  again.headers.emplace_back("Last-Event-ID", std::to_string(last));
  auto s = open_stream(ctx, again, 200);
  for (std::int64_t want = last + 1; want <= last + 3; ++want) {
    const SseEvent e = next_update(ctx, *s);
    require(e.id == std::to_string(want),
            "replayed event id " + std::to_string(want) + " (no gap, no duplicate)",
            "event " + e.event + " id " + e.id.value_or("none"));
  }
  return pass();
}

// A Last-Event-ID the endpoint cannot honour (above the counter, or not a decimal integer) gets a
// reset event first; an event emitted after the open must come after it.
Outcome reset(CaseContext& ctx) {
  const std::pair<std::string, bool> offers[] = {{"99999999999", true}, {"not-a-number", false}};
  for (const auto& [offer, as_header] : offers) {
    HttpRequest r = stream_request(
        ctx, as_header ? std::string(kPath) : std::string(kPath) + "?lastEventId=" + offer, true);
    if (as_header) r.headers.emplace_back("Last-Event-ID", offer);
    const std::string how = as_header ? "Last-Event-ID: " + offer : "?lastEventId=" + offer;
    auto s = open_stream(ctx, r, 200);
    emit(ctx, 1);
    const SseEvent e = next_update(ctx, *s);
    require(e.event == "reset" && e.id.has_value(), how + ": event: reset with an id: first",
            "event " + e.event + " id " + e.id.value_or("none"));
    const json data = json::parse(e.data, nullptr, false);
    require(data.is_object() && data.contains("latestId") && data["latestId"].is_number_integer() &&
                std::to_string(data["latestId"].get<std::int64_t>()) == *e.id,
            how + ": data {\"latestId\":<the reset id>}", WireLog::summarize_text(e.data, 200));
  }
  return pass();
}

Outcome tickets(CaseContext& ctx) {
  HttpRequest post;
  post.method = "POST";
  post.path = "/api/v1/auth/ticket";
  post.headers = {{"Authorization", "Bearer " + ctx.target().token},
                  {"Content-Type", "application/json"}};
  post.body = "{}";
  const HttpResponse t = http_request(ctx.target().url, post, ctx.deadline(), &ctx.log(),
                                      ctx.next_connection_number());
  if (t.complete && t.status == 404) unimplemented_case("POST /api/v1/auth/ticket answers 404");
  const json body = json::parse(t.body, nullptr, false);
  require(
      t.status == 200 && body.is_object() && body.contains("ticket") && body["ticket"].is_string(),
      "a ticket", "HTTP " + std::to_string(t.status) + " " + WireLog::summarize_text(t.body, 200));
  const std::string path = std::string(kPath) + "?ticket=" + body["ticket"].get<std::string>();
  { auto s = open_stream(ctx, stream_request(ctx, path, false), 200); }
  auto reused = open_stream(ctx, stream_request(ctx, path, false), 401);
  auto none = open_stream(ctx, stream_request(ctx, kPath, false), 401);
  return pass();
}

}  // namespace

void add_sse_cases(Catalog& c) {
  c.add({"9.12/1", Tier::Must, Group::Sse,
         "An SSE stream answers text/event-stream, starts with retry:, and sends event/id/data "
         "with seq equal to the id.",
         stream_format});
  c.add({"9.13/1", Tier::Must, Group::Sse,
         "Last-Event-ID MUST replay the events after it, in order, with no gap and no duplicate.",
         replay});
  c.add({"9.13/2", Tier::Must, Group::Sse,
         "A Last-Event-ID above the counter or not an integer (header or lastEventId query) MUST "
         "get event: reset with id and data {\"latestId\"} = the current counter first.",
         reset});
  c.add({"4.11/1", Tier::Must, Group::Sse,
         "A ticket authenticates one SSE request only; reuse and a missing credential get 401.",
         tickets});
}

}  // namespace flake::conform
