// Evidence queries over the peer's record and the driver's events.
#include "conformance/client_cases/observe.hpp"

#include <cstdio>

namespace flake::conform::client {

using peer::EventKind;

std::vector<SeenRequest> requests(const std::vector<peer::PeerEvent>& wire) {
  std::vector<SeenRequest> out;
  auto take = [&](const peer::PeerEvent& e, const json& m, bool in_batch) {
    if (!m.is_object() || !m.contains("method") || !m["method"].is_string() || !m.contains("id")) {
      return;
    }
    out.push_back({e.at, e.conn, m["id"], m["method"].get<std::string>(), m.value("params", json()),
                   in_batch});
  };
  for (const peer::PeerEvent& e : wire) {
    if (e.kind != EventKind::MessageIn || e.message.is_discarded()) continue;
    if (e.message.is_array()) {
      for (const json& m : e.message) take(e, m, true);
    } else {
      take(e, e.message, false);
    }
  }
  return out;
}

bool is_loop_call(const SeenRequest& r) {
  return !r.in_batch && (r.method == std::string(kServiceS) + ".getDashboard" ||
                         r.method == std::string(kServiceT) + ".getDashboard");
}

std::size_t count_loop_calls(const std::vector<peer::PeerEvent>& wire) {
  std::size_t n = 0;
  for (const auto& r : requests(wire)) n += is_loop_call(r) ? 1 : 0;
  return n;
}

std::vector<SeenRequest> service_requests(const std::vector<SeenRequest>& all,
                                          std::string_view service) {
  std::vector<SeenRequest> out;
  const std::string prefix = std::string(service) + ".";
  for (const auto& r : all) {
    if (r.method.starts_with(prefix)) out.push_back(r);
  }
  return out;
}

std::vector<DriverEvent> named(const std::vector<DriverEvent>& events, std::string_view name) {
  std::vector<DriverEvent> out;
  for (const auto& e : events) {
    if (e.is(name)) out.push_back(e);
  }
  return out;
}

std::optional<Clock::time_point> accepted_at(const std::vector<peer::PeerEvent>& wire, int conn) {
  for (const auto& e : wire) {
    if (e.conn == conn && e.kind == EventKind::Accept) return e.at;
  }
  return std::nullopt;
}

std::optional<Clock::time_point> ended_at(const std::vector<peer::PeerEvent>& wire, int conn) {
  for (const auto& e : wire) {
    if (e.conn == conn && (e.kind == EventKind::CloseOut || e.kind == EventKind::End)) return e.at;
  }
  return std::nullopt;
}

std::optional<Clock::time_point> answered_at(const std::vector<peer::PeerEvent>& wire, int conn,
                                             const json& id) {
  for (const auto& e : wire) {
    if (e.conn != conn || e.kind != EventKind::Sent) continue;
    if (e.message.is_object() && e.message.contains("id") && e.message["id"] == id &&
        !e.message.contains("method")) {
      return e.at;
    }
    if (e.message.is_array()) {
      for (const json& m : e.message) {
        if (m.is_object() && m.contains("id") && m["id"] == id) return e.at;
      }
    }
  }
  return std::nullopt;
}

int connection_count(const std::vector<peer::PeerEvent>& wire) {
  int n = 0;
  for (const auto& e : wire) n += e.kind == EventKind::Accept ? 1 : 0;
  return n;
}

std::string session_issued(const std::vector<peer::PeerEvent>& wire, int conn) {
  for (const auto& e : wire) {
    if (e.conn != conn || e.kind != EventKind::Sent || !e.message.is_object()) continue;
    const auto it = e.message.find("result");
    if (it != e.message.end() && it->is_object() && it->contains("sessionId") &&
        (*it)["sessionId"].is_string()) {
      return (*it)["sessionId"];
    }
  }
  return {};
}

double ms(Clock::time_point from, Clock::time_point to) {
  return peer::ms_between(from, to);
}

std::string fmt_ms(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f ms", v);
  return buf;
}

std::string describe_calls(const std::vector<DriverEvent>& calls, std::size_t max) {
  std::string out;
  for (std::size_t i = 0; i < calls.size() && i < max; ++i) {
    const json& e = calls[i].parsed.event;
    if (!out.empty()) out += ", ";
    out += e.value("method", "?") + " " + e.value("outcome", "?");
    if (e.contains("code")) out += " " + e["code"].dump();
  }
  if (calls.size() > max) out += ", ... (" + std::to_string(calls.size()) + " in all)";
  return out.empty() ? "none" : out;
}

std::string describe_events(const std::vector<DriverEvent>& events, std::size_t max) {
  std::string out;
  for (std::size_t i = 0; i < events.size() && i < max; ++i) {
    if (!out.empty()) out += ", ";
    out += events[i].parsed.ok() ? events[i].parsed.event.dump() : "(malformed)";
  }
  if (events.size() > max) out += ", ... (" + std::to_string(events.size()) + " in all)";
  return out.empty() ? "none" : out;
}

std::string describe_requests(const std::vector<SeenRequest>& reqs, Clock::time_point start,
                              std::size_t max) {
  std::string out;
  for (std::size_t i = 0; i < reqs.size() && i < max; ++i) {
    if (!out.empty()) out += ", ";
    out += reqs[i].method + " on #" + std::to_string(reqs[i].conn) + " at " +
           fmt_ms(ms(start, reqs[i].at));
  }
  if (reqs.size() > max) out += ", ... (" + std::to_string(reqs.size()) + " in all)";
  return out.empty() ? "none" : out;
}

bool reach_loop(ClientCase& cc, std::size_t n, std::chrono::milliseconds wait) {
  return cc.wait_until([&] { return count_loop_calls(cc.wire()) >= n; }, wait);
}

void require_loop(ClientCase& cc, std::size_t n) {
  if (reach_loop(cc, n, cc.timeout())) return;
  const auto reqs = requests(cc.wire());
  std::string got = "within " + std::to_string(cc.timeout().count()) +
                    " ms the client sent: " + describe_requests(reqs, cc.started(), 8);
  if (reqs.empty()) got += "; driver events: " + describe_events(cc.events(), 6);
  for (const auto& e : cc.wire()) {
    if (e.kind == peer::EventKind::CloseIn) {
      got +=
          "; the client closed #" + std::to_string(e.conn) + " with code " + std::to_string(e.code);
      break;
    }
  }
  throw OutcomeError{fail(
      "the workload (§13.3) to reach the call loop (" + std::to_string(n) + " loop calls)", got)};
}

void require_exports_verified(ClientCase& cc) {
  const bool done =
      cc.wait_until([&] { return named(cc.events(), "large").size() >= 3; }, cc.timeout());
  const auto large = named(cc.events(), "large");
  std::size_t verified = 0;
  for (const auto& e : large) verified += e.parsed.event["outcome"] == "verified" ? 1 : 0;
  if (!done || verified < 3) {
    throw OutcomeError{
        fail("three verified exports (large events, §13.3 step 5)", describe_events(large))};
  }
}

}  // namespace flake::conform::client
