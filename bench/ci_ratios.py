#!/usr/bin/python3
# The CI regression check's micro-benchmark half and its tolerance tools (docs/benchmarks.md,
# "Regression check in CI"). Run with /usr/bin/python3.
#
#   ci_ratios.py micro-compare BASELINE.json RUN_DIR --min-time T
#     every micro-benchmark's fastest CPU time over BM_Calibration's in the same binary and run,
#     against bench/baseline-micro.json: worse than baseline x (1 + tolerance) is a regression.
#   ci_ratios.py micro-baseline RUN_DIR OUT.json --min-time T [--tolerances-from OLD.json]
#     writes a micro baseline from a run; tolerances come from OLD where it has the figure.
#   ci_ratios.py keep-tolerances OLD.json NEW.json
#     copies OLD's per-figure tolerances into NEW (any file with "ratios": {figure: {tolerance}},
#     i.e. a flake-bench baseline or a micro baseline), for figures both hold.
#   ci_ratios.py spread {load RUN.json... | micro RUN_DIR...} [--write-tolerances BASELINE.json]
#     per figure over repeated runs: min / median / max of the ratio, the worst pair as a factor,
#     and the tolerance derived from it (below); --write-tolerances stores those in BASELINE.
#
# Exit status: 0 no regression (or written), 1 regression(s), 2 usage or input error.
import argparse
import json
import math
import os
import statistics
import sys

CALIBRATION = "BM_Calibration"
MICRO_SCHEMA = "flake-micro-baseline/1"
DEFAULT_TOLERANCE = 1.0  # a figure no spread was measured for: fail beyond 2x slower
# Tolerance from repeated runs: the worst pair of runs (max / min of a figure's ratio) is how far a
# baseline run and a CI run have been seen apart; MARGIN on top of that, and never below MIN_FACTOR.
MARGIN = 1.25
MIN_FACTOR = 1.3
UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


class InputError(Exception):
    pass


