// The soak's checks, declared once: the name a finding carries, the rule of docs/protocol.md it
// mainly enforces (a finding may name a more precise one), and what is watched. Every report
// lists them in this order.
#pragma once

namespace flake::conform::soak {

struct CheckInfo {
  const char* check;
  const char* rule;
  const char* what;
};

inline constexpr CheckInfo kChecks[] = {
    {"loss", "7.2b",
     "every notification of a session delivered, in seq order, across reconnects: a seq jump is "
     "resumed at once (6.2g) and a replay that skips the same seqs again is a loss"},
    {"duplicate", "6.2c", "no seq delivered twice, live or replayed (7.3d)"},
    {"gap", "7.3d",
     "no seq skipped on one connection: between replayed and live notifications (7.3d), or "
     "among live ones (11.2d)"},
    {"resume", "7.1a",
     "session.resume succeeds unless the spec allows -32007: the sidecar restarted (7.4c) or the "
     "grace period passed (7.4b)"},
    {"entries", "11.2c",
     "every entry of every test.emitLogs call reaches every subscription: runs n = 0 .. count-1 "
     "without a hole, none left incomplete at the end"},
    {"calls", "3.1a",
     "every call answered, or ended by the end of its connection; with a result, or an error any "
     "call may meet (-32002 rate limit, -32003 unavailable, -32006 timeout)"},
    {"export", "6.10",
     "every logs.getLarge export reassembles and verifies (bytes, sha256, totals)"},
    {"notification", "6.1", "every update carries an integer seq"},
    {"drop", "11.4a", "test.dropSession ends the connection without an answer"},
    {"recovery", "7.9a",
     "after an outage like 10.8's, a client's first successful call within 5 s of the sidecar "
     "being reachable again"},
    {"crash", "10.10", "the sidecar never ends by itself, and listens again after each restart"},
    {"rss", "10.10", "the sidecar's resident set levels off (docs/soak.md states the criterion)"},
    {"fd", "10.10", "the sidecar's open descriptors level off"},
    {"auth", "4.6a", "the token is accepted"},
    {"unavailable", "5.1",
     "the methods the soak drives are there: logs.subscribe, metrics.subscribe, session.resume, "
     "test.emitLogs, test.emitMetrics, logs.getLarge"},
};

}  // namespace flake::conform::soak
