// run_soak: starts the clients behind their proxies, injects faults and restarts on schedule,
// samples the sidecar's RSS and descriptors, then drains, stops and judges.
#include "conformance/soak/soak_run.hpp"

#include "conformance/client/fault_proxy.hpp"
#include "conformance/soak/checks.hpp"
#include "conformance/soak/soak_client.hpp"

#include <dirent.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <thread>
#include <tuple>

namespace flake::conform::soak {
namespace {

using std::chrono::milliseconds;

constexpr std::int64_t kSampleEveryMs = 1000;
constexpr std::int64_t kStallMs = 1500;
constexpr std::int64_t kThrottleMs = 3000;
constexpr std::size_t kThrottleBytesPerSecond = 256 * 1024;
constexpr std::int64_t kRefuseMs = 1000;
constexpr std::int64_t kSlowReaderMs = 2000;
// The end: no new calls, then up to this long for every client to be connected and caught up.
constexpr std::int64_t kDrainMaxMs = 20000;
constexpr std::int64_t kDrainQuietMs = 2000;
// §7.2b and §11.6b: what a sidecar must keep of the soak's own traffic. The RSS criterion allows
// for the part of it a process had not yet filled when the judged window opened (a sidecar may
// keep more; it then needs a longer run, past its own bounds, to look flat).
constexpr double kRingNotifications = 10000;
constexpr double kHistoryEntries = 20000;
constexpr double kRetentionFactor = 2;  // encoded bytes -> memory, generously

int open_descriptors(pid_t pid) {
  DIR* dir = ::opendir(("/proc/" + std::to_string(pid) + "/fd").c_str());
  if (dir == nullptr) return -1;
  int n = 0;
  while (const dirent* e = ::readdir(dir)) {
    if (e->d_name[0] != '.') ++n;
  }
  ::closedir(dir);
  return n;
}

// What the clients had received by the time of one resource sample.
struct TrafficMark {
  std::vector<std::uint64_t> bytes;  // per client: seq notifications, encoded
  std::vector<std::uint64_t> count;
};

struct PendingUndo {
  std::int64_t at_ms;
  int client;
  FaultKind kind;
};

class Soak {
 public:
  Soak(const SoakOptions& options, SoakTarget& target)
      : o_(options), target_(target), shared_(options), rng_(options.seed) {}

  SoakReport run();

 private:
  bool start_clients(std::string& error);
  void inject_fault(std::int64_t now);
  void undo(const PendingUndo& u);
  void restart(bool kill, const char* why);
  void sample(std::int64_t now);
  void progress(std::int64_t now) const;
  void drain();
  SoakReport judge(double seconds);
  double retention_allowance_kib(const ResourceSeries& series) const;

