// Progress lines for long runs, on stderr so that stdout stays the report.
#include <cstdio>

#include "bench/load/scenarios.hpp"

namespace flake::bench {

Progress::Progress(bool quiet, std::string label, std::uint64_t total)
    : quiet_(quiet), label_(std::move(label)), total_(total), start_(Clock::now()), last_(start_) {}

void Progress::tick(std::uint64_t done) {
  if (quiet_) return;
  const auto now = Clock::now();
  if (now - last_ < std::chrono::seconds(1)) return;
  last_ = now;
  std::fprintf(stderr, "  %s: %llu/%llu\n", label_.c_str(), static_cast<unsigned long long>(done),
               static_cast<unsigned long long>(total_));
}

void Progress::finish(const std::string& summary) {
  if (quiet_) return;
  const double s = std::chrono::duration<double>(Clock::now() - start_).count();
  std::fprintf(stderr, "  %s: %s (%.1f s)\n", label_.c_str(), summary.c_str(), s);
}

}  // namespace flake::bench
