#!/usr/bin/env python3
"""Runs `flake-conform soak` against toy_sidecar.py (a flake.v1 sidecar in Python, not the reference) and
checks its --json report by check and rule: the soak must judge a sidecar in another language.

Two short soaks of 6 clients through fault proxies, with sidecar restarts every 8 s:
  * the toy with --ring-gap (its second planted bug: every 50th notification of a session is missing
    from the replay ring): the `loss` check (7.2b) must fail, each loss a single seq that is a multiple
    of 50, while `duplicate`, `resume`, `calls`, `crash`, `fd` and `rss` pass;
  * the toy as it is: every check passes except `unavailable`, for the methods the toy lacks.
In both, the only findings of `unavailable` allowed are the toy's -32601 for vercel.getDashboard (5.6)
and logs.getLarge (5.12), which the soak then leaves out. Every finding is read from the soak's
verbose output, not only those the report keeps.

Prints a per-check table of both runs; exit status 0 when every expectation holds, 1 otherwise.
"""
import argparse
import json
import os
import re
import secrets
import shlex
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = "/usr/bin/python3"
# Rates the toy takes easily on a shared machine; a fixed seed repeats the fault schedule. The soak
# adds its own {options} (the toy refuses --burst, and the soak starts it again with --conformance).
SOAK = ["--duration", "20", "--clients", "6", "--restart-every", "8", "--emit-rate", "1", "--emit-count", "10",
        "--call-rate", "4", "--fault-rate", "1", "--seed", "20"]
# The findings that the methods the toy lacks give: (check, rule) -> the method the detail names. Both
# answer -32601 (§3.8b).
LACKING = {("unavailable", "5.6"): "vercel.getDashboard", ("unavailable", "5.12"): "logs.getLarge"}
FINDING = re.compile(r"^\[\s*[0-9.]+ s\] (\S+) \(([^)]*)\)(?: client \d+)?: (.*)$")
LOSS = re.compile(r"^seq (\d+)\.\.(\d+) were missing live and again in the replay")
MUST_PASS_WITH_GAP = ["duplicate", "resume", "calls", "crash", "fd", "rss"]


def soak(conform, toy, token_file, tmp, name, extra):
    command = " ".join(shlex.quote(a) for a in [PYTHON, toy, *extra]) + \
        f" --port {{port}} --token-file {shlex.quote(token_file)} {{options}}"
    report = os.path.join(tmp, name + ".json")
    started = time.monotonic()
    proc = subprocess.run([conform, "soak", "--spawn", command, "--token-file", token_file, *SOAK, "-v",
                           "--json", report], capture_output=True, text=True, errors="replace", timeout=110)
    print(f"{name}: exit {proc.returncode} in {time.monotonic() - started:.1f} s")
    doc = {}
    if os.path.exists(report):
        with open(report, encoding="utf-8") as f:
            doc = json.load(f)
    findings = [m.groups() for m in map(FINDING.match, proc.stderr.splitlines()) if m]
    return proc, doc, findings


def lacking(check, rule, detail):
    return LACKING.get((check, rule), "\0") in detail and "-32601" in detail


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conform", required=True, help="path of flake-conform")
    parser.add_argument("--toy", default=os.path.join(HERE, "toy_sidecar.py"))
    args = parser.parse_args()
    problems = []

    def expect(ok, what):
        if not ok:
            problems.append(what)

    with tempfile.TemporaryDirectory() as tmp:
        token_file = os.path.join(tmp, "token")
        with open(token_file, "w", encoding="utf-8") as f:
            f.write(secrets.token_hex(16) + "\n")
        runs = [("toy --ring-gap", *soak(args.conform, args.toy, token_file, tmp, "gap", ["--ring-gap"])),
                ("toy", *soak(args.conform, args.toy, token_file, tmp, "clean", []))]

    tables = {}
    for name, proc, doc, findings in runs:
        checks = {c["check"]: c for c in doc.get("checks", [])}
        tables[name] = checks
        expect(proc.returncode == 1 and checks, f"{name}: exit {proc.returncode} and {len(checks)} checks, want "
               f"1 and a report\n{proc.stdout[-600:]}{proc.stderr[-600:]}")
        counted = sum(c["findings"] for c in checks.values())
        expect(counted == len(findings), f"{name}: the report counts {counted} findings, the verbose output "
               f"shows {len(findings)}")
        for check, rule, detail in findings:
            if check == "unavailable":
                expect(lacking(check, rule, detail),
                       f"{name}: unavailable ({rule}) for more than a method the toy lacks: {detail[:300]}")
        restarts = sum(n for kind, n in doc.get("faults", {}).items() if kind.startswith("restart"))
        expect(restarts >= 2, f"{name}: {restarts} restarts, want at least 2")
        expect(doc.get("totals", {}).get("resumes", 0) > 0, f"{name}: no session.resume at all")
        if name == "toy --ring-gap":
            expect(checks.get("loss", {}).get("passed") is False, f"{name}: loss (7.2b) passed, want it failed")
            for check, rule, detail in findings:
                if check != "loss":
                    continue
                m = LOSS.match(detail)
                expect(rule == "7.2b" and m and m.group(1) == m.group(2) and int(m.group(1)) % 50 == 0,
                       f"{name}: a loss other than one 50th notification: ({rule}) {detail[:200]}")
            for check in MUST_PASS_WITH_GAP:
                expect(checks.get(check, {}).get("passed") is True, f"{name}: {check} failed, want passed")
        else:
            for check, c in checks.items():
                expect(c["passed"] or check == "unavailable",  # its findings are checked above
                       f"{name}: {check} ({c['rule']}) failed, want passed")
            expect(doc.get("totals", {}).get("entry_runs_complete", 0) > 0, f"{name}: no emitted run complete")

    names = [name for name, *_ in runs]
    print(f"{'check':<13}{'rule':<7}" + "".join(f"{n:>18}" for n in names))
    for check in tables[names[0]] or tables[names[1]]:
        cells = []
        for name, _, _, findings in runs:
            c = tables[name].get(check)
            only_lacking = all(lacking(*f) for f in findings if f[0] == check)
            cells.append("-" if c is None else "ok" if c["passed"] else
                         f"FAIL {c['findings']}" + ("*" if only_lacking else ""))
        rule = (tables[names[0]].get(check) or tables[names[1]].get(check))["rule"]
        print(f"{check:<13}{rule:<7}" + "".join(f"{cell:>18}" for cell in cells))
    print("* only -32601 for what the toy lacks: vercel.getDashboard (5.6), logs.getLarge (5.12)")
    for p in problems:
        print("PROBLEM:", p)
    print("ok" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
