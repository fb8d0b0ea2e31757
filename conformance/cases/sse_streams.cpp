// §9.12 the metrics and deployments SSE streams, §9.14 the heartbeat, and §4.11 ticket expiry and
// form. Events come from test.emitMetrics / test.emitLogs (§11.2, §11.3) over a WebSocket.
#include "conformance/cases/cases.hpp"
#include "conformance/cases/rest_case_util.hpp"

#include <algorithm>
#include <set>
#include <thread>

namespace flake::conform {
namespace {

using namespace rest;

HttpRequest bearer_stream(CaseContext& ctx, std::string path) {
  return with_bearer(ctx, get(std::move(path)));
}

// Sorted service names, from the multi dashboard's "services" object (§5.6).
std::vector<std::string> services_of(CaseContext& ctx, RpcClient& rpc) {
  const json multi = ctx.call_result(rpc, "multi.getDashboard", nullptr);
  std::vector<std::string> names;
  if (multi.is_object() && multi.contains("services") && multi["services"].is_object()) {
    for (const auto& [name, value] : multi["services"].items()) names.push_back(name);
  }
  require(!names.empty(), "multi.getDashboard with a \"services\" object", show(multi));
  std::sort(names.begin(), names.end());
  return names;
}

Outcome metrics_and_deployments(CaseContext& ctx) {
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
    require(e->event == "metrics.update" && e->id.has_value(), "event: metrics.update with an id:",
            "event " + e->event + " id " + e->id.value_or("none"));
    const json params = json::parse(e->data, nullptr, false);
    require(
        params.is_object() && params.value("subscription", "") == kMetrics &&
            params.contains("seq") && params["seq"].is_number_integer() &&
            std::to_string(params["seq"].get<std::int64_t>()) == *e->id &&
            params.contains("metrics") && params["metrics"].is_object(),
        "data: {\"subscription\":\"/api/v1/stream/metrics\",\"seq\":<the id>,\"metrics\":{...}}",
        WireLog::summarize_text(e->data, 200));
    const std::int64_t id = params["seq"];
    if (previous)
      require(id == *previous + 1, "event ids + 1", std::to_string(*previous) + " then " + *e->id);
    previous = id;
    const json& m = params["metrics"];
    if (!m.contains("test.n") || !m["test.n"].is_number_integer()) continue;  // live samples
    const std::int64_t n = m["test.n"];
    const std::string service = params.value("service", "");
    require(n >= 0 && n < count && !seen.contains(n), "each sample n in [0, count) once",
            "test.n " + std::to_string(n));
    const std::string& want = services[static_cast<std::size_t>(n) % services.size()];
    require(service == want, "sample " + std::to_string(n) + " of service " + want + " (§11.3)",
            "service \"" + service + "\"");
    seen[n] = service;
  }

  // Deployments: no test method produces them (§11), so only the response head and the first
  // bytes are checked.
  auto deployments = open_sse(ctx, bearer_stream(ctx, "/api/v1/stream/deployments"), 200);
  auto first = deployments->next(ctx.deadline());
  require(first.has_value() && first->retry && deployments->text().rfind("retry:", 0) == 0,
          "the deployments stream starts with a retry: line",
          WireLog::summarize_text(deployments->text(), 100));
  return pass();
}

// True when `text` has a line starting with ':' that begins at or after `from`.
bool comment_line_after(const std::string& text, std::size_t from) {
  if (from == 0 && !text.empty() && text[0] == ':') return true;
  for (std::size_t i = from == 0 ? 0 : from - 1; i + 1 < text.size(); ++i) {
    if ((text[i] == '\n' || text[i] == '\r') && text[i + 1] == ':' && i + 1 >= from) return true;
  }
  return false;
}

// §9.14: a comment line within 15 s of the stream's start while an event is emitted every second
// (a heartbeat timer that restarts on every event never fires).
Outcome heartbeat(CaseContext& ctx) {
  constexpr auto kLimit = std::chrono::milliseconds(15000);
  constexpr auto kSlack = std::chrono::milliseconds(1000);  // scheduling on a loaded machine
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
      const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - opened);
      return pass("comment line after " + std::to_string(ms.count()) + " ms, " +
                  std::to_string(events) + " events meanwhile");
    }
    scanned = stream->text().size();
    require(!stream->ended(), "the SSE stream stays open", "the stream ended");
  }
  fail_case("a comment line (':') within 15,000 ms of the stream's start, with events flowing",
            "none after " + std::to_string((kLimit + kSlack).count()) + " ms (" +
                std::to_string(events) + " events)");
}

