// The fixed workload of docs/protocol.md §13.3, run on a Client, reporting §13.4 event lines.
#pragma once

#include <atomic>
#include <mutex>
#include <string>

#include "reference/client/client.hpp"
#include "reference/client/config.hpp"
#include "reference/client/events.hpp"

namespace flake::client {

// Writes each event as one flushed line on stdout; shared by the I/O thread and the workload.
class LinePrinter {
 public:
  void print(const Event& e);

 private:
  std::mutex mu_;
};

// Runs steps 3-6 (the Client does 1-2 when started) until `stop` becomes true.
void run_workload(Client& client, const ClientConfig& config, LinePrinter& out,
                  const std::atomic<bool>& stop);

}  // namespace flake::client
