// The target's CPU time that closed_loop reads: a CPU clock (the floor's thread) when the target
// has one, else its process's from /proc, else none.
#include "bench/load/proc_stats.hpp"
#include "bench/load/scenarios.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <ctime>

namespace flake::bench {
namespace {

// Keeps this thread on the CPU until its own CPU clock has advanced by `seconds`.
void burn_cpu(double seconds) {
  const double start = *clock_cpu_seconds(CLOCK_THREAD_CPUTIME_ID);
  volatile unsigned long sink = 0;
  while (*clock_cpu_seconds(CLOCK_THREAD_CPUTIME_ID) - start < seconds) {
    for (int i = 0; i < 10'000; ++i) sink = sink + static_cast<unsigned long>(i);
  }
}

TEST(TargetCpu, AClockIsReadToTheNanosecondAndWinsOverThePid) {
  BenchTarget t;
  t.pid = ::getpid();
  t.cpu_clock = CLOCK_THREAD_CPUTIME_ID;
  const double c0 = *clock_cpu_seconds(CLOCK_THREAD_CPUTIME_ID);
  const auto before = cpu_seconds(t);
  const double c1 = *clock_cpu_seconds(CLOCK_THREAD_CPUTIME_ID);
  ASSERT_TRUE(before.has_value());
  EXPECT_LE(c0, *before);  // this thread's clock, not the process's ticks
  EXPECT_LE(*before, c1);
  burn_cpu(0.002);
  const auto after = cpu_seconds(t);
  ASSERT_TRUE(after.has_value());
  // A fifth of one 10 ms clock tick of /proc: only a clock sees it.
  EXPECT_GE(*after - *before, 0.002);
}

TEST(TargetCpu, APidIsReadFromProc) {
  BenchTarget t;
  t.pid = ::getpid();
  const auto s = sample_process(t.pid);
  ASSERT_TRUE(s.has_value());
  const auto v = cpu_seconds(t);
  ASSERT_TRUE(v.has_value());
  EXPECT_GE(*v, s->cpu_seconds);  // the same counter, read a moment later
}

TEST(TargetCpu, NeitherClockNorPidIsUnknown) {
  EXPECT_FALSE(cpu_seconds(BenchTarget{}).has_value());
  EXPECT_FALSE(sample_process(-1).has_value());
}

}  // namespace
}  // namespace flake::bench
