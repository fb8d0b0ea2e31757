// What a soak found, by check: each finding names the rule of docs/protocol.md it breaks. Shared by
// every client thread and the run, so it locks.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace flake::conform::soak {

struct Finding {
  std::string check;  // "loss", "duplicate", "entries", ... (soak_report.cpp lists them)
  std::string rule;   // "7.3d"
  std::string detail;
  double at_s = 0;  // seconds into the run
  int client = -1;  // -1: the sidecar as a whole
};

class Findings {
 public:
  // Keeps the first kKeptPerCheck findings of each check and counts the rest.
  static constexpr std::size_t kKeptPerCheck = 20;

  void add(Finding finding, bool verbose);
  std::vector<Finding> kept() const;
  std::map<std::string, std::uint64_t> counts() const;
  std::uint64_t total() const;

 private:
  mutable std::mutex mutex_;
  std::vector<Finding> kept_;
  std::map<std::string, std::uint64_t> counts_;
};

}  // namespace flake::conform::soak
