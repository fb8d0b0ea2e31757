// Sessions outlive sockets: subscriptions, the seq counter and the replay ring are kept for the
// resume grace period after a disconnect (docs/protocol.md §6, §7). The registry owns them all.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "reference/state/replay_ring.hpp"

namespace flake {

enum class StreamKind { kLogs, kMetrics, kDeployments };

// Log levels, ordered so that "this level and above" is a comparison.
enum LogLevel : int { kLevelDebug = 0, kLevelInfo = 1, kLevelWarn = 2, kLevelError = 3 };

// "debug" -> 0, "info" -> 1, "warn" -> 2, "error" -> 3, case-sensitive; anything else: nullopt.
std::optional<int> parse_level(std::string_view name);
// The inverse of parse_level; "unknown" outside 0..3 (never null, so it can go straight into JSON).
const char* level_name(int level);

struct Subscription {
  std::string id;
  StreamKind kind;
  std::string service;  // empty = all services
  int min_level;        // logs only: entries at this level and above
  bool binary = false;  // notifications in MessagePack, as the subscribe request was (§2.4)
};

// Whether `sub` receives a notification of `kind` for `service`; for logs, also whether it wants
// an entry at `level` (ignored for the other kinds).
bool subscription_wants(const Subscription& sub, StreamKind kind, std::string_view service,
                        int level = kLevelError);

struct Session {
  Session(std::string session_id, size_t ring_items, size_t ring_bytes);

  std::string id;         // 32 lowercase hex chars, random (RAND_bytes)
  uint64_t last_seq = 0;  // seq of the last notification assigned
  ReplayRing ring;
  std::map<std::string, Subscription> subscriptions;  // by id
  bool attached = true;
  int64_t detached_at_ms = 0;
  uint64_t next_subscription = 1;

  uint64_t assign_seq() { return ++last_seq; }
  // Returns the new subscription's id, "sub-<n>"; ids are never reused within a session.
  std::string add_subscription(StreamKind kind, std::string service, int min_level);
  bool remove_subscription(std::string_view id);
};

class SessionRegistry {
 public:
  SessionRegistry(size_t ring_items, size_t ring_bytes);

  // A new attached session with a fresh random id. Throws std::runtime_error only if the CSPRNG
  // fails. The reference stays valid until the session is erased or expired.
  Session& create();
  Session* find(std::string_view id);
  void detach(Session& session, int64_t now_ms);
  void attach(Session& session);
  // Safe to call with the session's own id (e.g. erase(s.id)). Unknown ids are ignored.
  void erase(std::string_view id);
  // Erases detached sessions detached for more than grace_ms (a clock that went backwards expires
  // nothing); returns how many were erased.
  size_t expire(int64_t now_ms, int64_t grace_ms);
  size_t size() const { return sessions_.size(); }

  // Calls f(Session&) for every session, attached or not: detached sessions still collect
  // notifications for their replay ring. `f` must not create or erase sessions.
  template <class F>
  void for_each(F&& f) {
    for (auto& entry : sessions_) f(*entry.second);
  }

 private:
  // Heterogeneous lookup, so find(string_view) does not allocate a std::string per call.
  struct IdHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };

  size_t ring_items_;
  size_t ring_bytes_;
  std::unordered_map<std::string, std::unique_ptr<Session>, IdHash, std::equal_to<>> sessions_;
};

}  // namespace flake
