// Findings: the locked list of what the soak found.
#include "conformance/soak/findings.hpp"

#include <cstdio>

namespace flake::conform::soak {

void Findings::add(Finding finding, bool verbose) {
  std::lock_guard lock(mutex_);
  if (verbose) {
    std::fprintf(stderr, "[%7.1f s] %s (%s)%s: %s\n", finding.at_s, finding.check.c_str(),
                 finding.rule.c_str(),
                 finding.client < 0 ? "" : (" client " + std::to_string(finding.client)).c_str(),
                 finding.detail.c_str());
  }
  if (counts_[finding.check]++ < kKeptPerCheck) kept_.push_back(std::move(finding));
}

std::vector<Finding> Findings::kept() const {
  std::lock_guard lock(mutex_);
  return kept_;
}

std::map<std::string, std::uint64_t> Findings::counts() const {
  std::lock_guard lock(mutex_);
  return counts_;
}

std::uint64_t Findings::total() const {
  std::lock_guard lock(mutex_);
  std::uint64_t n = 0;
  for (const auto& [check, count] : counts_) n += count;
  return n;
}

}  // namespace flake::conform::soak