Outcome ticket_expiry(CaseContext& ctx) {
  require_rest(ctx);
  const std::string kept = issue_ticket(ctx);
  auto open_with_ticket = open_sse(ctx, get("/api/v1/stream/logs/vercel?ticket=" + kept), 200);
  const std::string stale = issue_ticket(ctx);
  ClockGuard clock(ctx);
  if (!clock.set(31000)) unimplemented_case("test.setClock is not available");
  // §11.5: deadlines the shifted clock has passed take effect within 1,000 ms.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  const HttpResponse refused = send(ctx, get("/api/v1/stream/metrics?ticket=" + stale));
  require_error_body(refused, 401, -32001, "a ticket used 31 s (sidecar clock) after its issue");
  const std::string fresh = issue_ticket(ctx);
  open_sse(ctx, get("/api/v1/stream/metrics?ticket=" + fresh), 200);
  // The stream opened with the first ticket outlives that ticket's expiry.
  auto rpc = ctx.connect_authenticated();
  ctx.call_test_method(*rpc, "test.emitLogs",
                       {{"service", "vercel"}, {"count", 1}, {"perNotification", 1}});
  for (;;) {
    auto e = open_with_ticket->next(ctx.deadline());
    require(e.has_value(),
            "the stream opened with a ticket still delivers events after the ticket's expiry",
            open_with_ticket->ended() ? "the stream ended" : "nothing in time");
    if (e->event == "logs.update") break;
  }
  return pass();
}

Outcome ticket_form(CaseContext& ctx) {
  require_rest(ctx);
  std::set<std::string> tickets;
  for (int i = 0; i < 3; ++i) {
    const std::string t = issue_ticket(ctx);
    const bool charset = !t.empty() && std::all_of(t.begin(), t.end(), [](char ch) {
      return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
             ch == '_' || ch == '-';
    });
    require(charset, "a ticket of characters from [A-Za-z0-9_-]", WireLog::summarize_text(t, 80));
    // 128 bits need at least 22 characters of a 64-letter alphabet.
    require(t.size() >= 22, "a ticket of at least 22 characters (128 random bits)",
            std::to_string(t.size()) + " characters: " + t);
    require(t.find(ctx.target().token) == std::string::npos,
            "a ticket that does not contain the token", "the token appears in the ticket");
    require(tickets.insert(t).second, "a new ticket on every request",
            "ticket " + t + " issued twice");
  }
  return pass();
}

}  // namespace

void add_sse_stream_cases(Catalog& c) {
  c.add({"9.12/2", Tier::Must, Group::Sse,
         "The metrics stream MUST carry metrics.update for every service (id = seq, subscription = "
         "path); the deployments stream answers as an SSE stream with retry: first.",
         metrics_and_deployments});
  c.add({"9.14/1", Tier::Must, Group::Sse,
         "An SSE response MUST get a comment line at most 15,000 ms apart, also while events flow.",
         heartbeat, std::chrono::milliseconds(22000)});
  c.add({"4.11/2", Tier::Must, Group::Sse,
         "A ticket MUST expire 30,000 ms after issue on the sidecar clock (then 401, -32001); a "
         "stream it opened stays open.",
         ticket_expiry, std::chrono::milliseconds(15000)});
  c.add({"4.11/3", Tier::Must, Group::Sse,
         "A ticket MUST be a string from [A-Za-z0-9_-] with at least 128 bits of randomness (>= 22 "
         "characters), new for every request.",
         ticket_form});
}

}  // namespace flake::conform
