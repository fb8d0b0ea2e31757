// §7.6 keepalive pings (interval, ping timeout, any pong counts, the session survives) and §8.5
// slow HTTP peers (slowloris heads, 8 KiB heads). Waits follow the spec's 30,000 ms ping bound, so
// against a sidecar with default settings these cases take minutes; a shorter interval makes them
// quick.
#include "conformance/cases/case_util.hpp"
#include "conformance/cases/cases.hpp"

#include <functional>
#include <string_view>
#include <vector>

namespace flake::conform {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kPingBound{30000};
// Timer granularity and a loaded machine: how late a ping or close may be and still count.
constexpr milliseconds kSlack{1500};

// Reads the connection (answering pings or not, as the client is set up) until `pings` pings have
// arrived, the connection ends, or a ping is overdue: each must come within 30,000 ms (+ slack) of
// the previous one or of `opened`. With `until_third_ping`, the watch also ends where a third ping
// would be due, one measured interval after the second: the moment §7.6 says an unanswered
// connection is closed instead.
struct PingWatch {
  std::vector<Clock::time_point> pings;
  Incoming end;          // Close/Eof/Error when the connection ended; Timeout otherwise
  bool overdue = false;  // a ping did not come in time
};

PingWatch watch_pings(CaseContext& ctx, RpcClient& rpc, std::size_t pings, Clock::time_point opened,
                      bool until_third_ping = false, const std::function<void()>& on_ping = {}) {
  PingWatch w;
  std::size_t seen = rpc.ws().pings_received();
  auto due = [&] {
    if (until_third_ping && w.pings.size() >= 2) {
      const auto interval = std::min<Clock::duration>(w.pings[1] - w.pings[0], kPingBound);
      return w.pings.back() + interval + kSlack;
    }
    return (w.pings.empty() ? opened : w.pings.back()) + kPingBound + kSlack;
  };
  while (w.pings.size() < pings) {
    const Deadline limit = std::min(due(), ctx.deadline_after(kPingBound + kSlack));
    if (Clock::now() >= limit) {
      w.overdue = !(until_third_ping && w.pings.size() >= 2);
      return w;
    }
    const Incoming in = rpc.receive(std::min(limit, deadline_in(milliseconds(50))));
    while (rpc.ws().pings_received() > seen) {
      ++seen;
      w.pings.push_back(Clock::now());
      if (on_ping) on_ping();
    }
    if (in.kind == Incoming::Kind::Close || in.kind == Incoming::Kind::Eof ||
        in.kind == Incoming::Kind::Error) {
      w.end = in;
      return w;
    }
  }
  return w;
}

long long ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration_cast<milliseconds>(b - a).count();
}

void require_pings_on_time(const PingWatch& w, Clock::time_point opened) {
  require(!w.overdue, "a ping within 30,000 ms of the upgrade and of each previous ping",
          w.pings.empty() ? "no ping " + std::to_string(ms_between(opened, Clock::now())) +
                                " ms after the upgrade"
                          : "none for " + std::to_string(ms_between(w.pings.back(), Clock::now())) +
                                " ms after ping " + std::to_string(w.pings.size()));
}

Outcome ping_interval(CaseContext& ctx) {
  auto rpc = ctx.connect_authenticated();
  const auto opened = Clock::now();
  const PingWatch w = watch_pings(ctx, *rpc, 2, opened);
  require(w.end.kind == Incoming::Kind::Timeout, "the connection stays open while it answers pings",
          w.end.describe());
  require_pings_on_time(w, opened);
  return pass("pings " + std::to_string(ms_between(w.pings[0], w.pings[1])) + " ms apart");
}

// A connection that reads but never answers pings, until the sidecar ends it or a third ping is
// due.
struct Unanswered {
  std::string session;
  PingWatch watch;
  Clock::time_point opened;
};

Unanswered ignore_pings(CaseContext& ctx) {
  ConnectOptions options = ctx.options();
  options.auto_pong = false;
  auto rpc = ctx.connect(options);
  Unanswered u;
  u.session = ctx.authenticate(*rpc).value("sessionId", "");
  u.opened = Clock::now();
  u.watch = watch_pings(ctx, *rpc, 100, u.opened, true);
  return u;
}

void require_ping_timeout_close(const Unanswered& u) {
  const auto& w = u.watch;
  require_pings_on_time(w, u.opened);
  require(w.end.kind != Incoming::Kind::Timeout,
          "close 1008 where the third ping would be due (two pings left unanswered)",
          "still open one interval after the second unanswered ping");
  require_close(w.end, 1008, "a connection that leaves its pings unanswered");
  require(w.pings.size() >= 2, "the close only after two unanswered pings, not before",
          "closed after " + std::to_string(w.pings.size()) + " ping(s)");
}

Outcome ping_timeout(CaseContext& ctx) {
  const Unanswered u = ignore_pings(ctx);
  require_ping_timeout_close(u);
  return pass("closed 1008 after " + std::to_string(u.watch.pings.size()) + " unanswered pings");
}

Outcome session_kept_after_ping_timeout(CaseContext& ctx) {
  const Unanswered u = ignore_pings(ctx);
  require_ping_timeout_close(u);
  auto rpc = ctx.connect_authenticated();
  const json r =
      ctx.call_result(*rpc, "session.resume", {{"sessionId", u.session}, {"lastSeq", 0}});
  require(r.value("resumed", false) == true, "the session closed for a ping timeout resumes",
          show(r));
  return pass();
}