def read_json(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise InputError(f"{path}: {e}") from e


def micro_run(run_dir: str) -> tuple[dict, dict]:
    """Figures of one run directory ({binary}.json each): ratio, CPU ns, calibration ns.

    Each figure is the fastest repetition's CPU time: on a shared machine noise only ever adds
    time (a busy SMT sibling, cache lost to a context switch), so of many short repetitions the
    fastest is the least disturbed; in measurements its run-to-run spread was a third of the
    median's (docs/benchmarks.md)."""
    names = sorted(n for n in os.listdir(run_dir) if n.endswith(".json"))
    if not names:
        raise InputError(f"{run_dir}: no Google Benchmark JSON reports")
    figures, context = {}, {}
    for name in names:
        report = read_json(os.path.join(run_dir, name))
        context = report.get("context", {})
        times: dict[str, list[float]] = {}
        for b in report.get("benchmarks", []):
            if b.get("run_type") != "iteration" or b.get("error_occurred"):
                continue
            ns = b["cpu_time"] * UNIT_NS[b.get("time_unit", "ns")]
            times.setdefault(b.get("run_name", b["name"]), []).append(ns)
        if CALIBRATION not in times:
            raise InputError(f"{run_dir}/{name}: no {CALIBRATION} result")
        cal = min(times.pop(CALIBRATION))
        binary = name[:-len(".json")]
        for bench, samples in times.items():
            cpu = min(samples)
            figures[f"{binary}/{bench}"] = {"ratio": cpu / cal, "cpu_ns": cpu,
                                            "calibration_ns": cal, "higher_is_better": False}
    return figures, context


def load_run(path: str) -> dict:
    report = read_json(path)
    if report.get("schema") != "flake-bench/1":
        raise InputError(f"{path}: not a flake-bench --json report")
    out = {}
    for key, f in report.get("figures", {}).items():
        if isinstance(f.get("ratio_to_floor"), (int, float)):
            out[key] = {"ratio": f["ratio_to_floor"],
                        "higher_is_better": f.get("higher_is_better", True)}
    return out


def judge(old: float, new: float, tolerance: float) -> str:
    # Micro ratios are times: lower is better, as flake-bench compare's latency figures.
    if new > old * (1 + tolerance):
        return "worse"
    if new < old * (1 - tolerance):
        return "better"
    return "same"


def micro_compare(a) -> int:
    base = read_json(a.baseline)
    if base.get("schema") != MICRO_SCHEMA:
        raise InputError(f"{a.baseline}: schema is not {MICRO_SCHEMA}")
    if base.get("options", {}).get("min_time") != a.min_time:
        raise InputError(f"{a.baseline} was made with --benchmark_min_time="
                         f"{base.get('options', {}).get('min_time')}, this run with {a.min_time}: "
                         "compare like with like")
    new, _ = micro_run(a.run_dir)
    old = base.get("ratios", {})
    one_side = sorted(set(old) ^ set(new))
    if one_side:
        for k in one_side:
            side = a.baseline if k in old else a.run_dir
            print(f"ci_ratios.py: figure {k} only in {side} (update the baseline with the change)",
                  file=sys.stderr)
        return 2
    print(f"micro-benchmarks: CPU time / {CALIBRATION} (same binary, same run), "
          f"{a.baseline} -> {a.run_dir}")
    print(f"{'figure':44} {'old ratio':>10} {'new ratio':>10} {'change':>8} {'tolerance':>10}  "
          "verdict")
    regressions, counts = [], {"better": 0, "same": 0, "worse": 0}
    for key in sorted(old):
        o, n, tol = old[key]["ratio"], new[key]["ratio"], old[key].get("tolerance",
                                                                       DEFAULT_TOLERANCE)
        v = judge(o, n, tol)
        counts[v] += 1
        verdict = "worse (regression)" if v == "worse" else v
        print(f"{key:44} {o:10.3g} {n:10.3g} {(n - o) / o:+8.0%} {tol:10.0%}  {verdict}")
        if v == "worse":
            regressions.append(f"{key}: {n:.3g} x {CALIBRATION}, was {o:.3g} "
                               f"(tolerance {tol:.0%})")
    for r in regressions:
        print("REGRESSION", r)
    print(f"{counts['worse']} regressed, {counts['better']} better, {counts['same']} the same")
    return 1 if regressions else 0


def micro_baseline(a) -> int:
    figures, context = micro_run(a.run_dir)
    old = read_json(a.tolerances_from).get("ratios", {}) if a.tolerances_from else {}
    ratios = {}
    for key in sorted(figures):
        f = figures[key]
        ratios[key] = {"ratio": round(f["ratio"], 4),
                       "tolerance": old.get(key, {}).get("tolerance", DEFAULT_TOLERANCE),
                       "cpu_ns": round(f["cpu_ns"], 1),
                       "calibration_ns": round(f["calibration_ns"], 1)}
    machine = {k: context[k] for k in ("date", "num_cpus", "mhz_per_cpu", "load_avg")
               if k in context}
    out = {"schema": MICRO_SCHEMA, "machine": machine, "calibration": CALIBRATION,
           "options": {"min_time": a.min_time}, "ratios": ratios}
    with open(a.out, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=2)
        f.write("\n")
    kept = sum(1 for k in ratios if k in old)
    print(f"wrote {a.out} ({len(ratios)} ratios, {kept} tolerances kept)")
    return 0


def keep_tolerances(old_path: str, new_path: str) -> int:
    old, new = read_json(old_path), read_json(new_path)
    kept = 0
    for key, entry in new.get("ratios", {}).items():
        tol = old.get("ratios", {}).get(key, {}).get("tolerance")
        if isinstance(tol, (int, float)):
            entry["tolerance"], kept = tol, kept + 1
    with open(new_path, "w", encoding="utf-8") as f:
        json.dump(new, f, indent=2)
        f.write("\n")
    print(f"{new_path}: {kept} of {len(new.get('ratios', {}))} tolerances kept from {old_path}")
    return 0


def tolerance_for(worst_pair: float, higher_is_better: bool) -> float:
    factor = max(MIN_FACTOR, MARGIN * worst_pair)
    t = (1 - 1 / factor) if higher_is_better else (factor - 1)
    return math.ceil(t * 100) / 100


def spread(a) -> int:
    runs = [load_run(p) for p in a.runs] if a.kind == "load" else [micro_run(d)[0] for d in a.runs]
    keys = sorted(set().union(*runs))
    print(f"{len(runs)} runs; worst pair = max / min of the ratio; tolerance = "
          f"{MARGIN} x worst pair as a factor (at least {MIN_FACTOR})")
    print(f"{'figure':44} {'n':>3} {'min':>9} {'median':>9} {'max':>9} {'worst pair':>10} "
          f"{'tolerance':>9}")
    tolerances = {}
    for key in keys:
        values = [r[key]["ratio"] for r in runs if key in r]
        higher = next(r[key]["higher_is_better"] for r in runs if key in r)
        lo, hi = min(values), max(values)
        pair = hi / lo if lo > 0 else math.inf
        tolerances[key] = tolerance_for(pair, higher)
        print(f"{key:44} {len(values):3} {lo:9.4g} {statistics.median(values):9.4g} {hi:9.4g} "
              f"{pair:9.2f}x {tolerances[key]:9.2f}")
    if a.write_tolerances:
        base = read_json(a.write_tolerances)
        for key, entry in base.get("ratios", {}).items():
            if key in tolerances:
                entry["tolerance"] = tolerances[key]
        with open(a.write_tolerances, "w", encoding="utf-8") as f:
            json.dump(base, f, indent=2)
            f.write("\n")
        print(f"tolerances written to {a.write_tolerances}")
    return 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="mode", required=True)
    c = sub.add_parser("micro-compare")
    c.add_argument("baseline")
    c.add_argument("run_dir")
    c.add_argument("--min-time", type=float, required=True)
    b = sub.add_parser("micro-baseline")
    b.add_argument("run_dir")
    b.add_argument("out")
    b.add_argument("--min-time", type=float, required=True)
    b.add_argument("--tolerances-from", default=None)
    k = sub.add_parser("keep-tolerances")
    k.add_argument("old")
    k.add_argument("new")
    s = sub.add_parser("spread")
    s.add_argument("kind", choices=("load", "micro"))
    s.add_argument("runs", nargs="+")
    s.add_argument("--write-tolerances", default=None)
    a = p.parse_args()
    try:
        if a.mode == "micro-compare":
            return micro_compare(a)
        if a.mode == "micro-baseline":
            return micro_baseline(a)
        if a.mode == "keep-tolerances":
            return keep_tolerances(a.old, a.new)
        return spread(a)
    except (InputError, OSError, KeyError, ValueError) as e:
        print(f"ci_ratios.py: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
