// §9.12-9.14: SSE responses and events, event ids and replay, heartbeat and lifetime.

#include <algorithm>
#include <set>
#include <thread>
#include "conformance/cases/case_util.hpp"
#include "conformance/cases/cases.hpp"
#include "conformance/cases/rest_case_util.hpp"
#include "conformance/client/sse_client.hpp"

namespace flake::conform {
namespace {

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

using namespace rest;

HttpRequest bearer_stream(CaseContext& ctx, std::string path) {
  return with_bearer(ctx, get(std::move(path)));
}

// Sorted service names, from the multi dashboard's "services" object (§5.6).
std::vector<std::string> services_of(CaseContext& ctx, RpcClient& rpc) {
  const json multi = ctx.call_result(rpc, "multi.getDashboard", nullptr);
  std::vector<std::string> names;
  if (has_object(multi, "services")) {
    for (const auto& [name, value] : multi["services"].items()) names.push_back(name);
  }
  require(!names.empty(), "multi.getDashboard with a \"services\" object", show(multi));
  std::sort(names.begin(), names.end());
  return names;
}

// True when `text` has a line starting with ':' that begins at or after `from`.
bool comment_line_after(const std::string& text, std::size_t from) {
  if (from == 0 && !text.empty() && text[0] == ':') return true;
  for (std::size_t i = from == 0 ? 0 : from - 1; i + 1 < text.size(); ++i) {
    if ((text[i] == '\n' || text[i] == '\r') && text[i + 1] == ':' && i + 1 >= from) return true;
  }
  return false;
}

}  // namespace

void add_s9_sse_cases(Catalog& c) {
  c.add({.id = "9.12/1",
         .tier = Tier::Must,
         .requirement = "An SSE stream answers text/event-stream, starts with retry:, and sends "
                        "event/id/data with seq equal to the id.",
         .rules = {"9.12a", "9.12b", "9.12c", "9.12d", "9.12e", "9.12g", "9.13a"},
         .run = [](CaseContext& ctx) {
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
                     "data: params whose seq equals the event id",
                     WireLog::summarize_text(e.data, 200));
             require(params.value("subscription", "") == kPath &&
                         params.value("service", "") == "vercel",
                     "subscription = the stream path, service vercel",
                     WireLog::summarize_text(e.data, 200));
             const std::int64_t id = params["seq"];
             if (previous)
               require(id == *previous + 1, "event ids + 1",
                       std::to_string(*previous) + " then " + *e.id);
             previous = id;
           }
           return pass();
         }});
  c.add(
      {.id = "9.12/2",
       .tier = Tier::Must,
       .requirement =
           "The metrics stream MUST carry metrics.update for every service (id = seq, subscription "
           "= path); the deployments stream answers as an SSE stream with retry: first.",
       .rules = {"9.12a", "9.12b", "9.12e", "9.12f"},
       .run = [](CaseContext& ctx) {
         constexpr const char* kMetrics = "/api/v1/stream/metrics";
         auto stream = open_sse(ctx, bearer_stream(ctx, kMetrics), 200);
         auto rpc = ctx.connect_authenticated();
         const std::vector<std::string> services = services_of(ctx, *rpc);
         const auto count = static_cast<std::int64_t>(2 * services.size());
         ctx.call_test_method(*rpc, "test.emitMetrics", {{"count", count}});
         std::map<std::int64_t, std::string> seen;  // test.n -> service
         std::optional<std::int64_t> previous;
         while (static_cast<std::int64_t>(seen.size()) < count) {
           auto e = stream->next(ctx.deadline());
           require(e.has_value(),
                   "metrics.update events for every emitted sample (" + std::to_string(count) + ")",
                   std::to_string(seen.size()) + " seen, then " +
                       (stream->ended() ? "the stream ended" : "nothing in time"));
           if (e->comment_only || e->retry) continue;
           require(e->event == "metrics.update" && e->id.has_value(),
                   "event: metrics.update with an id:",
                   "event " + e->event + " id " + e->id.value_or("none"));
           const json params = json::parse(e->data, nullptr, false);
           require(params.is_object() && params.value("subscription", "") == kMetrics &&
                       has_integer(params, "seq") &&
                       std::to_string(params["seq"].get<std::int64_t>()) == *e->id &&
                       has_object(params, "metrics"),
                   "data: {\"subscription\":\"/api/v1/stream/metrics\",\"seq\":<the "
                   "id>,\"metrics\":{...}}",
                   WireLog::summarize_text(e->data, 200));
           const std::int64_t id = params["seq"];
           if (previous)
             require(id == *previous + 1, "event ids + 1",
                     std::to_string(*previous) + " then " + *e->id);
           previous = id;
           const json& m = params["metrics"];
           if (!m.contains("test.n") || !m["test.n"].is_number_integer()) continue;  // live samples
           const std::int64_t n = m["test.n"];
           const std::string service = params.value("service", "");
           require(n >= 0 && n < count && !seen.contains(n), "each sample n in [0, count) once",
                   "test.n " + std::to_string(n));
           const std::string& want = services[static_cast<std::size_t>(n) % services.size()];
           require(service == want,
                   "sample " + std::to_string(n) + " of service " + want + " (§11.3)",
                   "service \"" + service + "\"");
           seen[n] = service;
         }

         // Deployments: no test method produces them (§11), so only the response head and the
         // first bytes are checked.
         auto deployments = open_sse(ctx, bearer_stream(ctx, "/api/v1/stream/deployments"), 200);
         auto first = deployments->next(ctx.deadline());
         require(first.has_value() && first->retry && deployments->text().rfind("retry:", 0) == 0,
                 "the deployments stream starts with a retry: line",
                 WireLog::summarize_text(deployments->text(), 100));
         return pass();
       }});
  c.add(
      {.id = "9.13/1",
       .tier = Tier::Must,
       .requirement =
           "Last-Event-ID MUST replay the events after it, in order, with no gap and no duplicate.",
       .rules = {"9.13c", "9.13d"},
       .run = [](CaseContext& ctx) {
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
       }});
  // A Last-Event-ID the endpoint cannot honour (above the counter, or not a decimal integer) gets a
  // reset event first; an event emitted after the open must come after it.
  c.add(
      {.id = "9.13/2",
       .tier = Tier::Must,
       .requirement =
           "A Last-Event-ID above the counter or not an integer (header or lastEventId query) MUST "
           "get event: reset with id and data {\"latestId\"} = the current counter first.",
       .rules = {"9.13e", "9.13g"},
       .run = [](CaseContext& ctx) {
         const std::pair<std::string, bool> offers[] = {{"99999999999", true},
                                                        {"not-a-number", false}};
         for (const auto& [offer, as_header] : offers) {
           HttpRequest r = stream_request(
               ctx, as_header ? std::string(kPath) : std::string(kPath) + "?lastEventId=" + offer,
               true);
           if (as_header) r.headers.emplace_back("Last-Event-ID", offer);
           const std::string how = as_header ? "Last-Event-ID: " + offer : "?lastEventId=" + offer;
           auto s = open_stream(ctx, r, 200);
           emit(ctx, 1);
           const SseEvent e = next_update(ctx, *s);
           require(e.event == "reset" && e.id.has_value(), how + ": event: reset with an id: first",
                   "event " + e.event + " id " + e.id.value_or("none"));
           const json data = json::parse(e.data, nullptr, false);
           require(has_integer(data, "latestId") &&
                       std::to_string(data["latestId"].get<std::int64_t>()) == *e.id,
                   how + ": data {\"latestId\":<the reset id>}",
                   WireLog::summarize_text(e.data, 200));
         }
         return pass();
       }});

  // §9.13h: "Last-Event-ID:" with an empty value, and "?lastEventId=", are no Last-Event-ID: live
  // events only, no reset.
  c.add({.id = "9.13/3",
         .tier = Tier::Must,
         .requirement = "An empty Last-Event-ID header or lastEventId query value MUST be taken as "
                        "absent: live events, no reset.",
         .rules = {"9.13h"},
         .run = [](CaseContext& ctx) {
           for (const bool as_header : {true, false}) {
             HttpRequest r = stream_request(
                 ctx, as_header ? std::string(kPath) : std::string(kPath) + "?lastEventId=", true);
             if (as_header) r.headers.emplace_back("Last-Event-ID", "");
             const std::string how = as_header ? "an empty Last-Event-ID" : "?lastEventId=";
             auto s = open_stream(ctx, r, 200);
             emit(ctx, 1);
             const SseEvent e = next_update(ctx, *s);
             require(e.event == "logs.update", how + ": a logs.update event first, no reset",
                     "event " + e.event + " id " + e.id.value_or("none"));
           }
           return pass();
         }});
  // §9.13b and f: a second reader that opens without Last-Event-ID starts after what the first
  // reader has already seen, and both get the same id for the same event.
  c.add({.id = "9.13/4",
         .tier = Tier::Must,
         .requirement = "Without Last-Event-ID a stream MUST carry live events only, and an event "
                        "MUST carry the same id for every reader.",
         .rules = {"9.13f", "9.13b"},
         .run = [](CaseContext& ctx) {
           auto first = open_stream(ctx, stream_request(ctx, kPath, true), 200);
           emit(ctx, 2);
           next_update(ctx, *first);
           const SseEvent seen = next_update(ctx, *first);
           const std::int64_t last = std::stoll(seen.id.value_or("0"));
           auto second = open_stream(ctx, stream_request(ctx, kPath, true), 200);
           emit(ctx, 1);
           const SseEvent e = next_update(ctx, *second);
           require(e.event == "logs.update" && e.id.has_value() && std::stoll(*e.id) > last,
                   "the second reader's first event: a live logs.update with an id above " +
                       std::to_string(last) + " (seen by the first reader before it opened)",
                   "event " + e.event + " id " + e.id.value_or("none"));
           for (;;) {
             const SseEvent f = next_update(ctx, *first);
             if (!f.id || std::stoll(*f.id) < std::stoll(*e.id)) continue;
             require(f.id == e.id && f.data == e.data,
                     "the first reader: the same event with the same id " + *e.id,
                     "id " + f.id.value_or("none") + ": " + WireLog::summarize_text(f.data, 120) +
                         " vs " + WireLog::summarize_text(e.data, 120));
             return pass();
           }
         }});
  // §9.14: a comment line within 15 s of the stream's start while an event is emitted every second
  // (a heartbeat timer that restarts on every event never fires).
  c.add({.id = "9.14/1",
         .tier = Tier::Must,
         .requirement = "An SSE response MUST get a comment line at most 15,000 ms apart, also "
                        "while events flow.",
         .rules = {"9.14a", "9.14c"},
         .budget = std::chrono::milliseconds(22000),
         .timing = true,
         .run = [](CaseContext& ctx) {
           constexpr auto kLimit = std::chrono::milliseconds(15000);
           constexpr auto kSlack =
               std::chrono::milliseconds(1000);  // scheduling on a loaded machine
           auto stream = open_sse(ctx, bearer_stream(ctx, "/api/v1/stream/logs/vercel"), 200);
           const auto opened = Clock::now();
           auto rpc = ctx.connect_authenticated();
           std::size_t scanned = 0;
           auto next_emit = opened;
           int events = 0;
           while (Clock::now() - opened <= kLimit + kSlack) {
             if (Clock::now() >= next_emit) {
               ctx.call_test_method(*rpc, "test.emitLogs",
                                    {{"service", "vercel"}, {"count", 1}, {"perNotification", 1}});
               next_emit += std::chrono::milliseconds(1000);
             }
             const auto wait = std::min(next_emit, opened + kLimit + kSlack) - Clock::now();
             if (auto e = stream->next(ctx.deadline_after(
                     std::max(std::chrono::milliseconds(1),
                              std::chrono::duration_cast<std::chrono::milliseconds>(wait)))))
               events += e->comment_only || e->retry ? 0 : 1;
             if (comment_line_after(stream->text(), scanned)) {
               const auto ms =
                   std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - opened);
               return pass("comment line after " + std::to_string(ms.count()) + " ms, " +
                           std::to_string(events) + " events meanwhile");
             }
             scanned = stream->text().size();
             require(!stream->ended(), "the SSE stream stays open", "the stream ended");
           }
           fail_case(
               "a comment line (':') within 15,000 ms of the stream's start, with events flowing",
               "none after " + std::to_string((kLimit + kSlack).count()) + " ms (" +
                   std::to_string(events) + " events)");
         }});

  c.add({.id = "9.14/2",
         .tier = Tier::Must,
         .requirement = "The logs stream of an unknown {service} MUST get 404 and -32004.",
         .rules = {"9.14d"},
         .run = [](CaseContext& ctx) {
           require_rest(ctx);
           SseStream stream;
           const HttpResponse r =
               stream.open(ctx.target().url, bearer_stream(ctx, "/api/v1/stream/logs/nosuch"),
                           ctx.deadline(), &ctx.log(), ctx.next_connection_number());
           const json body = require_error_body(r, 404, -32004, "GET /api/v1/stream/logs/nosuch");
           require(body["error"].value("data", json()).value("resource", "") == "service:nosuch",
                   "data {\"resource\":\"service:nosuch\"}", show(body));
           return pass();
         }});
}

}  // namespace flake::conform
