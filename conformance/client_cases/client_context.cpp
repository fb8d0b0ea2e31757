// ClientCase: peer and driver lifetimes, bounded waits and the merged record.
#include "conformance/client_cases/client_context.hpp"

#include <algorithm>
#include <cstdio>
#include <thread>

namespace flake::conform::client {
namespace {

constexpr std::size_t kRecordHead = 150;
constexpr std::size_t kRecordTail = 250;
constexpr std::size_t kStderrLines = 40;

std::string stamp(Clock::time_point start, Clock::time_point at) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "+%.1fms ", peer::ms_between(start, at));
  return buf;
}

std::string redact(std::string text, const std::string& token) {
  if (token.empty()) return text;
  for (std::size_t at = 0; (at = text.find(token, at)) != std::string::npos;) {
    text.replace(at, token.size(), "<token>");
    at += 7;
  }
  return text;
}

}  // namespace

EnvList suite_environment(const std::string& url, const std::string& token) {
  return {{"FLAKE_URL", url},
          {"FLAKE_TOKEN", token},
          {"FLAKE_SERVICES", std::string(kServiceS) + "," + kServiceT},
          {"FLAKE_BACKOFF_BASE_MS", std::to_string(kBaseMs)},
          {"FLAKE_BREAKER_OPEN_MS", std::to_string(kBreakerOpenMs)},
          {"FLAKE_CALL_TIMEOUT_MS", std::to_string(kCallTimeoutMs)},
          {"FLAKE_CALL_INTERVAL_MS", std::to_string(kCallIntervalMs)}};
}

ClientCase::ClientCase(const ClientSetup& setup, WireLog& log, Deadline deadline)
    : setup_(setup), log_(log), deadline_(deadline), start_(Clock::now()) {}

ClientCase::~ClientCase() {
  finish();
}

void ClientCase::start(peer::PeerScript script) {
  script.token = setup_.token;
  peer_ = std::make_unique<peer::Peer>(std::move(script));
  std::string error;
  if (!peer_->start(error)) {
    throw OutcomeError{fail("the scripted sidecar listening", error)};
  }
  const std::string url = peer_->url();
  const std::string command = expand_command(setup_.command, url, setup_.token);
  driver_ = std::make_unique<DriverProcess>();
  if (!driver_->start(command, suite_environment(url, setup_.token), error)) {
    throw OutcomeError{fail("the driver started", error)};
  }
}

std::vector<peer::PeerEvent> ClientCase::wire() const {
  return peer_ ? peer_->events() : std::vector<peer::PeerEvent>{};
}

std::vector<DriverEvent> ClientCase::events() const {
  return driver_ ? driver_->events() : std::vector<DriverEvent>{};
}

