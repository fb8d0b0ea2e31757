// Resident set size and CPU time of a process, read from /proc/<pid> (Linux only).
#pragma once

#include <sys/types.h>
#include <optional>

namespace flake::bench {

struct ProcSample {
  double rss_mib = 0;      // VmRSS
  double cpu_seconds = 0;  // utime + stime
};

std::optional<ProcSample> sample_process(pid_t pid);

}  // namespace flake::bench
