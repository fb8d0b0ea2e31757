// Server-to-client volume: log entries to one subscriber, the same to many (with the sidecar's
// RSS sampled), and a logs.getLarge export. Entries are counted by a scan for the marker every
// test.emitLogs entry carries (§11.2), not by parsing: the client must stay cheaper than the
// server.
#include <nlohmann/json.hpp>

#include "bench/load/connections.hpp"
#include "bench/load/proc_stats.hpp"

namespace flake::bench {
namespace {

constexpr std::string_view kEntryMarker = "\"source\":\"test.emitLogs\"";

bool is_log_update(std::string_view payload) {
  return payload.substr(0, 80).find("\"logs.update\"") != std::string_view::npos ||
         payload.find("\"method\":\"logs.update\"") != std::string_view::npos;
}

std::string emit_request(std::int64_t id, std::string_view service, std::uint64_t count,
                         unsigned per) {
  return "{\"jsonrpc\":\"2.0\",\"method\":\"test.emitLogs\",\"params\":{\"service\":\"" +
         std::string(service) + "\",\"count\":" + std::to_string(count) +
         ",\"perNotification\":" + std::to_string(per) + "},\"id\":" + std::to_string(id) + "}";
}

bool subscribe(BenchConn& c, std::string_view service, std::string& error) {
  const auto r =
      c.call("logs.subscribe", "{\"service\":\"" + std::string(service) + "\",\"level\":\"debug\"}",
             conform::deadline_in(std::chrono::milliseconds(5000)), error);
  if (r && r->find("\"result\"") == std::string::npos)
    error = "logs.subscribe: " + r->substr(0, 200);
  return r && error.empty();
}

std::chrono::seconds stream_limit(std::uint64_t entries) {
  return std::chrono::seconds(30 + static_cast<long long>(entries / 20000));
}

}  // namespace

StreamRun log_stream(const BenchTarget& t, std::uint64_t entries, bool quiet) {
  StreamRun run;
  ConnSet conns =
      open_connections(t, 1, conform::deadline_in(std::chrono::milliseconds(5000)), run.error);
  if (conns.empty() || !subscribe(*conns[0], "vercel", run.error)) return run;
  BenchConn& c = *conns[0];
  Progress progress(quiet, t.name + " log entries to one subscriber", entries);
  const std::int64_t id = c.next_id();
  const auto start = Clock::now();
  c.queue_text(emit_request(id, "vercel", entries, 100));
  bool answered = false;
  const Deadline end = start + stream_limit(entries);
  while (!answered && run.error.empty()) {
    if (Clock::now() > end) {
      run.error = "deadline passed after " + std::to_string(run.entries) + " entries";
      break;
    }
    if (!c.flush()) break;
    if (!c.wait_readable(conform::deadline_in(std::chrono::milliseconds(100)))) continue;
    const bool ok = c.read_frames([&](const WireFrame& f) {
      if (is_log_update(f.payload)) {
        run.entries += count_of(f.payload, kEntryMarker);
        ++run.notifications;
      } else if (scan_id(f.payload) == id) {
        answered = true;
        if (f.payload.find("\"result\"") == std::string_view::npos) {
          run.error = "test.emitLogs: " + std::string(f.payload.substr(0, 200));
        }
      }
    });
    if (!ok) run.error = c.error();
    progress.tick(run.entries);
  }
  run.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (run.error.empty() && run.entries != entries) {
    run.error =
        "received " + std::to_string(run.entries) + " of " + std::to_string(entries) + " entries";
  }
  progress.finish(run.error.empty()
                      ? std::to_string(static_cast<long long>(run.per_second())) + " entries/s"
                      : run.error);
  return run;
}

StreamRun fan_out(const BenchTarget& t, unsigned connections, std::uint64_t entries, bool quiet) {
  StreamRun run;
  if (const auto s = sample_process(t.pid)) run.start_rss_mib = s->rss_mib;
  ConnSet conns = open_connections(
      t, connections, conform::deadline_in(std::chrono::milliseconds(20000)), run.error);
  if (conns.empty()) return run;
  for (auto& c : conns) {
    if (!subscribe(*c, "supabase", run.error)) return run;
  }
  const std::uint64_t total = entries * conns.size();
  Progress progress(quiet, t.name + " " + std::to_string(connections) + " subscribers", total);
  const std::int64_t id = conns[0]->next_id();
  const auto start = Clock::now();
  conns[0]->queue_text(emit_request(id, "supabase", entries, 100));
  if (!conns[0]->flush()) run.error = conns[0]->error();
  bool answered = false;
  auto last_sample = Clock::time_point{};
  const Deadline end = start + stream_limit(total);
  while (run.error.empty() && (!answered || run.entries < total)) {
    const auto now = Clock::now();
    if (now > end) {
      run.error = "deadline passed after " + std::to_string(run.entries) + " of " +
                  std::to_string(total) + " entries";
      break;
    }
    if (now - last_sample > std::chrono::milliseconds(20)) {
      last_sample = now;
      if (const auto s = sample_process(t.pid))
        run.peak_rss_mib = std::max(run.peak_rss_mib, s->rss_mib);
    }
    for (const std::size_t i : poll_ready(conns, 20'000'000)) {
      const bool ok = conns[i]->read_frames([&](const WireFrame& f) {
        if (is_log_update(f.payload)) {
          run.entries += count_of(f.payload, kEntryMarker);
          ++run.notifications;
        } else if (i == 0 && scan_id(f.payload) == id) {
          answered = true;
        }
      });
      if (!ok || !conns[i]->flush()) run.error = conns[i]->error();
    }
    progress.tick(run.entries);
  }
  run.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (const auto s = sample_process(t.pid))
    run.peak_rss_mib = std::max(run.peak_rss_mib, s->rss_mib);
  progress.finish(run.error.empty()
                      ? std::to_string(static_cast<long long>(run.per_second())) + " entries/s"
                      : run.error);
  return run;
}

LargeRun get_large(const BenchTarget& t, std::uint64_t entries, unsigned repeats, bool quiet) {
  LargeRun run;
  ConnSet conns =
      open_connections(t, 1, conform::deadline_in(std::chrono::milliseconds(5000)), run.error);
  if (conns.empty()) return run;
  BenchConn& c = *conns[0];
  // The history that the export reads (§11.6); no subscriber of "aws" exists, so this is cheap.
  // A server without test.emitLogs (the floor) serves its own canned export instead.
  const Deadline fill = conform::deadline_in(std::chrono::seconds(60));
  if (!c.call("test.emitLogs",
              "{\"service\":\"aws\",\"count\":" + std::to_string(entries) +
                  ",\"perNotification\":1000}",
              fill, run.error)) {
    return run;
  }
  Progress progress(quiet, t.name + " logs.getLarge", repeats);
  for (unsigned r = 0; r < repeats && run.error.empty(); ++r) {
    const std::int64_t id = c.next_id();
    c.queue_text(
        "{\"jsonrpc\":\"2.0\",\"method\":\"logs.getLarge\",\"params\":{\"service\":\"aws\","
        "\"timeRange\":\"1d\",\"format\":\"msgpack\",\"compress\":false},\"id\":" +
        std::to_string(id) + "}");
    const auto start = Clock::now();
    long long expected = -1;
    unsigned got = 0;
    std::uint64_t wire = 0;
    const Deadline end = conform::deadline_in(std::chrono::seconds(60));
    while (run.error.empty() && (expected < 0 || got < expected)) {
      if (!c.flush()) run.error = c.error();
      if (Clock::now() > end) run.error = "logs.getLarge: deadline passed";
      if (!c.wait_readable(conform::deadline_in(std::chrono::milliseconds(100)))) continue;
      const bool ok = c.read_frames([&](const WireFrame& f) {
        try {
          if (f.opcode == 2 && f.payload.size() > 4096) {  // data.chunk: counted, never decoded
            ++got;
            wire += f.payload.size();
            return;
          }
          const auto value = f.opcode == 2 ? nlohmann::json::from_msgpack(f.payload, true, false)
                                           : nlohmann::json::parse(f.payload, nullptr, false);
          const bool ours = !value.is_discarded() && value.is_object() && value.contains("id") &&
                            value["id"].is_number_integer() && value["id"].get<long long>() == id;
          if (!ours) {
            if (f.opcode == 2 && !value.is_discarded() && value.is_object() &&
                value.value("method", std::string()) == "data.chunk") {
              ++got;
              wire += f.payload.size();
            }
            return;
          }
          if (!value.contains("result") || !value["result"].is_object()) {
            run.error = "logs.getLarge: " + value.dump().substr(0, 200);
            return;
          }
          const auto& m = value["result"];
          expected = m.value("chunks", 0LL);
          run.payload_bytes = m.value("bytes", 0ULL);
          run.entries = m.value("totalEntries", 0ULL);
          run.chunks = static_cast<unsigned>(expected);
        } catch (const nlohmann::json::exception& e) {
          run.error = std::string("logs.getLarge: unexpected message: ") + e.what();
        }
      });
      if (!ok) run.error = c.error();
    }
    const double s = std::chrono::duration<double>(Clock::now() - start).count();
    // Best of the repeats: the export path's capacity, less the machine's interruptions.
    if (run.error.empty() && (run.seconds == 0 || s < run.seconds)) {
      run.seconds = s;
      run.wire_bytes = wire;
    }
    progress.tick(r + 1);
  }
  progress.finish(run.error.empty()
                      ? std::to_string(static_cast<long long>(run.mb_per_second())) + " MB/s"
                      : run.error);
  return run;
}

}  // namespace flake::bench
