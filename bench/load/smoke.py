# bench.load_smoke: one `flake-bench --reference --floor --quick --json --html` run; checks that the
# JSON is well-formed and complete (every figure, both sides where both apply, every target
# evaluated, latency curves), that the HTML page is self-contained with a plot per latency run,
# and that `flake-bench compare` of the JSON with itself finds no regression.
# With --tls (bench.load_smoke_tls): a small `--reference --tls` run of ping, connect and large;
# the report's "tls" object must hold every TLS-cost row with a plain and a TLS value and a ratio,
# the handshake must have negotiated TLS, and the text and HTML must show the table.
# With --floor-only (bench.load_smoke_floor): a quick floor-only ping run must record the floor's
# CPU per 1,000 pings (its serving thread's CPU clock): positive and finite.
# Speed is never checked: a miss of a target is a figure, not a failure here.
import json
import math
import os
import re
import subprocess
import sys
from html.parser import HTMLParser

FIGURES_BOTH = ["ping_w1_p50_us", "ping_w1_per_s", "ping_w64_per_s", "ping_cxw_per_s",
                "open_p50_us", "open_p99_us", "connect_auth_p50_ms", "getlarge_mb_per_s",
                "log_entries_per_s", "cpu_s_per_1k_msgs"]
FIGURES_SIDECAR = ["rss_idle_mib", "rss_64_streaming_mib", "fanout_entries_per_s"]
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
            else:
                curve = l.get("percentiles")
                if not isinstance(curve, list) or not curve or not all(
                        isinstance(p, dict) and number(p.get("p")) and number(p.get("us"))
                        for p in curve):
                    problems.append(f"latency {key}.{side}: no percentile curve")
    targets = report.get("targets", [])
    if len(targets) != 10:
        problems.append(f"{len(targets)} targets instead of 10")
    for t in targets:
        # "note": a check of the run itself (the client ceiling), not of the sidecar.
        if t.get("result") not in ("pass", "miss", "note"):
            problems.append(f"target {t.get('name')!r}: {t.get('result')}")
    if report.get("errors"):
        problems.append(f"errors: {report['errors']}")
    if re.search(r"(^|\s)/[^\s/]+/", report.get("target", "")):
        problems.append(f"target names an absolute path: {report.get('target')!r}")
    return problems


class Tags(HTMLParser):
    """Counts start tags and notes anything that would load a resource or run a script."""

    def __init__(self):
        super().__init__()
        self.count: dict[str, int] = {}
        self.external: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.count[tag] = self.count.get(tag, 0) + 1
        if tag in ("script", "link", "img", "iframe") or any(k in ("src", "href") for k, _ in attrs):
            self.external.append(tag)


def html_problems(path: str, report: dict) -> list[str]:
    with open(path, encoding="utf-8") as f:
        page = f.read()
    tags = Tags()
    tags.feed(page)
    problems = [f"HTML loads or runs something: <{t}>" for t in tags.external]
    plots = len(report.get("latency", {}))
    curves = sum(len(sides) for sides in report.get("latency", {}).values())
    if tags.count.get("svg", 0) != plots:
        problems.append(f"HTML has {tags.count.get('svg', 0)} plots for {plots} latency runs")
    if tags.count.get("polyline", 0) != curves:
        problems.append(f"HTML has {tags.count.get('polyline', 0)} curves for {curves} series")
    if tags.count.get("tr", 0) < len(report.get("figures", {})) + 1:
        problems.append("HTML figures table is short")
    return problems


TLS_ROWS = ["connect_auth_p50_ms", "connect_auth_p99_ms", "ping_w1_p50_us", "ping_w1_p99_us",
            "ping_w64_per_s", "getlarge_mb_per_s", "cpu_ms_per_1k_pings"]


