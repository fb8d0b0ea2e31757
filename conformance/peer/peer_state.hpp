// State the scripted sidecar shares across its connections: the script, the log, the sessions it
// issued (so session.resume can tell known from unknown) and per-method request counts.
#pragma once

#include "conformance/peer/peer_log.hpp"
#include "conformance/peer/script.hpp"

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace flake::conform::peer {

struct Subscription {
  std::string id;
  std::string method;  // logs.subscribe, metrics.subscribe, ...
  json params;
  bool binary = false;  // notifications use the encoding of the subscribe request (§2.4)
};

struct Session {
  std::string id;
  std::int64_t last_seq = 0;
  int next_subscription = 1;
  std::map<std::string, Subscription> subscriptions;  // by method
  bool initial_sent = false;
};

class PeerState {
 public:
  PeerState(PeerScript script, PeerLog& log) : script_(std::move(script)), log_(log) {}
  const PeerScript& script() const { return script_; }
  PeerLog& log() { return log_; }
  std::atomic<bool>& stopping() { return stopping_; }

  std::string new_session();
  // Runs `f` on the session under the state's lock; false when there is no such session.
  template <typename F>
  bool with_session(const std::string& id, F&& f) {
    std::lock_guard lock(mutex_);
    const auto it = sessions_.find(id);
    if (it == sessions_.end()) return false;
    f(it->second);
    return true;
  }
  int count_request(const std::string& method);  // returns the new count
  // One of the script's loop notifications, if any is left.
  bool take_loop_notification();
  std::string next_stream_id();

 private:
  PeerScript script_;
  PeerLog& log_;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::map<std::string, Session> sessions_;
  std::map<std::string, int> request_counts_;
  int loop_notifications_taken_ = 0;
  int streams_ = 0;
};

}  // namespace flake::conform::peer
