// Session ids are 32 random hex characters, as the reference sidecar's (§4.9).
#include "conformance/peer/peer_state.hpp"

#include <random>

namespace flake::conform::peer {

std::string PeerState::new_session() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* const kHex = "0123456789abcdef";
  std::lock_guard lock(mutex_);
  std::string id;
  do {
    id.clear();
    for (int i = 0; i < 32; ++i) id.push_back(kHex[rng() % 16]);
  } while (sessions_.contains(id));
  sessions_[id].id = id;
  return id;
}

int PeerState::count_request(const std::string& method) {
  std::lock_guard lock(mutex_);
  return ++request_counts_[method];
}

bool PeerState::take_loop_notification() {
  std::lock_guard lock(mutex_);
  if (loop_notifications_taken_ >= script_.loop_notifications) return false;
  ++loop_notifications_taken_;
  return true;
}

std::string PeerState::next_stream_id() {
  std::lock_guard lock(mutex_);
  return "st-" + std::to_string(++streams_);
}

}  // namespace flake::conform::peer
