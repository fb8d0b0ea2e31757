// Resident set size and CPU time of a process, read from /proc/<pid>, and the CPU time of a CPU
// clock such as a thread's (Linux only).
#pragma once

#include <sys/types.h>
#include <ctime>
#include <optional>

namespace flake::bench {

struct ProcSample {
  double rss_mib = 0;      // VmRSS
  double cpu_seconds = 0;  // utime + stime
};

// /proc counts CPU time in clock ticks (10 ms at the usual 100 Hz).
std::optional<ProcSample> sample_process(pid_t pid);

// The clock's reading in seconds, to the nanosecond: for a clock from pthread_getcpuclockid, that
// thread's CPU time. nullopt when the clock cannot be read (e.g. its thread has ended).
std::optional<double> clock_cpu_seconds(clockid_t clock);

}  // namespace flake::bench
