#!/usr/bin/env python3
"""Proves every client case can fail: runs `flake-conform client --reference` once per defect switch
of the reference client's driver (`flake-client-driver --defect NAME`) and checks, from the JSON
report, that the cases the defect must fail do fail; then runs the clean driver, which must pass
every case (skipped ones aside), and checks that every client case failed for some defect.

Expectations come from the driver's own table, `flake-client-driver --list-defects --tsv`, one line
per defect:  name <TAB> rule <TAB> must-fail case IDs (comma-separated) <TAB> description.
Each defect's run is limited to its must-fail cases, which keeps the self-test short.

Exit status 0 when every defect behaves as expected, 1 otherwise, 2 on usage errors.
"""
import argparse
import concurrent.futures
import json
import os
import subprocess
import sys
import tempfile


def read_defects(driver):
    proc = subprocess.run([driver, "--list-defects", "--tsv"], capture_output=True, text=True,
                          timeout=30)
    if proc.returncode != 0:
        raise SystemExit(f"{driver} --list-defects --tsv: exit {proc.returncode}\n{proc.stderr}")
    defects = []
    for line in proc.stdout.splitlines():
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) < 3:
            raise SystemExit(f"malformed defect line: {line!r}")
        must = [c.strip() for c in fields[2].split(",") if c.strip()]
        defects.append((fields[0], fields[1], must))
    return defects


def run(conform, driver, tmp, name, extra):
    report = os.path.join(tmp, name.replace("/", "_") + ".json")
    cmd = [conform, "client", "--reference", "--driver-bin", driver, "--json", report, *extra]
    proc = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=600)
    try:
        with open(report, encoding="utf-8") as f:
            cases = json.load(f)["cases"]
    except (OSError, ValueError, KeyError):
        cases = None
    return proc, cases


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conform", required=True, help="path of flake-conform")
    parser.add_argument("--driver", required=True, help="path of flake-client-driver")
    parser.add_argument("--only", action="append", default=[], help="run only this defect")
    parser.add_argument("-j", "--jobs", type=int, default=2, help="defect runs in parallel")
    args = parser.parse_args()

    defects = read_defects(args.driver)
    if args.only:
        defects = [d for d in defects if d[0] in args.only]
        if not defects:
            print("no defect matched --only", file=sys.stderr)
            return 2
    listing = subprocess.run([args.conform, "client", "--list"], capture_output=True, text=True)
    all_ids = [line.split()[0] for line in listing.stdout.splitlines() if line.startswith("  C")]
    problems = []
    shown_failing = set()

    with tempfile.TemporaryDirectory() as tmp:
        def one(defect):
            name, _rule, must = defect
            extra = ["--client-arg", "--defect", "--client-arg", name]
            for case_id in must:
                extra += ["-s", case_id]
            return defect, run(args.conform, args.driver, tmp, name, extra)

        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            for (name, rule, must), (proc, cases) in pool.map(one, defects):
                if cases is None:
                    problems.append(f"{name}: no report (exit {proc.returncode})\n{proc.stderr[-800:]}")
                    continue
                status = {c["id"]: c["status"] for c in cases}
                for case_id in must:
                    got = status.get(case_id, "not run")
                    if got == "fail":
                        shown_failing.add(case_id)
                    else:
                        problems.append(f"{name} ({rule}): {case_id} is {got}, must fail")
                print(f"{name:24} {rule:6} " +
                      ", ".join(f"{i}={status.get(i, 'not run')}" for i in must), flush=True)

        if not args.only:
            proc, cases = run(args.conform, args.driver, tmp, "clean", [])
            if cases is None:
                problems.append(f"clean driver: no report (exit {proc.returncode})\n{proc.stderr[-800:]}")
            else:
                for c in cases:
                    if c["status"] not in ("pass", "skipped"):
                        problems.append(f"clean driver: {c['id']} is {c['status']}")
            for case_id in all_ids:
                if case_id not in shown_failing:
                    problems.append(f"{case_id}: no defect shows it failing")

    for p in problems:
        print("FAIL " + p)
    print(f"client_defect_selftest: {len(defects)} defect(s), {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
