#!/usr/bin/python3
# Regression check for the benchmarks (docs/benchmarks.md). Run with /usr/bin/python3.
#
#   compare.py load BASELINE.json CURRENT.json [--tolerance 0.25] [--flake-bench PATH]
#     runs `flake-bench compare BASELINE.json CURRENT.json`, which holds the rules: figures as
#     ratios to the floor measured in the same run (so machine speed cancels out); a ratio worse
#     than the baseline's by more than the tolerance (per figure in the baseline, from its run's
#     spread; --tolerance overrides) is a regression.
#   compare.py baseline CURRENT.json OUT.json [--flake-bench PATH]
#     runs `flake-bench baseline CURRENT.json OUT.json`: a new baseline (every figure's ratio to
#     the floor, its tolerance, plus the machine) from a run.
#   compare.py micro OLD_DIR NEW_DIR [--alpha 0.05] [--threshold 0.10]
#     Google Benchmark JSON reports (same file names in both dirs, >= 9 repetitions each),
#     through Debian's libbenchmark-tools compare.py (Mann-Whitney U test); a benchmark regressed
#     when its CPU time is significantly different (p < alpha) and its median change is slower
#     than the threshold (default 10 %: on a shared machine smaller shifts are often real but
#     not ours).
#
# flake-bench is found as --flake-bench PATH, $FLAKE_BENCH, or the first of build/bench and
# build/release under the repository that exists.
# Exit status: 0 no regression, 1 regression(s), 2 usage or input error.
import argparse
import json
import os
import statistics
import subprocess
import sys

GBENCH_DIR = "/usr/share/benchmark"  # libbenchmark-tools
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD_DIRS = ("build/bench", "build/release")


def find_flake_bench(given: str | None) -> str | None:
    if given:
        return given
    if os.environ.get("FLAKE_BENCH"):
        return os.environ["FLAKE_BENCH"]
    for build in BUILD_DIRS:
        path = os.path.join(REPO, build, "bench", "flake-bench")
        if os.access(path, os.X_OK):
            return path
    return None


def flake_bench(given: str | None, args: list[str]) -> int:
    binary = find_flake_bench(given)
    if binary is None:
        print("compare.py: flake-bench not found (build it, or pass --flake-bench PATH or set "
              f"$FLAKE_BENCH); looked in {', '.join(BUILD_DIRS)} under {REPO}")
        return 2
    return subprocess.run([binary, *args], check=False).returncode


def micro_compare(old_dir: str, new_dir: str, alpha: float, threshold: float) -> int:
    sys.path.insert(0, GBENCH_DIR)
    try:
        from gbench import report  # noqa: E402 (Debian's libbenchmark-tools, needs python3-scipy)
    except ImportError as e:
        print(f"cannot import gbench from {GBENCH_DIR} ({e}): install libbenchmark-tools "
              "and python3-scipy")
        return 2
    names = sorted(n for n in os.listdir(new_dir) if n.endswith(".json"))
    if not names:
        print(f"no JSON reports in {new_dir}")
        return 2
    regressions = []
    for name in names:
        old_path = os.path.join(old_dir, name)
        if not os.path.exists(old_path):
            print(f"{name}: no old report, skipped")
            continue
        # The upstream tool's own table (U test included), for people.
        subprocess.run([sys.executable, os.path.join(GBENCH_DIR, "compare.py"), "-a", "--no-color",
                        "--alpha", str(alpha), "benchmarks", old_path,
                        os.path.join(new_dir, name)], check=False)
        with open(old_path, encoding="utf-8") as f:
            old = json.load(f)
        with open(os.path.join(new_dir, name), encoding="utf-8") as f:
            new = json.load(f)
        for b in report.get_difference_report(old, new, utest=True):
            u = b.get("utest") or {}
            if b.get("run_type") == "aggregate" or not u:
                continue
            if u.get("nr_of_repetitions", 0) < 9 or u.get("nr_of_repetitions_other", 0) < 9:
                regressions.append(f"{name}: {b['name']}: fewer than 9 repetitions")
                continue
            change = statistics.median(m["cpu"] for m in b["measurements"])
            if u["cpu_pvalue"] < alpha and change > threshold:
                regressions.append(f"{name}: {b['name']}: CPU time {change:+.1%} "
                                   f"(U test p = {u['cpu_pvalue']:.4f})")
    for r in regressions:
        print("REGRESSION", r)
    if not regressions:
        print("micro-benchmarks: no significant regression")
    return 1 if regressions else 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    sub = p.add_subparsers(dest="mode", required=True)
    lp = sub.add_parser("load")
    lp.add_argument("baseline")
    lp.add_argument("current")
    lp.add_argument("--tolerance", type=float, default=None,
                    help="relative tolerance for every figure (default: the baseline's own)")
    lp.add_argument("--flake-bench", default=None, help="the flake-bench binary")
    bp = sub.add_parser("baseline")
    bp.add_argument("current")
    bp.add_argument("out")
    bp.add_argument("--flake-bench", default=None, help="the flake-bench binary")
    mp = sub.add_parser("micro")
    mp.add_argument("old_dir")
    mp.add_argument("new_dir")
    mp.add_argument("--alpha", type=float, default=0.05)
    mp.add_argument("--threshold", type=float, default=0.10)
    a = p.parse_args()
    try:
        if a.mode == "load":
            tolerance = [] if a.tolerance is None else ["--tolerance", str(a.tolerance)]
            return flake_bench(a.flake_bench, ["compare", a.baseline, a.current, *tolerance])
        if a.mode == "baseline":
            return flake_bench(a.flake_bench, ["baseline", a.current, a.out])
        return micro_compare(a.old_dir, a.new_dir, a.alpha, a.threshold)
    except (OSError, ValueError, KeyError) as e:
        print(f"compare.py: {e}")
        return 2


if __name__ == "__main__":
    sys.exit(main())
