// A bounded, thread-safe queue of client events for consumers that pull rather than take a
// callback on the I/O thread (a Python binding, a test): Client(config, behaviour,
// queue.handler()).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>

#include "reference/client/client.hpp"
#include "reference/client/events.hpp"

namespace flake::client {

class EventQueue {
 public:
  explicit EventQueue(size_t capacity = 10000) : capacity_(capacity) {}

  // The EventHandler to give the Client. The queue must outlive the Client.
  EventHandler handler() {
    return [this](const Event& e) { push(e); };
  }
  // Never blocks the I/O thread: when full, the oldest event is dropped (and counted).
  void push(const Event& e);
  // The next event, or nullopt after `timeout`.
  std::optional<Event> pop(std::chrono::milliseconds timeout);
  size_t dropped() const;

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Event> events_;
  size_t dropped_ = 0;
};

}  // namespace flake::client
