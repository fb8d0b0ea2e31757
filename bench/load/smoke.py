# bench.load_smoke: one `flake-bench --reference --floor --quick --json` run; checks that the JSON
# is well-formed and complete (every figure, both sides where both apply, every target evaluated).
# Speed is never checked: a miss of a target is a figure, not a failure here.
import json
import math
import subprocess
import sys

FIGURES_BOTH = ["ping_w1_p50_us", "ping_w1_per_s", "ping_w64_per_s", "ping_cxw_per_s",
                "open_p50_us", "open_p99_us", "connect_auth_p50_ms", "getlarge_mb_per_s",
                "log_entries_per_s"]
FIGURES_SIDECAR = ["rss_idle_mib", "rss_64_streaming_mib", "fanout_entries_per_s",
                   "cpu_s_per_1k_msgs"]
LATENCIES = ["ping_w1", "ping_w64", "open_loop", "connect_auth"]


def number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def problems_in(report: dict) -> list[str]:
    problems = []
    if report.get("schema") != "flake-bench/1":
        problems.append(f"schema is {report.get('schema')!r}")
    machine = report.get("machine", {})
    for k in ("nproc", "cpu", "kernel", "date"):
        if k not in machine:
            problems.append(f"machine.{k} missing")
    figures = report.get("figures", {})
    for key in FIGURES_BOTH + FIGURES_SIDECAR:
        f = figures.get(key)
        if not isinstance(f, dict):
            problems.append(f"figure {key} missing")
            continue
        if not number(f.get("sidecar")) or f["sidecar"] < 0:
            problems.append(f"figure {key}: no sidecar value")
        if key in FIGURES_BOTH and (not number(f.get("floor")) or not number(f.get("ratio_to_floor"))):
            problems.append(f"figure {key}: no floor value or ratio")
    latency = report.get("latency", {})
    for key in LATENCIES:
        for side in ("sidecar", "floor"):
            l = latency.get(key, {}).get(side)
            if not isinstance(l, dict) or not all(number(l.get(p)) for p in
                                                  ("p50_us", "p90_us", "p99_us", "p99_9_us", "max_us")):
                problems.append(f"latency {key}.{side} incomplete")
            elif l.get("count", 0) <= 0:
                problems.append(f"latency {key}.{side} has no samples")
    targets = report.get("targets", [])
    if len(targets) != 8:
        problems.append(f"{len(targets)} targets instead of 8")
    for t in targets:
        if t.get("result") not in ("pass", "miss"):
            problems.append(f"target {t.get('name')!r}: {t.get('result')}")
    if report.get("errors"):
        problems.append(f"errors: {report['errors']}")
    return problems


def main() -> int:
    binary, out = sys.argv[1], sys.argv[2]
    run = subprocess.run([binary, "--reference", "--floor", "--quick", "--quiet", "--json", out],
                         capture_output=True, text=True, timeout=50)
    print(run.stdout)
    if run.returncode != 0:
        print(run.stderr)
        print(f"FAIL flake-bench exited with {run.returncode}")
        return 1
    with open(out, encoding="utf-8") as f:
        report = json.load(f)
    problems = problems_in(report)
    for p in problems:
        print("FAIL", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
