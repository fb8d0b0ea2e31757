#!/usr/bin/python3
# Regression check for the benchmarks (docs/benchmarks.md). Run with /usr/bin/python3.
#
#   compare.py load BASELINE.json CURRENT.json [--tolerance 0.25]
#     flake-bench figures as ratios to the floor measured in the same run (so machine speed
#     cancels out), against bench/baseline.json; a ratio worse than the baseline by more than the
#     tolerance (per figure in the baseline, from its run's spread; --tolerance overrides) is a
#     regression.
#   compare.py baseline CURRENT.json OUT.json
#     writes a new baseline (every figure's ratio to the floor, plus the machine) from a run.
#   compare.py micro OLD_DIR NEW_DIR [--alpha 0.05] [--threshold 0.10]
#     Google Benchmark JSON reports (same file names in both dirs, >= 9 repetitions each),
#     through Debian's libbenchmark-tools compare.py (Mann-Whitney U test); a benchmark regressed
#     when its CPU time is significantly different (p < alpha) and its median change is slower
#     than the threshold (default 10 %: on a shared machine smaller shifts are often real but
#     not ours).
#
# Exit status: 0 no regression, 1 regression(s), 2 usage or input error.
import argparse
import json
import os
import statistics
import subprocess
import sys

GBENCH_DIR = "/usr/share/benchmark"  # libbenchmark-tools
DEFAULT_TOLERANCE = 0.25


def load_compare(baseline_path: str, current_path: str, tolerance: float | None) -> int:
    with open(baseline_path, encoding="utf-8") as f:
        baseline = json.load(f)
    with open(current_path, encoding="utf-8") as f:
        current = json.load(f)
    figures = current.get("figures", {})
    regressions, rows = [], []
    if baseline.get("options", {}).get("quick") != current.get("options", {}).get("quick"):
        print("WARNING: the baseline and this run differ in --quick; run sizes change the ratios, "
              "so compare like with like")
    for key, base in baseline.get("ratios", {}).items():
        cur = figures.get(key, {})
        ratio = cur.get("ratio_to_floor")
        higher = cur.get("higher_is_better", base.get("higher_is_better", True))
        tol = tolerance if tolerance is not None else base.get("tolerance", DEFAULT_TOLERANCE)
        if not isinstance(ratio, (int, float)):
            rows.append((key, base["ratio"], None, "not measured"))
            regressions.append(f"{key}: not measured")
            continue
        if higher:
            bad = ratio < base["ratio"] * (1 - tol)
        else:
            bad = ratio > base["ratio"] * (1 + tol)
        change = (ratio - base["ratio"]) / base["ratio"] if base["ratio"] else 0.0
        verdict = "REGRESSION" if bad else "ok"
        rows.append((key, base["ratio"], ratio, f"{change:+.0%} (tolerance {tol:.0%}) {verdict}"))
        if bad:
            regressions.append(f"{key}: ratio to floor {ratio:.3g}, baseline {base['ratio']:.3g}")
    print(f"flake-bench ratios to the floor vs {baseline_path}")
    print(f"{'figure':<28} {'baseline':>10} {'current':>10}  change")
    for key, b, c, v in rows:
        print(f"{key:<28} {b:>10.3g} {('-' if c is None else format(c, '.3g')):>10}  {v}")
    for t in current.get("targets", []):
        print(f"  target {t.get('result', '?'):<5} {t.get('name')}")
    for r in regressions:
        print("REGRESSION", r)
    return 1 if regressions else 0


def write_baseline(current_path: str, out_path: str) -> int:
    with open(current_path, encoding="utf-8") as f:
        current = json.load(f)
    if current.get("errors"):
        print(f"{current_path} has errors: {current['errors']}; not a baseline")
        return 2
    ratios = {}
    for key, fig in current.get("figures", {}).items():
        if isinstance(fig.get("ratio_to_floor"), (int, float)):
            # Per-figure tolerance from this run's own spread: the per-repeat ratios' range over
            # their median, times 1.5, at least the default and at most 90 %.
            pairs = [a / b for a, b in zip(fig.get("sidecar_samples", []), fig.get("floor_samples", []))
                     if b]
            spread = (max(pairs) - min(pairs)) / statistics.median(pairs) if len(pairs) > 1 else 0
            ratios[key] = {"ratio": round(fig["ratio_to_floor"], 4),
                           "tolerance": round(min(0.9, max(DEFAULT_TOLERANCE, 1.5 * spread)), 2),
                           "higher_is_better": fig.get("higher_is_better", True),
                           "sidecar": fig.get("sidecar"), "floor": fig.get("floor"),
                           "unit": fig.get("unit")}
    if not ratios:
        print(f"{current_path} holds no floor ratios (run flake-bench with --floor)")
        return 2
    baseline = {"schema": "flake-bench-baseline/1", "machine": current.get("machine"),
                "target": current.get("target"), "repeats": current.get("repeats"),
                "options": current.get("options"), "ratios": ratios,
                "targets": current.get("targets")}
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(baseline, f, indent=2)
        f.write("\n")
    print(f"wrote {out_path} ({len(ratios)} ratios)")
    return 0


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
    bp = sub.add_parser("baseline")
    bp.add_argument("current")
    bp.add_argument("out")
    mp = sub.add_parser("micro")
    mp.add_argument("old_dir")
    mp.add_argument("new_dir")
    mp.add_argument("--alpha", type=float, default=0.05)
    mp.add_argument("--threshold", type=float, default=0.10)
    a = p.parse_args()
    try:
        if a.mode == "load":
            return load_compare(a.baseline, a.current, a.tolerance)
        if a.mode == "baseline":
            return write_baseline(a.current, a.out)
        return micro_compare(a.old_dir, a.new_dir, a.alpha, a.threshold)
    except (OSError, ValueError, KeyError) as e:
        print(f"compare.py: {e}")
        return 2


if __name__ == "__main__":
    sys.exit(main())