  const SoakOptions& o_;
  SoakTarget& target_;
  SharedState shared_;
  std::mt19937_64 rng_;
  std::vector<std::unique_ptr<FaultProxy>> proxies_;
  std::vector<std::unique_ptr<SoakClient>> clients_;
  std::vector<std::thread> threads_;
  std::vector<PendingUndo> pending_;
  std::map<std::string, std::uint64_t> faults_;
  std::vector<ResourceSeries> series_;
  std::vector<std::pair<double, TrafficMark>> marks_;  // (t, mark) at every sample
  std::string ended_by_ = "duration";
  bool next_restart_kills_ = false;
};

bool Soak::start_clients(std::string& error) {
  shared_.token = target_.token;
  shared_.host_header = target_.url.authority;
  shared_.path = target_.url.path;
  for (int i = 0; i < o_.clients; ++i) {
    auto proxy = FaultProxy::start(target_.url.host, target_.url.port, nullptr, error);
    if (!proxy) return false;
    ClientSetup setup;
    setup.index = i;
    setup.proxy_url = target_.url;
    setup.proxy_url.host = "127.0.0.1";
    setup.proxy_url.port = proxy->port();
    setup.seed = o_.seed * 1000003u + static_cast<std::uint64_t>(i);
    proxies_.push_back(std::move(proxy));
    clients_.push_back(std::make_unique<SoakClient>(shared_, setup));
  }
  for (auto& client : clients_) {
    threads_.emplace_back([c = client.get()] { c->run(); });
  }
  return true;
}

void Soak::inject_fault(std::int64_t now) {
  std::uniform_int_distribution<int> pick_client(0, o_.clients - 1);
  std::uniform_int_distribution<std::size_t> pick_kind(0, o_.faults.size() - 1);
  const int i = pick_client(rng_);
  const FaultKind kind = o_.faults[pick_kind(rng_)];
  FaultProxy& proxy = *proxies_[static_cast<std::size_t>(i)];
  ClientControl& control = clients_[static_cast<std::size_t>(i)]->control();
  ++faults_[to_string(kind)];
  switch (kind) {
    case FaultKind::kCut:
      proxy.cut();
      break;
    case FaultKind::kReset:
      proxy.reset();
      break;
    case FaultKind::kStall:
      proxy.stall(true);
      pending_.push_back({now + kStallMs, i, kind});
      break;
    case FaultKind::kThrottle:
      proxy.throttle(kThrottleBytesPerSecond);
      pending_.push_back({now + kThrottleMs, i, kind});
      break;
    case FaultKind::kRefuse:
      // An outage of the port: the open connection goes, new ones are refused for a second.
      control.refuse_until_ms = now + kRefuseMs;
      proxy.refuse(true);
      proxy.cut();
      pending_.push_back({now + kRefuseMs, i, kind});
      break;
    case FaultKind::kSlowReader:
      control.pause_reading_until_ms = now + kSlowReaderMs;
      break;
    case FaultKind::kDrop:
      control.drop = true;
      break;
  }
}

void Soak::undo(const PendingUndo& u) {
  FaultProxy& proxy = *proxies_[static_cast<std::size_t>(u.client)];
  if (u.kind == FaultKind::kStall) proxy.stall(false);
  if (u.kind == FaultKind::kThrottle) proxy.throttle(0);
  if (u.kind == FaultKind::kRefuse) proxy.refuse(false);
}

void Soak::restart(bool kill, const char* why) {
  SidecarProcess& old = *target_.process;
  if (kill) {
    old.kill();
  } else {
    old.stop();
  }
  // After the old process is gone and before the new one exists: sessions attached from now on
  // belong to the new incarnation (soak_client.cpp reads it after authenticating).
  ++shared_.generation;
  auto next = std::make_unique<SidecarProcess>();
  const StartResult again =
      start_sidecar(*next, *target_.command, target_.token, milliseconds(10000));
  target_.process = std::move(next);
  shared_.back_at_ms = shared_.now_ms();
  series_.push_back(ResourceSeries{.incarnation = shared_.generation.load()});
  if (!again.url) {
    shared_.findings.add(
        {.check = "crash",
         .rule = "1.2",
         .detail = std::string("the sidecar did not come back after ") + why + ": " + again.message,
         .at_s = static_cast<double>(shared_.now_ms()) / 1000.0},
        o_.verbose);
  }
}

void Soak::sample(std::int64_t now) {
  const double t = static_cast<double>(now) / 1000.0;
  TrafficMark mark;
  for (const auto& c : clients_) {
    mark.bytes.push_back(c->counters().notification_bytes.load());
    mark.count.push_back(c->counters().notifications.load());
  }
  marks_.emplace_back(t, std::move(mark));
  if (!target_.process || series_.empty()) return;
  const pid_t pid = target_.process->pid();
  const long rss = process_rss_kib(pid);
  const int fds = open_descriptors(pid);
  if (rss <= 0 || fds < 0) return;
  series_.back().rss_kib.push_back({t, static_cast<double>(rss)});
  series_.back().fds.push_back({t, static_cast<double>(fds)});
}

void Soak::progress(std::int64_t now) const {
  std::uint64_t delivered = 0, lost = 0, duplicated = 0;
  for (const auto& c : clients_) {
    delivered += c->counters().notifications;
    lost += c->counters().lost;
    duplicated += c->counters().duplicates;
  }
  std::string resources;
  if (!series_.empty() && !series_.back().rss_kib.empty()) {
    resources =
        ", RSS " + std::to_string(static_cast<long>(series_.back().rss_kib.back().value / 1024)) +
        " MiB, descriptors " + std::to_string(static_cast<long>(series_.back().fds.back().value));
  }
  std::printf(
      "[%5lld s] disconnects %llu, restarts %d, notifications %llu, lost %llu, duplicated "
      "%llu, findings %llu%s\n",
      static_cast<long long>(now / 1000),
      static_cast<unsigned long long>(shared_.disconnects.load()), shared_.generation.load(),
      static_cast<unsigned long long>(delivered), static_cast<unsigned long long>(lost),
      static_cast<unsigned long long>(duplicated),
      static_cast<unsigned long long>(shared_.findings.total()), resources.c_str());
  std::fflush(stdout);
}

void Soak::drain() {
  shared_.draining = true;
  for (const PendingUndo& u : pending_) undo(u);
  pending_.clear();
  for (auto& c : clients_) c->control().pause_reading_until_ms = 0;
  // Let every client reconnect and catch up, then a quiet spell for what is still on the way.
  const std::int64_t give_up = shared_.now_ms() + kDrainMaxMs;
  while (shared_.now_ms() < give_up) {
    bool all = true;
    for (const auto& c : clients_) all = all && c->connected();
    if (all) break;
    std::this_thread::sleep_for(milliseconds(50));
  }
  std::this_thread::sleep_for(milliseconds(kDrainQuietMs));
  shared_.stop = true;
  for (auto& t : threads_) t.join();
}

SoakReport Soak::run() {
  std::string error;
  if (target_.process) series_.push_back(ResourceSeries{.incarnation = 0});
  if (!start_clients(error)) {
    SoakReport r;
    r.ended_by = "could not start a fault proxy: " + error;
    r.passed = false;
    return r;
  }
  std::exponential_distribution<double> gap(1.0);
  auto after = [&](std::int64_t now, double rate) {
    return now + static_cast<std::int64_t>(1000.0 * gap(rng_) / rate);
  };
  const std::int64_t end_ms = static_cast<std::int64_t>(o_.duration.count()) * 1000;
  std::int64_t next_fault =
      o_.fault_rate > 0 ? after(0, o_.fault_rate) : std::numeric_limits<std::int64_t>::max();
  const auto restart_ms = static_cast<std::int64_t>(o_.restart_every_s * 1000);
  std::int64_t next_restart = o_.restarts() ? restart_ms : std::numeric_limits<std::int64_t>::max();
  std::int64_t next_sample = 0;
  // A line now and then, so that a long run shows it is alive and how it goes.
  const std::int64_t progress_every = std::max<std::int64_t>(10000, end_ms / 20);
  std::int64_t next_progress = progress_every;
  for (;;) {
    const std::int64_t now = shared_.now_ms();
    if (now >= end_ms) break;
    if (o_.disconnects > 0 && shared_.disconnects >= o_.disconnects) {
      ended_by_ = "disconnects";
      break;
    }
    if (now >= next_sample) {
      sample(now);
      next_sample = now + kSampleEveryMs;
      if (target_.process && !target_.process->running()) {
        const auto exit = target_.process->exit_info();
        shared_.findings.add(
            {.check = "crash",
             .rule = "10.10",
             .detail =
                 "the sidecar ended by itself (" +
                 (exit && exit->exited ? "exit status " + std::to_string(exit->code)
                                       : "signal " + std::to_string(exit ? exit->signal : 0)) +
                 "); its output:\n" + target_.process->output_tail(),
             .at_s = static_cast<double>(now) / 1000.0},
            o_.verbose);
        if (!target_.command) {
          ended_by_ = "crash";
          break;
        }
        restart(false, "a crash");
        ++faults_["restart after a crash"];
      }
    }
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (it->at_ms <= now) {
        undo(*it);
        it = pending_.erase(it);
      } else {
        ++it;
      }
    }
    if (now >= next_progress) {
      progress(now);
      next_progress = now + progress_every;
    }
    if (now >= next_fault) {
      inject_fault(now);
      next_fault = after(now, o_.fault_rate);
    }
    if (now >= next_restart) {
      const bool kill = next_restart_kills_;
      next_restart_kills_ = !next_restart_kills_;
      ++faults_[kill ? "restart (SIGKILL)" : "restart (SIGTERM)"];
      restart(kill, kill ? "SIGKILL" : "SIGTERM");
      next_restart = shared_.now_ms() + restart_ms;
    }
    std::this_thread::sleep_for(milliseconds(20));
  }
  const double seconds = static_cast<double>(shared_.now_ms()) / 1000.0;
  drain();
  return judge(seconds);
}

double Soak::retention_allowance_kib(const ResourceSeries& series) const {
  if (series.rss_kib.size() < 2) return 0;
  // The judged window of judge_trend: after the warm-up share of the series.
  const double start = series.rss_kib.front().t;
  const double from = start + (series.rss_kib.back().t - start) * TrendLimit{}.warmup_fraction;
  const double to = series.rss_kib.back().t;
  const TrafficMark* born = nullptr;  // the process's first sample: its rings were empty
  const TrafficMark* first = nullptr;
  const TrafficMark* last = nullptr;
  for (const auto& [t, mark] : marks_) {
    if (born == nullptr && t >= start) born = &mark;
    if (first == nullptr && t >= from) first = &mark;
    if (t <= to) last = &mark;
  }
  if (born == nullptr || first == nullptr || last == nullptr) return 0;
  // What the minimum retention grew by inside the window: a ring already holding its 10,000
  // notifications when the window opens may not grow any more.
  auto growth = [](double before, double after, double bound) {
    return std::max(0.0, std::min(after, bound) - std::min(before, bound));
  };
  double notifications = 0;
  double entries_bytes = 0;
  for (std::size_t i = 0; i < born->bytes.size(); ++i) {
    const double count = static_cast<double>(last->count[i] - born->count[i]);
    if (count <= 0) continue;
    const double per_notification = static_cast<double>(last->bytes[i] - born->bytes[i]) / count;
    const double before = static_cast<double>(first->count[i] - born->count[i]);
    notifications += per_notification * growth(before, count, kRingNotifications);
    // Every client sees every entry of the service: one client's share stands for the history.
    const double p = o_.per_notification;
    entries_bytes = std::max(entries_bytes,
                             per_notification / p * growth(before * p, count * p, kHistoryEntries));
  }
  return kRetentionFactor * (notifications + entries_bytes) / 1024.0;
}

SoakReport Soak::judge(double seconds) {
  SoakReport r;
  r.seed = o_.seed;
  r.seconds = seconds;
  r.clients = o_.clients;
  r.ended_by = ended_by_;
  r.settings = {{"duration_s", static_cast<double>(o_.duration.count())},
                {"emit_rate", o_.emit_rate},
                {"emit_count", o_.emit_count},
                {"per_notification", o_.per_notification},
                {"call_rate", o_.call_rate},
                {"large_every_s", o_.large_every_s},
                {"fault_rate", o_.fault_rate},
                {"restart_every_s", o_.restarts() ? o_.restart_every_s : 0}};
  r.faults = faults_;
  std::vector<double> judged, all;
  for (const auto& c : clients_) {
    const ClientCounters& k = c->counters();
    r.totals["calls"] += k.calls;
    r.totals["answered"] += k.answered;
    r.totals["ended_by_transport"] += k.transport_failed;
    r.totals["notifications_delivered"] += k.notifications;
    r.totals["notifications_duplicated"] += k.duplicates;
    r.totals["notifications_lost"] += k.lost;
    r.totals["sessions_lost_allowed"] += k.sessions_lost;
    r.totals["resumes"] += k.resumes;
    r.totals["seq_jumps_resumed"] += k.jumps;
    r.totals["disconnects"] += k.disconnects;
    r.totals["failed_attempts"] += k.failed_attempts;
    r.totals["emitted_entries"] += k.emitted_entries;
    r.totals["entry_runs_complete"] += k.runs_complete;
    r.totals["exports_verified"] += k.exports;
    if (c->ended_connected() && c->open_runs() > 0) {
      shared_.findings.add({.check = "entries",
                            .rule = "11.2c",
                            .detail = std::to_string(c->open_runs()) +
                                      " emitted runs were still incomplete at the end: their "
                                      "last entries never came",
                            .at_s = seconds,
                            .client = c->index()},
                           o_.verbose);
    }
    for (const Recovery& rec : c->recoveries()) {
      all.push_back(rec.ms);
      if (rec.judged) judged.push_back(rec.ms);
    }
  }
  r.recovery_judged = percentiles(judged);
  r.recovery_all = percentiles(all);
  if (!target_.process) {
    r.resources_note =
        "not sampled: the soak reads /proc only for a sidecar it started (--reference, --spawn)";
  }
  for (ResourceSeries& series : series_) {
    if (series.rss_kib.empty()) continue;
    TrendLimit rss_limit;
    rss_limit.absolute = 2048 + o_.rss_slack_mib * 1024 + retention_allowance_kib(series);
    series.rss = judge_trend(series.rss_kib, rss_limit);
    TrendLimit fd_limit;
    fd_limit.relative = 0;
    fd_limit.absolute = o_.clients;
    series.fd = judge_trend(series.fds, fd_limit);
    const double at = series.rss_kib.back().t;
    for (const auto& [check, trend, what, unit] :
         {std::tuple{"rss", &series.rss, "RSS", "KiB"},
          std::tuple{"fd", &series.fd, "descriptors", ""}}) {
      if (trend->flat) continue;
      shared_.findings.add({.check = check,
                            .rule = "10.10",
                            .detail = "process " + std::to_string(series.incarnation) + ": " +
                                      describe(*trend, what, unit),
                            .at_s = at},
                           o_.verbose);
    }
    r.resources.push_back(series);
  }
  const auto counts = shared_.findings.counts();
  for (const CheckInfo& info : kChecks) {
    const auto it = counts.find(info.check);
    r.checks.push_back({info.check, info.rule, info.what, it == counts.end() ? 0 : it->second});
  }
  r.findings = shared_.findings.kept();
  r.passed = shared_.findings.total() == 0;
  return r;
}

}  // namespace

SoakReport run_soak(const SoakOptions& options, SoakTarget& target) {
  Soak soak(options, target);
  return soak.run();
}

}  // namespace flake::conform::soak