bool ClientCase::wait_until(const std::function<bool()>& done, std::chrono::milliseconds wait) {
  const Deadline until = std::min(deadline_, Clock::now() + wait);
  for (;;) {
    if (done()) return true;
    if (Clock::now() >= until) return false;
    // A driver that has ended sends nothing more: one last look at what it left, then no waiting
    // out the rest of the budget.
    if (driver_ && !driver_->running()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      return done();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void ClientCase::sleep_for(std::chrono::milliseconds wait) {
  std::this_thread::sleep_until(std::min(deadline_, Clock::now() + wait));
}

std::vector<std::string> ClientCase::malformed_lines() const {
  std::vector<std::string> out;
  for (const DriverEvent& e : events()) {
    if (e.parsed.ok()) continue;
    out.push_back("line " + std::to_string(e.line_no) + ": " + e.parsed.error + ": " +
                  WireLog::summarize_text(e.raw, 200));
  }
  return out;
}

void ClientCase::finish() {
  if (finished_) return;
  finished_ = true;
  if (driver_) exit_ = driver_->stop();
  if (peer_) peer_->stop();
  write_record();
  if (peer_ && peer_->log().dropped() > 0) {
    log_.note(std::to_string(peer_->log().dropped()) +
              " further events of the scripted sidecar not kept (record bound reached)");
  }
  if (driver_ && driver_->events_dropped() > 0) {
    log_.note(std::to_string(driver_->events_dropped()) + " further driver lines not kept");
  }
  if (exit_) log_.note("driver ended: " + exit_->describe());
  if (driver_) {
    const std::string err = driver_->stderr_tail();
    if (!err.empty()) {
      std::vector<std::string_view> lines;
      for (std::size_t from = 0; from < err.size();) {
        const std::size_t nl = std::min(err.find('\n', from), err.size());
        lines.push_back(std::string_view(err).substr(from, nl - from));
        from = nl + 1;
      }
      const std::size_t first = lines.size() > kStderrLines ? lines.size() - kStderrLines : 0;
      log_.note("driver standard error" + std::string(first > 0 ? " (its last lines)" : "") + ":");
      for (std::size_t i = first; i < lines.size(); ++i) {
        log_.add_line("  stderr| " + WireLog::summarize_text(lines[i], 300));
      }
    }
  }
}

void ClientCase::write_record() {
  struct Line {
    Clock::time_point at;
    std::string text;
  };
  std::vector<Line> lines;
  if (peer_) {
    for (const peer::PeerEvent& e : peer_->events()) {
      // Masked, unfragmented frames are shown as their messages, pings, pongs and closes.
      if (e.kind == peer::EventKind::FrameIn && e.masked && e.text.starts_with("fin") &&
          e.text.find("rsv1") == std::string::npos) {
        continue;
      }
      std::string text = peer::PeerLog::format(e, start_);
      text = text.substr(text.find(' ') + 1);  // the stamp is added below, on the shared clock
      lines.push_back({e.at, "peer " + text});
    }
  }
  if (driver_) {
    for (const DriverEvent& e : driver_->events()) {
      lines.push_back({e.at, "driver " + std::string(e.parsed.ok() ? "| " : "| MALFORMED (") +
                                 (e.parsed.ok() ? "" : e.parsed.error + ") ") +
                                 WireLog::summarize_text(e.raw, 300)});
    }
  }
  std::stable_sort(lines.begin(), lines.end(),
                   [](const Line& a, const Line& b) { return a.at < b.at; });
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines.size() > kRecordHead + kRecordTail && i == kRecordHead) {
      log_.add_line("... " + std::to_string(lines.size() - kRecordHead - kRecordTail) +
                    " lines left out ...");
      i = lines.size() - kRecordTail;
    }
    log_.add_line(stamp(start_, lines[i].at) + lines[i].text);
  }
}

std::function<Outcome(CaseContext&)> client_run(const ClientSetup& setup, ClientRun run) {
  return [&setup, run = std::move(run)](CaseContext& ctx) {
    ClientCase cc(setup, ctx.log(), Clock::now() + ctx.time_left());
    Outcome outcome;
    try {
      outcome = run(cc);
    } catch (const OutcomeError& e) {
      outcome = e.outcome;
    }
    cc.finish();
    const std::vector<std::string> malformed = cc.malformed_lines();
    if (!malformed.empty() && outcome.status == Status::Pass) {
      outcome =
          fail("every output line of the driver an event line of §13.4",
               malformed.front() + (malformed.size() > 1
                                        ? " (and " + std::to_string(malformed.size() - 1) + " more)"
                                        : ""));
    }
    // A driver that ended by itself explains most failures: say so where the reader looks first.
    if (outcome.status == Status::Fail && cc.driver_exit() && cc.driver_exit()->by_itself) {
      outcome.actual += " (the driver had ended: " + cc.driver_exit()->describe() + ")";
    }
    // Reports are CI artifacts: a case quoting what the client sent must not leak the token.
    for (std::string* text :
         {&outcome.expected, &outcome.actual, &outcome.reason, &outcome.detail}) {
      *text = redact(std::move(*text), setup.token);
    }
    return outcome;
  };
}

}  // namespace flake::conform::client
