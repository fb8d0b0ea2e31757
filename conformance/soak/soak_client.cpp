// SoakClient: connect, authenticate, resume or subscribe, then calls and notifications until the
// connection ends; the §7.7 delays between attempts; every check a client can make on its own.
#include "conformance/soak/soak_client.hpp"

#include "conformance/client/chunk_assembler.hpp"

#include <algorithm>
#include <limits>
#include <thread>

namespace flake::conform::soak {
namespace {

using std::chrono::milliseconds;

// An entry that continues no run, this soon after the subscriptions were made, belongs to a run
// that began before them (§11.2 emits in many notifications), not to a loss.
constexpr std::int64_t kJoinWindowMs = 2000;
// §7.9a, and its note: the target holds for an outage like §10.8's, where the sidecar is back
// about 1 s after the disconnect.
constexpr double kRecoveryTargetMs = 5000;
constexpr std::int64_t kLikeP6OutageMs = 1500;
// A -32007 this close to the end of the grace period is not held against the sidecar: it notices
// the end of a connection a little before or after the client does.
constexpr std::int64_t kGraceSlackMs = 1000;

bool is_seq_notification(std::string_view method) {
  return method == "logs.update" || method == "metrics.update" || method == "deployments.update";
}

int error_code(const json& v) {
  if (!v.is_object() || !v.contains("error") || !v["error"].is_object()) return 0;
  const json& code = v["error"]["code"];
  return code.is_number_integer() ? code.get<int>() : 0;
}

bool has_result(const json& v) {
  return v.is_object() && v.contains("result");
}

// Errors any call may meet at any time (§3.10): the rate limit (§8.3), an upstream service down
// or the connection cap (-32003), an upstream too slow (-32006). Anything else is a wrong answer.
bool allowed_error(int code) {
  return code == 0 || code == -32002 || code == -32003 || code == -32006;
}

}  // namespace

void SoakClient::find(const char* check, const char* rule, std::string detail) {
  shared_.findings.add({.check = check,
                        .rule = rule,
                        .detail = std::move(detail),
                        .at_s = static_cast<double>(shared_.now_ms()) / 1000.0,
                        .client = setup_.index},
                       shared_.options.verbose);
}

bool SoakClient::sleep_until(std::int64_t ms) {
  while (shared_.now_ms() < ms) {
    if (shared_.stop) return false;
    std::this_thread::sleep_for(milliseconds(std::min<std::int64_t>(50, ms - shared_.now_ms())));
  }
  return !shared_.stop;
}

std::vector<Recovery> SoakClient::recoveries() const {
  std::lock_guard lock(mutex_);
  return recoveries_;
}

void SoakClient::run() {
  int failed_in_row = 0;
  bool wait = false;
  std::int64_t ended_ms = 0;
  while (!shared_.stop) {
    if (wait) {
      // §7.7a: 1, 2, 4, 8, 16 s, each varied by up to ±20 %, from the end of the previous
      // connection or failed attempt. The soak keeps trying at 16 s after five failures (§7.7b's
      // giving up would end the client's part in the run).
      static constexpr std::int64_t kDelays[] = {1000, 2000, 4000, 8000, 16000};
      const std::int64_t base = kDelays[std::min(failed_in_row, 4)];
      std::uniform_real_distribution<double> jitter(0.8, 1.2);
      if (!sleep_until(ended_ms + static_cast<std::int64_t>(base * jitter(rng_)))) break;
    }
    RpcClient rpc(nullptr, setup_.index);
    if (!attach(rpc)) {
      ++counters_.failed_attempts;
      ++failed_in_row;
      ended_ms = shared_.now_ms();
      wait = true;
      continue;
    }
    failed_in_row = 0;
    connected_ = true;
    const End end = serve(rpc);
    connected_ = false;
    if (end == End::kStopped) {
      ended_connected_ = true;
      break;
    }
    if (end == End::kJump || end == End::kClientEnded) {
      // §6.2g: a new connection at once, without the delays of §7.7.
      rpc.ws().close(1000, deadline_in(milliseconds(500)));
      wait = false;
      continue;
    }
    ++counters_.disconnects;
    ++shared_.disconnects;
    disconnected_ms_ = ended_ms = shared_.now_ms();
    wait = true;
  }
  open_runs_ = runs_.open();
}

bool SoakClient::attach(RpcClient& rpc) {
  ConnectOptions o;
  o.host_header = shared_.host_header;
  o.subprotocols = {"flake.v1"};
  o.timeout = milliseconds(5000);
  if (!rpc.connect(setup_.proxy_url, o).upgraded) return false;
  const Incoming auth = rpc.authenticate(shared_.token, client_info(), shared_.options.timeout);
  if (!auth.is_value()) return false;
  if (!has_result(auth.value) || !auth.value["result"].is_object()) {
    if (error_code(auth.value) == -32001) find("auth", "4.6a", "the token was refused");
    return false;
  }
  // Read after the answer: a restart bumps the generation before its new process starts, so this
  // is the generation of the process that answered (or a later one, and then this connection is
  // already gone).
  const int generation = shared_.generation.load();
  const json& result = auth.value["result"];
  const std::string fresh = result.value("sessionId", "");
  if (result.contains("capabilities") && result["capabilities"].is_object()) {
    const json& caps = result["capabilities"];
    if (caps.contains("resumeGraceMs") && caps["resumeGraceMs"].is_number_integer()) {
      grace_ms_ = caps["resumeGraceMs"].get<std::int64_t>();
    }
    msgpack_ = caps.value("msgpack", false) == true;
    batch_ = caps.value("batch", false) == true;
  }
  resumed_here_ = false;
  if (!session_.empty() && has_resume_) {
    if (!resume(rpc, fresh, generation)) return false;
  } else {
    if (!session_.empty()) {
      // A sidecar without session.resume: every connection is a new session, counting from 1.
      ledger_.reset();
      runs_.forget();
    }
    session_ = fresh;
    session_generation_ = generation;
    if (!subscribe(rpc)) return false;
  }
  const Incoming ping = rpc.call("system.ping", json::object(), shared_.options.timeout);
  if (!ping.is_value()) return false;
  if (!has_result(ping.value)) find("calls", "5.4", "system.ping: " + ping.describe());
  last_rx_ms_ = shared_.now_ms();
  note_recovery(shared_.now_ms());
  return true;
}

bool SoakClient::resume(RpcClient& rpc, const std::string& fresh, int generation) {
  const Incoming in =
      rpc.call("session.resume", {{"sessionId", session_}, {"lastSeq", ledger_.last()}},
               shared_.options.timeout);
  if (!in.is_value()) return false;
  ++counters_.resumes;
  // Since the last message of the session's previous connection: at least as long as the session
  // has been detached, so the grace test below can only err on the sidecar's side.
  const std::int64_t quiet = shared_.now_ms() - last_rx_ms_;
  last_rx_ms_ = shared_.now_ms();
  const bool restarted = generation != session_generation_;
  if (has_result(in.value) && in.value["result"].is_object() &&
      in.value["result"].value("resumed", false) == true) {
    if (restarted) {
      find("resume", "7.4c",
           "session.resume succeeded for a session from before a restart of the sidecar");
    }
    resumed_here_ = true;
    return true;  // the replay follows; take() checks it
  }
  const int code = error_code(in.value);
  if (code == -32601) {
    has_resume_ = false;
    find("unavailable", "5.13", "session.resume is not there (-32601): sessions start afresh");
  }
  std::string why;
  bool allowed = false;
  if (code == -32007 && restarted) {
    allowed = true;
    why = "the sidecar restarted (7.4c)";
  } else if (code == -32007 && quiet >= grace_ms_ - kGraceSlackMs) {
    allowed = true;
    why = "the grace period passed (7.4b)";
  } else if (code == -32007) {
    why = "-32007 " + std::to_string(quiet) + " ms after the last message on the session (grace " +
          std::to_string(grace_ms_) + " ms), with no restart in between";
    find("resume", "7.1a", why);
  } else if (code != -32601) {
    why = "session.resume answered " + in.describe();
    find("resume", "7.3a", why);
  }
  if (allowed) {
    ++counters_.sessions_lost;
  } else if (code != -32601) {
    ++counters_.lost;
  }
  ledger_.session_lost(allowed, why);
  runs_.forget();
  session_ = fresh;
  session_generation_ = generation;
  return subscribe(rpc);
}

bool SoakClient::subscribe(RpcClient& rpc) {
  const std::string& service = shared_.options.service;
  subscribed_ms_ = shared_.now_ms();
  if (!has_subscribe_) return true;
  const Incoming logs = rpc.call("logs.subscribe", {{"service", service}, {"level", "debug"}},
                                 shared_.options.timeout);
  if (!logs.is_value()) return false;
  if (!has_result(logs.value)) {
    has_subscribe_ = false;
    find("unavailable", "5.9d",
         "logs.subscribe answered " + logs.describe() + ": notifications cannot be checked");
    return true;
  }
  const Incoming metrics =
      rpc.call("metrics.subscribe", {{"service", service}}, shared_.options.timeout);
  if (!metrics.is_value()) return false;
  if (!has_result(metrics.value)) {
    find("unavailable", "5.10b", "metrics.subscribe answered " + metrics.describe());
  }
  return true;
}

void SoakClient::note_recovery(std::int64_t succeeded_ms) {
  if (disconnected_ms_ < 0) return;
  const std::int64_t reachable =
      std::max({disconnected_ms_, control_.refuse_until_ms.load(), shared_.back_at_ms.load()});
  Recovery r;
  r.outage = static_cast<double>(reachable - disconnected_ms_);
  r.ms = static_cast<double>(std::max<std::int64_t>(0, succeeded_ms - reachable));
  r.judged = reachable - disconnected_ms_ <= kLikeP6OutageMs;
  disconnected_ms_ = -1;
  if (r.judged && r.ms > kRecoveryTargetMs) {
    find("recovery", "7.9a",
         "first successful call " + std::to_string(static_cast<long>(r.ms)) +
             " ms after the sidecar was reachable again (target 5000 ms)");
  }
  std::lock_guard lock(mutex_);
  recoveries_.push_back(r);
}

std::optional<SoakClient::End> SoakClient::take(const json& message) {
  last_rx_ms_ = shared_.now_ms();
  if (!message.is_object() || !message.contains("method") || !message["method"].is_string()) {
    return std::nullopt;
  }
  const std::string method = message["method"].get<std::string>();
  if (!is_seq_notification(method)) return std::nullopt;  // data.chunk outside an export, ...
  const json& params = message.contains("params") ? message["params"] : json();
  if (!params.is_object() || !params.contains("seq") || !params["seq"].is_number_integer()) {
    find("notification", "6.1", method + " without an integer seq");
    return std::nullopt;
  }
  const std::int64_t seq = params["seq"].get<std::int64_t>();
  const std::int64_t before = ledger_.last();
  switch (ledger_.observe(seq)) {
    case Seen::kDuplicate:
      ++counters_.duplicates;
      find("duplicate", "6.2c",
           "seq " + std::to_string(seq) + " arrived again after seq " + std::to_string(before));
      return std::nullopt;
    case Seen::kJump:
      // The sidecar did not send a notification of the session this connection carries: after a
      // resume, a gap between replayed and live (7.3d); otherwise a notification it generated and
      // never sent (11.2d, 6.3). The client resumes (6.2g); whether that fills it is the loss
      // check.
      ++counters_.jumps;
      find("gap", resumed_here_ ? "7.3d" : "11.2d",
           "seq " + std::to_string(seq) + " followed seq " + std::to_string(before) +
               " on one connection" + (resumed_here_ ? " after session.resume" : ""));
      return End::kJump;
    case Seen::kLost: {
      const Loss& loss = ledger_.losses().back();
      counters_.lost += static_cast<std::uint64_t>(loss.count);
      find("loss", "7.2b",
           "seq " + std::to_string(loss.after + 1) + ".." + std::to_string(seq - 1) +
               " were missing live and again in the replay after session.resume");
      break;
    }
    case Seen::kNext:
      break;
  }
  ++counters_.notifications;
  counters_.notification_bytes += message.dump().size();
  if (method != "logs.update" || !params.contains("entries") || !params["entries"].is_array()) {
    return std::nullopt;
  }
  for (const json& entry : params["entries"]) {
    if (!entry.is_object() || entry.value("source", "") != "test.emitLogs" ||
        !entry.contains("n") || !entry["n"].is_number_integer()) {
      continue;
    }
    const std::int64_t n = entry["n"].get<std::int64_t>();
    if (!runs_.observe(n) && shared_.now_ms() - subscribed_ms_ > kJoinWindowMs) {
      find("entries", "11.2c",
           "entry n=" + std::to_string(n) + " (seq " + std::to_string(seq) +
               ") continues no emitted run: an entry before it is missing or it came twice");
    }
  }
  counters_.runs_complete = runs_.complete();
  return std::nullopt;
}

std::optional<SoakClient::End> SoakClient::drain(RpcClient& rpc) {
  auto& queue = rpc.notifications();
  while (!queue.empty()) {
    const json message = std::move(queue.front());
    queue.pop_front();
    if (auto end = take(message)) return end;
  }
  rpc.stray_responses().clear();
  return std::nullopt;
}

std::optional<SoakClient::End> SoakClient::answered(const Incoming& in, const char* what,
                                                    const char* rule) {
  if (!in.is_value()) {
    if (in.kind == Incoming::Kind::Timeout) {
      find("calls", "3.1a",
           std::string(what) + " not answered within " +
               std::to_string(shared_.options.timeout.count()) + " ms");
      return End::kClientEnded;
    }
    ++counters_.transport_failed;
    return End::kDisconnected;
  }
  ++counters_.answered;
  last_rx_ms_ = shared_.now_ms();
  const int code = error_code(in.value);
  if (!allowed_error(code)) find("calls", rule, std::string(what) + " answered " + in.describe());
  return std::nullopt;
}

void SoakClient::dashboard_missing() {
  if (!has_dashboard_) return;
  has_dashboard_ = false;
  find("unavailable", "5.6",
       shared_.options.service + ".getDashboard is not there (-32601): the calls leave it out");
}

std::optional<SoakClient::End> SoakClient::emit(RpcClient& rpc) {
  ++counters_.calls;
  const SoakOptions& o = shared_.options;
  const Incoming in = rpc.call(
      "test.emitLogs",
      {{"service", o.service}, {"count", o.emit_count}, {"perNotification", o.per_notification}},
      o.timeout);
  if (in.is_value() && error_code(in.value) == -32601) {
    has_emit_ = false;
    find("unavailable", "11.2c",
         "test.emitLogs is not there (-32601; is the sidecar in conformance mode?): "
         "no traffic to check");
    return drain(rpc);
  }
  if (in.is_value() && has_result(in.value)) counters_.emitted_entries += o.emit_count;
  if (auto end = answered(in, "test.emitLogs", "11.2c")) return end;
  return drain(rpc);
}

std::optional<SoakClient::End> SoakClient::call_mix(RpcClient& rpc) {
  const std::string& service = shared_.options.service;
  const auto timeout = shared_.options.timeout;
  ++counters_.calls;
  Incoming in;
  const char* what = "system.ping";
  const char* rule = "5.4";
  switch (rng_() % 5) {
    case 0:
      in = rpc.call("system.ping", json::object(), timeout);
      break;
    case 1:
      in = rpc.call("system.ping", json::object(),
                    CallOptions{timeout, msgpack_ ? Encoding::MsgPack : Encoding::Json});
      break;
    case 2:
      what = "a batch of system.ping and getDashboard";
      rule = "3.4";
      if (batch_ && has_dashboard_) {
        in = rpc.batch({make_request("system.ping", json::object(), rpc.next_id()),
                        make_request(service + ".getDashboard", json::object(), rpc.next_id())},
                       timeout);
        if (in.is_value() && (!in.value.is_array() || in.value.size() != 2)) {
          find("calls", rule, std::string(what) + " answered " + in.describe());
        }
        if (in.is_value() && in.value.is_array()) {
          ++counters_.answered;
          last_rx_ms_ = shared_.now_ms();
          for (const json& member : in.value) {
            const int code = error_code(member);
            if (code == -32601) {
              dashboard_missing();
            } else if (!allowed_error(code)) {
              find("calls", rule, std::string(what) + ": a member answered " + member.dump());
            }
          }
          return drain(rpc);
        }
      } else {
        in = rpc.call("system.ping", json::object(), timeout);
      }
      break;
    case 3:
      if (!has_dashboard_) {
        in = rpc.call("system.ping", json::object(), timeout);
        break;
      }
      what = "getDashboard";
      rule = "5.6";
      in = rpc.call(service + ".getDashboard", json::object(),
                    CallOptions{timeout, msgpack_ ? Encoding::MsgPack : Encoding::Json});
      if (in.is_value() && error_code(in.value) == -32601) {
        ++counters_.answered;
        dashboard_missing();
        return drain(rpc);
      }
      break;
    default:
      if (!has_metrics_ || shared_.draining) {
        in = rpc.call("system.ping", json::object(), timeout);
        break;
      }
      what = "test.emitMetrics";
      rule = "11.3a";
      in = rpc.call("test.emitMetrics", {{"count", 3}}, timeout);
      if (in.is_value() && error_code(in.value) == -32601) {
        has_metrics_ = false;
        find("unavailable", "11.3a", "test.emitMetrics is not there (-32601)");
        return drain(rpc);
      }
      break;
  }
  if (auto end = answered(in, what, rule)) return end;
  return drain(rpc);
}

std::optional<SoakClient::End> SoakClient::export_large(RpcClient& rpc) {
  ++counters_.calls;
  const bool use_msgpack = msgpack_ && rng_() % 2 == 0;
  const bool compress = rng_() % 2 == 0;
  const json id = rpc.next_id();
  const json params = {{"service", shared_.options.service},
                       {"timeRange", "15s"},
                       {"format", use_msgpack ? "msgpack" : "json"},
                       {"compress", compress}};
  if (!rpc.send(make_request("logs.getLarge", params, id))) {
    ++counters_.transport_failed;
    return End::kDisconnected;
  }
  ChunkAssembler chunks;
  bool started = false;
  const std::string what = std::string("logs.getLarge (") + (use_msgpack ? "msgpack" : "json") +
                           (compress ? ", compressed)" : ")");
  const Deadline deadline = deadline_in(shared_.options.timeout * 3);
  auto failed = [&](const ChunkProblem& p) {
    find("export", "6.10", what + ": expected " + p.expected + ", got " + p.actual);
  };
  for (;;) {
    const Incoming in = rpc.receive(deadline);
    if (!in.is_value()) return answered(in, what.c_str(), "6.10");
    const json& v = in.value;
    if (is_response(v) && v.is_object() && v.contains("id") && v["id"] == id) {
      ++counters_.answered;
      if (error_code(v) == -32601) {
        has_large_ = false;
        find("unavailable", "5.12", "logs.getLarge is not there (-32601)");
        return std::nullopt;
      }
      if (!has_result(v)) {
        find("export", "5.12", what + " answered " + in.describe());
        return std::nullopt;
      }
      if (auto problem = chunks.start(v["result"])) {
        failed(*problem);
        return std::nullopt;
      }
      started = true;
    } else if (is_notification(v) && v.value("method", "") == "data.chunk") {
      if (!started) {
        find("export", "6.7", what + ": a data.chunk before the metadata response");
        return std::nullopt;
      }
      if (auto problem = chunks.add(v.value("params", json()), in.encoding)) {
        failed(*problem);
        return std::nullopt;
      }
    } else if (is_notification(v)) {
      if (auto end = take(v)) return end;
    }
    if (started && static_cast<std::int64_t>(chunks.chunks_added()) >= chunks.announced_chunks()) {
      if (auto problem = chunks.finish()) {
        failed(*problem);
      } else {
        ++counters_.exports;
      }
      return std::nullopt;
    }
  }
}

std::optional<SoakClient::End> SoakClient::drop(RpcClient& rpc) {
  // §11.4: the sidecar closes the TCP connection without a close frame and without an answer.
  const json id = rpc.next_id();
  if (!rpc.send(make_request("test.dropSession", nullptr, id))) return End::kDisconnected;
  const Deadline deadline = deadline_in(shared_.options.timeout);
  for (;;) {
    const Incoming in = rpc.receive(deadline);
    if (!in.is_value()) {
      if (in.kind == Incoming::Kind::Timeout) {
        find("drop", "11.4a", "test.dropSession: the connection stayed open");
        return End::kClientEnded;
      }
      return End::kDisconnected;
    }
    if (is_response(in.value) && in.value.contains("id") && in.value["id"] == id) {
      if (error_code(in.value) == -32601) {
        has_drop_ = false;
        return std::nullopt;
      }
      find("drop", "11.4a", "test.dropSession was answered: " + in.describe());
      return std::nullopt;
    }
    if (auto end = take(in.value)) return end;
  }
}

SoakClient::End SoakClient::serve(RpcClient& rpc) {
  const SoakOptions& o = shared_.options;
  std::exponential_distribution<double> gap(1.0);
  // Poisson-like spacing: the clients do not fall into step with each other.
  auto after = [&](double rate) {
    return shared_.now_ms() + static_cast<std::int64_t>(1000.0 * gap(rng_) / rate);
  };
  constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();
  std::int64_t next_emit = o.emit_rate > 0 ? after(o.emit_rate) : kNever;
  std::int64_t next_call = o.call_rate > 0 ? after(o.call_rate) : kNever;
  std::int64_t next_large = o.large_every_s > 0 ? after(1.0 / o.large_every_s) : kNever;
  if (auto end = drain(rpc)) return *end;  // what came with the resume or the subscriptions
  for (;;) {
    if (shared_.stop) return End::kStopped;
    if (control_.drop.exchange(false) && has_drop_) {
      if (auto end = drop(rpc)) return *end;
      continue;
    }
    const std::int64_t now = shared_.now_ms();
    if (control_.pause_reading_until_ms.load() > now) {
      // A slow reader: nothing is read, so the sidecar's queue for it grows (§8.7).
      std::this_thread::sleep_for(milliseconds(20));
      continue;
    }
    std::optional<End> end;
    const bool draining = shared_.draining;
    if (!draining && has_emit_ && now >= next_emit) {
      next_emit = after(o.emit_rate);
      end = emit(rpc);
    } else if (!draining && now >= next_call) {
      next_call = after(o.call_rate);
      end = call_mix(rpc);
    } else if (!draining && has_large_ && now >= next_large) {
      next_large = after(1.0 / o.large_every_s);
      end = export_large(rpc);
    } else {
      const std::int64_t due =
          draining ? now + 100 : std::min({next_emit, next_call, next_large, now + 100});
      const Incoming in =
          rpc.receive(deadline_in(milliseconds(std::max<std::int64_t>(1, due - now))));
      if (in.is_value()) {
        end = take(in.value);
      } else if (in.kind != Incoming::Kind::Timeout) {
        return End::kDisconnected;
      }
    }
    if (end) return *end;
  }
}

}  // namespace flake::conform::soak
