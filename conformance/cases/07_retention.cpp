// §7.1-7.2: session retention across abrupt ends (through the suite's fault proxy) and restarts,
// and the replay ring.

#include "conformance/cases/cases.hpp"
#include "conformance/cases/session_util.hpp"
#include "conformance/client/sidecar_process.hpp"

namespace flake::conform {

using std::chrono::milliseconds;

void add_s7_retention_cases(Catalog& c) {
  c.add({.id = "7.1/1",
         .tier = Tier::Must,
         .requirement = "A connection that ends with a bare TCP close (no close frame) MUST leave "
                        "its session resumable, with what was emitted meanwhile replayed.",
         .rules = {"7.1a", "7.1b"},
         .budget = milliseconds(30000),
         .run = [](CaseContext& ctx) { return survives(ctx, Fault::Cut); }});
  c.add({.id = "7.1/2",
         .tier = Tier::Must,
         .requirement = "A connection reset (TCP RST) MUST leave its session resumable, with what "
                        "was emitted meanwhile replayed.",
         .rules = {"7.1a", "7.1b"},
         .budget = milliseconds(30000),
         .run = [](CaseContext& ctx) { return survives(ctx, Fault::Reset); }});
  c.add({.id = "7.1/3",
         .tier = Tier::Must,
         .requirement = "resumeGraceMs MUST be advertised (at least 30,000) and a session MUST "
                        "still resume 5,000 ms before it ends.",
         .rules = {"7.1a"},
         .budget = milliseconds(20000),
         .timing = true,
         .run = [](CaseContext& ctx) {
           const json& caps = ctx.capabilities();
           require(has_integer(caps, "resumeGraceMs") &&
                       caps["resumeGraceMs"].get<std::int64_t>() >= 30000,
                   "capabilities.resumeGraceMs, an integer of at least 30,000",
                   show(caps.value("resumeGraceMs", json())));
           const std::int64_t grace = caps["resumeGraceMs"];
           auto proxy = start_proxy(ctx);
           const std::string session = subscribed_then_cut(ctx, *proxy);
           ClockGuard clock(ctx);
           if (!clock.set(grace - 5000)) unimplemented_case("test.setClock is not available");
           std::this_thread::sleep_for(
               milliseconds(1500));  // grace periods are checked once a second (7.1)
           auto b = ctx.connect_authenticated();
           const Resumed r = resume(ctx, *b, session, 0);
           require(r.replayed >= 0,
                   "session.resume succeeds 5,000 ms (sidecar clock) before the grace period ends",
                   show(r.response));
           return pass();
         }});
  c.add({.id = "7.2/1",
         .tier = Tier::Must,
         .requirement = "A missed run of about 9,500 notifications (under the 10,000 minimum) MUST "
                        "be replayed in full.",
         .rules = {"7.2b", "7.3a", "7.3b"},
         .budget = milliseconds(90000),
         .run = [](CaseContext& ctx) {
           // 9,500 rather than 10,000: live entries the sidecar generates meanwhile also take ring
           // slots.
           constexpr int kCount = 9500;
           auto proxy = start_proxy(ctx);
           const std::string session = subscribed_then_cut(ctx, *proxy);
           auto b = ctx.connect_authenticated();
           emit_elsewhere(ctx, *b, kCount, 1);
           const Resumed r = resume(ctx, *b, session, 0);
           require(
               r.response.contains("result"),
               "a resume replaying a run of about 9,500 notifications (under the 10,000 minimum)",
               show(r.response));
           require_full_replay(r, 0, kCount);
           return pass();
         }});
  // The sidecar sends into a link that went silent; the client never sees those notifications, so
  // they must come back from the ring although they were "sent" while the session was attached.
  c.add({.id = "7.2/2",
         .tier = Tier::Must,
         .requirement =
             "Notifications sent into a link that went silent, then reset, MUST be replayed: the "
             "ring holds what was sent, not only what was generated while detached.",
         .rules = {"7.2a", "7.1b"},
         .budget = milliseconds(30000),
         .run = [](CaseContext& ctx) {
           auto proxy = start_proxy(ctx);
           const Subscribed a = subscribed_through(ctx, *proxy);
           proxy->stall(true);
           auto b = ctx.connect_authenticated();
           emit_elsewhere(ctx, *b, 20, 2);
           proxy->reset();
           const Resumed r = resume(ctx, *b, a.session, a.seen.last);
           require_full_replay(r, a.seen.last, 20);
           return pass();
         }});
  // Few notifications, many entries each: the run stays far under 10,000 notifications while its
  // encoded size nears the 4 MiB that a byte bound may not go below.
  c.add({.id = "7.2/3",
         .tier = Tier::Must,
         .requirement = "A missed run of about 3 MiB in a few hundred notifications (under the "
                        "4 MiB a byte bound may not go below) MUST be replayed in full.",
         .rules = {"7.2c", "7.2b"},
         .budget = milliseconds(30000),
         .run = [](CaseContext& ctx) {
           constexpr int kCount = 31000;
           constexpr int kPerNotification = 100;
           auto proxy = start_proxy(ctx);
           const std::string session = subscribed_then_cut(ctx, *proxy);
           auto b = ctx.connect_authenticated();
           emit_elsewhere(ctx, *b, kCount, kPerNotification);
           const Resumed r = resume(ctx, *b, session, 0);
           require(r.response.contains("result"),
                   "a resume replaying a run of about 3 MiB (under the 4 MiB minimum)",
                   show(r.response));
           require_full_replay(r, 0, kCount);
           std::size_t bytes = 0;
           for (const auto& [seq, params] : r.notes.by_seq) bytes += params.dump().size();
           return pass(std::to_string(r.replayed) + " notifications, " +
                       std::to_string(bytes / 1024) + " KiB of params replayed");
         }});
}

}  // namespace flake::conform
