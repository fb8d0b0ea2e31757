#!/usr/bin/env python3
"""Runs `flake-conform client` against python_client/ (a flake.v1 client and driver written in Python
from docs/protocol.md alone, with no circuit breaker on purpose) and checks the --json report: the
planted gap is reported against exactly its rule (the §7.8 cases that need a breaker to open), every
other client case passes, and none is unimplemented or skipped (the client implements them all).

One run of about 20 s; exit status 0 when every check holds, 1 otherwise.
"""
import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = "/usr/bin/python3"
DRIVER = os.path.join(HERE, "python_client", "driver.py")
# No breaker: 5 failed calls do not open one (C7.8/1), so there is no trial either (C7.8/2). C7.8/3
# (four failures and a result never open it) holds for a client without a breaker.
GAP_CASES = {"C7.8/1", "C7.8/2"}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conform", required=True, help="path of flake-conform")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "report.json")
        spawn = f"{shlex.quote(PYTHON)} {shlex.quote(DRIVER)} {{url}} {{token}}"
        proc = subprocess.run([args.conform, "client", "--spawn", spawn, "--strict", "--json", report],
                              capture_output=True, text=True, errors="replace", timeout=300)
        if not os.path.exists(report):
            print(f"x no report (exit {proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
            return 1
        with open(report, encoding="utf-8") as f:
            cases = json.load(f)["cases"]

    problems = []
    status = {c["id"]: c["status"] for c in cases}
    failed = {i for i, s in status.items() if s == "fail"}
    if failed != GAP_CASES:
        extra = sorted(failed - GAP_CASES)
        unseen = sorted(GAP_CASES - failed)
        if extra:
            problems.append(f"cases failed that the client implements: {', '.join(extra)}")
            for c in cases:
                if c["id"] in extra:
                    problems.append(f"  {c['id']}: expected {c.get('expected')}; actual {c.get('actual')}")
        if unseen:
            problems.append(f"the missing breaker went unseen by {', '.join(unseen)}")
    others = sorted(i for i, s in status.items() if s not in ("pass", "fail"))
    if others:
        problems.append(f"cases neither passed nor failed: {', '.join(others)}")
    if proc.returncode != 1:
        problems.append(f"exit status {proc.returncode}, want 1 (SHOULD failures under --strict)")

    for p in problems:
        print("x", p)
    if problems:
        return 1
    print(f"ok: the Python client fails exactly {', '.join(sorted(GAP_CASES))} "
          f"and passes the other {len(status) - len(GAP_CASES)} client cases")
    return 0


if __name__ == "__main__":
    sys.exit(main())