def tls_problems(report: dict, stdout: str, html_path: str) -> list[str]:
    problems = []
    tls = report.get("tls")
    if not isinstance(tls, dict):
        return ["no tls object in the JSON"]
    if not str(tls.get("negotiated", "")).startswith("TLSv1."):
        problems.append(f"negotiated is {tls.get('negotiated')!r}")
    rows = {r.get("key"): r for r in tls.get("rows", []) if isinstance(r, dict)}
    for key in TLS_ROWS:
        r = rows.get(key)
        if r is None:
            problems.append(f"TLS cost row {key} missing")
        elif key == "cpu_ms_per_1k_pings":  # /proc's clock ticks make a short run's CPU 0
            if not all(number(r.get(k)) and r[k] >= 0 for k in ("plain", "tls")):
                problems.append(f"TLS cost row {key}: {r}")
        elif not all(number(r.get(k)) and r[k] > 0 for k in ("plain", "tls", "ratio")):
            problems.append(f"TLS cost row {key}: {r}")
        elif len(r.get("plain_samples", [])) != 1 or len(r.get("tls_samples", [])) != 1:
            problems.append(f"TLS cost row {key}: not one sample per side")
    if "TLS cost" not in stdout:
        problems.append("no TLS cost table on stdout")
    with open(html_path, encoding="utf-8") as f:
        if "<h2>TLS cost</h2>" not in f.read():
            problems.append("no TLS cost table in the HTML")
    if report.get("errors"):
        problems.append(f"errors: {report['errors']}")
    return problems


def run_report(args: list[str], out: str):
    """Runs flake-bench with `args` and --json OUT; the report, or None after printing why not."""
    run = subprocess.run(args + ["--json", out], capture_output=True, text=True, timeout=50)
    print(run.stdout)
    if run.returncode != 0:
        print(run.stderr)
        print(f"FAIL flake-bench exited with {run.returncode}")
        return None, run
    with open(out, encoding="utf-8") as f:
        return json.load(f), run


def verdict(problems: list[str]) -> int:
    for p in problems:
        print("FAIL", p)
    return 1 if problems else 0


def main_tls(binary: str, out: str) -> int:
    html = os.path.splitext(out)[0] + ".html"
    report, run = run_report([binary, "--reference", "--tls", "--quick", "--quiet", "--only",
                              "ping,connect,large", "--requests", "500", "--connects", "10",
                              "--large-entries", "2000", "--html", html], out)
    if report is None:
        return 1
    return verdict(tls_problems(report, run.stdout, html))


def floor_cpu_problems(report: dict, stdout: str) -> list[str]:
    problems = []
    f = report.get("figures", {}).get("cpu_s_per_1k_msgs")
    if not isinstance(f, dict):
        return ["figure cpu_s_per_1k_msgs missing"]
    if not number(f.get("floor")) or f["floor"] <= 0:
        problems.append(f"floor CPU per 1k pings is {f.get('floor')!r}, not a positive number")
    if f.get("floor_samples") != [f.get("floor")]:
        problems.append(f"floor samples {f.get('floor_samples')!r}: not the one run's figure")
    if f.get("sidecar") is not None:
        problems.append(f"a floor-only run has a sidecar figure {f.get('sidecar')!r}")
    if not re.search(r"^server CPU per 1k pings \(window 64\)\s+-\s+\S", stdout, re.M):
        problems.append("no \"server CPU per 1k pings (window 64)\" row with a floor figure")
    if report.get("errors"):
        problems.append(f"errors: {report['errors']}")
    return problems


def main_floor(binary: str, out: str) -> int:
    report, run = run_report([binary, "--floor-only", "--only", "ping", "--quick", "--quiet"], out)
    if report is None:
        return 1
    return verdict(floor_cpu_problems(report, run.stdout))


def main() -> int:
    binary, out = sys.argv[1], sys.argv[2]
    if sys.argv[3:] == ["--tls"]:
        return main_tls(binary, out)
    if sys.argv[3:] == ["--floor-only"]:
        return main_floor(binary, out)
    html = os.path.splitext(out)[0] + ".html"
    report, _ = run_report([binary, "--reference", "--floor", "--quick", "--quiet", "--html", html],
                           out)
    if report is None:
        return 1
    problems = problems_in(report) + html_problems(html, report)
    same = subprocess.run([binary, "compare", out, out], capture_output=True, text=True, timeout=10)
    if same.returncode != 0:
        problems.append(f"compare of the report with itself exited {same.returncode}: "
                        f"{same.stdout}{same.stderr}")
    return verdict(problems)


if __name__ == "__main__":
    sys.exit(main())