Outcome any_pong_counts(CaseContext& ctx, std::string_view payload) {
  ConnectOptions options = ctx.options();
  options.auto_pong = false;
  auto rpc = ctx.connect(options);
  ctx.authenticate(*rpc);
  const auto opened = Clock::now();
  // Every ping gets a pong whose payload is not the ping's.
  const PingWatch w = watch_pings(ctx, *rpc, 4, opened, false, [&] {
    rpc->ws().send_raw(encode_client_frame(Opcode::Pong, payload));
  });
  require(w.end.kind == Incoming::Kind::Timeout,
          "the connection stays open while every ping gets a pong with payload \"" +
              std::string(payload) + "\"",
          w.end.describe() + " after " + std::to_string(w.pings.size()) + " pings");
  require_pings_on_time(w, opened);
  return pass();
}

// Trickles a request head that never ends, one byte every 400 ms: the clock runs from the accept,
// not from the last byte.
Outcome slowloris(CaseContext& ctx) {
  TcpSocket s;
  if (!s.connect(ctx.target().url.host, ctx.target().url.port, ctx.deadline())) {
    fail_case("a TCP connection to the sidecar", s.error());
  }
  const auto opened = Clock::now();
  const std::string start = "GET " + ctx.target().url.path +
                            " HTTP/1.1\r\nHost: " + ctx.target().url.authority + "\r\nX-Slow: ";
  if (s.send_all(start, ctx.deadline()) != IoStatus::Ok)
    fail_case("the first bytes sent", s.error());
  const auto bound = milliseconds(5000) + kSlack;
  char buf[512];
  while (Clock::now() - opened < bound + milliseconds(500)) {
    const RecvResult r = s.recv_some(buf, sizeof buf, deadline_in(milliseconds(400)));
    if (r.status == IoStatus::Eof || r.status == IoStatus::Error) {
      const long long after = ms_between(opened, Clock::now());
      require(Clock::now() - opened <= bound, "the connection closed within 5,000 ms of the accept",
              "closed after " + std::to_string(after) + " ms");
      return pass("closed after " + std::to_string(after) + " ms");
    }
    // A response (say 408) is allowed; the close is what counts. Keep trickling otherwise.
    if (r.status == IoStatus::Timeout && s.send_all("a", ctx.deadline()) != IoStatus::Ok) {
      return pass("closed (send failed) after " + std::to_string(ms_between(opened, Clock::now())) +
                  " ms");
    }
  }
  fail_case("the connection closed within 5,000 ms of the accept",
            "still open after " + std::to_string(ms_between(opened, Clock::now())) +
                " ms of a head trickled one byte per 400 ms");
}

Outcome head_of_8_kib(CaseContext& ctx) {
  const Url& url = ctx.target().url;
  std::string head = "GET " + url.path + " HTTP/1.1\r\nHost: " + url.authority +
                     "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                     "X-Pad: ";
  const std::size_t total = 8192;
  const std::size_t tail = 4;  // "\r\n\r\n"
  require(head.size() + tail < total, "a head template shorter than 8 KiB",
          std::to_string(head.size()));
  head.append(total - head.size() - tail, 'p');
  head += "\r\n\r\n";
  TcpSocket s;
  if (!s.connect(url.host, url.port, ctx.deadline()))
    fail_case("a TCP connection to the sidecar", s.error());
  if (s.send_all(head, ctx.deadline()) != IoStatus::Ok)
    fail_case("an 8,192-byte head sent", s.error());
  std::string answer;
  char buf[512];
  while (answer.find("\r\n") == std::string::npos) {
    const RecvResult r = s.recv_some(buf, sizeof buf, ctx.deadline());
    if (r.status != IoStatus::Ok) break;
    answer.append(buf, r.bytes);
  }
  const std::string status_line = answer.substr(0, answer.find("\r\n"));
  require(status_line.rfind("HTTP/1.1 101", 0) == 0,
          "HTTP/1.1 101 for an upgrade request whose head is exactly 8,192 bytes",
          status_line.empty() ? "no answer" : status_line);
  return pass();
}

}  // namespace

void add_keepalive_cases(Catalog& c) {
  c.add({"7.6/1", Tier::Must, Group::Reconnection,
         "The sidecar MUST send a WebSocket ping at most 30,000 ms after the upgrade and then at "
         "most every 30,000 ms.",
         ping_interval, 2 * (kPingBound + kSlack) + milliseconds(5000)});
  c.add({"7.6/2", Tier::Must, Group::Reconnection,
         "When two pings are left unanswered the sidecar MUST close with 1008 instead of the next "
         "ping; not before.",
         ping_timeout, 3 * kPingBound + 2 * kSlack + milliseconds(5000)});
  c.add(
      {"7.6/3", Tier::Must, Group::Reconnection,
       "A pong with any payload MUST count as an answer: one with a payload other than the ping's.",
       [](CaseContext& ctx) { return any_pong_counts(ctx, "any payload"); },
       4 * (kPingBound + kSlack) + milliseconds(5000)});
  c.add({"7.6/5", Tier::Must, Group::Reconnection,
         "A pong with any payload MUST count as an answer: one with an empty payload.",
         [](CaseContext& ctx) { return any_pong_counts(ctx, ""); },
         4 * (kPingBound + kSlack) + milliseconds(5000)});
  c.add({"7.6/4", Tier::Must, Group::Reconnection,
         "The session of a connection closed for a ping timeout MUST be kept for resumption.",
         session_kept_after_ping_timeout, 3 * kPingBound + 2 * kSlack + milliseconds(10000)});
  c.add({"8.5/1", Tier::Must, Group::Security,
         "A connection whose request head is not complete within 5,000 ms of the accept MUST be "
         "closed, even while bytes keep trickling in.",
         slowloris, milliseconds(15000)});
  c.add({"8.5/2", Tier::Must, Group::Security, "A request head of 8 KiB MUST be accepted.",
         head_of_8_kib});
}

}  // namespace flake::conform
