// EventQueue: bounded so a consumer that stops reading costs memory up to the capacity only.
#include "reference/client/event_queue.hpp"

namespace flake::client {

void EventQueue::push(const Event& e) {
  {
    std::lock_guard lock(mu_);
    if (events_.size() >= capacity_) {
      events_.pop_front();
      ++dropped_;
    }
    events_.push_back(e);
  }
  cv_.notify_one();
}

std::optional<Event> EventQueue::pop(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  if (!cv_.wait_for(lock, timeout, [this] { return !events_.empty(); })) return std::nullopt;
  Event e = std::move(events_.front());
  events_.pop_front();
  return e;
}

size_t EventQueue::dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

}  // namespace flake::client
