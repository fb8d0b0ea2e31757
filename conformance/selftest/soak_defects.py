#!/usr/bin/env python3
"""Proves the soak can fail: for every defect switch of the reference whose must-fail column names a
soak check (`soak:<check>` in `flake-sidecar --list-defects --tsv`), a short soak against the
reference with that switch on must exit 1 with exactly that check among the failing ones. First the
same soak against the clean reference must pass, so that what the defects show is theirs.

These defects break rules only over time or under concurrency (a descriptor or memory kept per
abrupt close, a replay that goes wrong from a session's fourth resume on): the conformance cases do
not see them, which defect_selftest.py leaves to this script.

Exit status 0 when every defect is caught and the clean run passes, 1 otherwise, 2 on usage errors.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

# One set-up for every run: few clients, many abrupt closes (cuts, resets, test.dropSession), little
# traffic (so that the RSS allowance for retained notifications stays small), no restarts (a restart
# would hand every leak a fresh process).
SOAK = ["--clients", "8", "--fault-rate", "3", "--faults", "cut,reset,drop", "--restart-every", "0",
        "--emit-rate", "0.3", "--call-rate", "2", "--large-every", "0", "--seed", "7"]


def soak_defects(sidecar):
    out = subprocess.run([sidecar, "--list-defects", "--tsv"], capture_output=True, text=True,
                         check=True).stdout
    rows = []
    for line in out.splitlines():
        fields = line.split("\t")
        if len(fields) >= 3 and fields[2].startswith("soak:"):
            rows.append((fields[0], fields[2][len("soak:"):]))
    return rows


def run_soak(conform, sidecar, seconds, defect, workdir):
    report = os.path.join(workdir, f"soak-{defect or 'clean'}.json")
    argv = [conform, "soak", "--reference", "--sidecar-bin", sidecar, "--duration", str(seconds),
            *SOAK, "--json", report]
    if defect:
        argv += ["--sidecar-arg", "--defect", "--sidecar-arg", defect]
    started = time.monotonic()
    proc = subprocess.run(argv, capture_output=True, text=True)
    elapsed = time.monotonic() - started
    failing = set()
    if os.path.exists(report):
        with open(report, encoding="utf-8") as f:
            failing = {c["check"] for c in json.load(f)["checks"] if not c["passed"]}
    return proc, failing, elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conform", required=True, help="the flake-conform binary")
    parser.add_argument("--sidecar", required=True, help="the reference flake-sidecar binary")
    parser.add_argument("--seconds", type=int, default=15, help="length of each soak (default 15)")
    parser.add_argument("--only", help="run this defect alone (and the clean run)")
    args = parser.parse_args()
    for path in (args.conform, args.sidecar):
        if not os.access(path, os.X_OK):
            print(f"soak_defects: {path} is not an executable file", file=sys.stderr)
            return 2
    defects = soak_defects(args.sidecar)
    if args.only:
        defects = [d for d in defects if d[0] == args.only]
    if not defects:
        print("soak_defects: no defect switch names a soak check", file=sys.stderr)
        return 2
    ok = True
    with tempfile.TemporaryDirectory(prefix="flake-soak-defects-") as workdir:
        proc, failing, elapsed = run_soak(args.conform, args.sidecar, args.seconds, None, workdir)
        clean = proc.returncode == 0 and not failing
        print(f"{'ok  ' if clean else 'FAIL'} clean reference: exit {proc.returncode}, failing checks "
              f"{sorted(failing) or 'none'} ({elapsed:.0f} s)")
        if not clean:
            ok = False
            print(proc.stdout[-3000:], proc.stderr[-2000:], sep="\n")
        for name, check in defects:
            proc, failing, elapsed = run_soak(args.conform, args.sidecar, args.seconds, name, workdir)
            caught = proc.returncode == 1 and check in failing
            print(f"{'ok  ' if caught else 'FAIL'} {name}: expected check {check} to fail; exit "
                  f"{proc.returncode}, failing checks {sorted(failing) or 'none'} ({elapsed:.0f} s)")
            if not caught:
                ok = False
                print(proc.stdout[-3000:], proc.stderr[-2000:], sep="\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
