#!/usr/bin/python3
# CI's load check run for real against a sidecar that is slow on purpose (the reference with
# --defect slow-ping: every 20th system.ping answered 15 ms late, which caps a window-64 connection
# near 1,300 req/s): flake-bench compare with bench/baseline-quick.json must report a regression
# (exit 1). A check of the checker, not of a speed: the defect costs the
# ping ratios two orders of magnitude, far past any tolerance the baseline holds. About 35 s (the
# late pings), too long for every ctest run: run it by hand after changing the check or the
# baseline (docs/benchmarks.md).
#
# usage: ci_slow_sidecar.py FLAKE_BENCH SIDECAR BASELINE WORK_DIR
#   e.g. bench/ci_slow_sidecar.py build/release/bench/flake-bench \
#          build/release/reference/flake-sidecar bench/baseline-quick.json /tmp/slow-sidecar
import os
import stat
import subprocess
import sys


def main() -> int:
    flake_bench, sidecar, baseline, work = sys.argv[1:5]
    os.makedirs(work, exist_ok=True)
    # --reference with --sidecar-bin keeps the run's options identical to CI's; the wrapper adds
    # the defect switch to the command line flake-bench gives the sidecar.
    wrapper = os.path.join(work, "slow-ping-sidecar")
    with open(wrapper, "w", encoding="utf-8") as f:
        f.write(f'#!/bin/sh\nexec "{sidecar}" "$@" --defect slow-ping\n')
    os.chmod(wrapper, os.stat(wrapper).st_mode | stat.S_IXUSR)
    report = os.path.join(work, "slow-ping.json")
    run = subprocess.run([flake_bench, "--reference", "--sidecar-bin", wrapper, "--floor", "--quick",
                          "--quiet", "--json", report], capture_output=True, text=True, check=False)
    if run.returncode != 0:
        print(f"flake-bench failed ({run.returncode}):\n{run.stdout}{run.stderr}")
        return 1
    compare = subprocess.run([flake_bench, "compare", baseline, report], capture_output=True,
                             text=True, check=False)
    print(compare.stdout + compare.stderr)
    if compare.returncode != 1:
        print(f"expected exit 1 (regression) against the slow-ping sidecar, got "
              f"{compare.returncode}")
        return 1
    if "REGRESSION ping_w64_per_s" not in compare.stdout:
        print("expected the window-64 ping ratio among the regressions")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
