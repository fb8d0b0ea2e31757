#!/usr/bin/env python3
"""Proves every conformance case can fail: runs flake-conform against the reference sidecar once per
defect switch (`flake-sidecar --defect NAME`) and checks, from the JSON report, that the cases of the
rule the defect breaks fail and that nothing outside the expected sections fails.

Expectations live in defect_expectations.tsv beside this file:
    defect <TAB> must-fail selectors (comma-separated) <TAB> may-also-fail selectors (comma-separated, or -)
A selector is a case ID ("4.5/1") or a section prefix ("4.5"). Each defect's run is limited to the
top-level sections its selectors name, which keeps the whole self-test short.

Exit status 0 when every defect behaves as expected, 1 otherwise, 2 on usage errors.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def matches(case_id, selector):
    if "/" in selector:
        return case_id == selector
    section = case_id.split("/")[0]
    return section == selector or section.startswith(selector + ".")


def load_expectations(path):
    table = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            fields = line.split("\t")
            if len(fields) != 3:
                raise SystemExit(f"{path}: expected 3 tab-separated fields: {line!r}")
            name, must, may = fields
            split = lambda s: [] if s.strip() == "-" else [x.strip() for x in s.split(",") if x.strip()]
            table[name] = (split(must), split(may))
    return table


# A rate the bucket can be emptied at even by a sanitizer build on a loaded machine (8.3/1 needs the
# sidecar to answer faster than it refills; the default 10,000/s is out of ASan's reach there).
RATE_ARGS = "--rate 1000 --burst 2000"


def list_defects(sidecar):
    out = subprocess.run([sidecar, "--list-defects"], check=True, capture_output=True, text=True).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def run_defect(conform, sidecar, token_file, defect, selectors, timeout_ms, known_failures):
    sections = sorted({s.split("/")[0].split(".")[0] for s in selectors})
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "report.json")
        spawn = f"'{sidecar}' --port {{port}} --conformance --token-file '{token_file}' {RATE_ARGS} --defect {defect}"
        cmd = [conform, "--spawn", spawn, "--token-file", token_file, "--json", report,
               "--timeout", str(timeout_ms)]
        for section in sections:
            cmd += ["-s", section]
        if known_failures:
            cmd += ["--expected-failures", known_failures]
        proc = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=600)
        if not os.path.exists(report):
            return None, proc
        with open(report, encoding="utf-8") as f:
            return json.load(f), proc


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conform", required=True, help="path of flake-conform")
    parser.add_argument("--sidecar", required=True, help="path of flake-sidecar")
    parser.add_argument("--expectations", default=os.path.join(HERE, "defect_expectations.tsv"))
    parser.add_argument("--only", action="append", default=[], help="run only this defect (repeatable)")
    parser.add_argument("--timeout", type=int, default=5000, help="flake-conform --timeout, ms")
    parser.add_argument("--known-failures", default=os.path.join(HERE, "reference_known_failures.txt"),
                        help="cases the clean reference fails (flake-conform --expected-failures)")
    args = parser.parse_args()

    expectations = load_expectations(args.expectations)
    defects = list_defects(args.sidecar)
    problems = []
    missing = [d for d in defects if d not in expectations]
    if missing:
        problems.append(f"defects without expectations in {args.expectations}: {', '.join(missing)}")
    stale = [d for d in expectations if d not in defects]
    if stale:
        problems.append(f"expectations for unknown defects: {', '.join(stale)}")

    with tempfile.NamedTemporaryFile("w", delete=False) as tok:
        tok.write(os.urandom(16).hex())
        token_file = tok.name
    try:
        for defect in defects:
            if args.only and defect not in args.only:
                continue
            if defect not in expectations:
                continue
            must, may = expectations[defect]
            report, proc = run_defect(args.conform, args.sidecar, token_file, defect, must + may,
                                      args.timeout, args.known_failures)
            if report is None:
                problems.append(f"{defect}: no report (exit {proc.returncode}): {proc.stderr[-500:]}")
                print(f"x {defect}: no report", flush=True)
                continue
            # Cases the clean reference is known to fail (listed in --known-failures) prove nothing.
            failed = [c["id"] for c in report["cases"]
                      if c["status"] == "fail" and not c.get("expectedFailure")]
            caught = [c for c in failed if any(matches(c, s) for s in must)]
            stray = [c for c in failed if not any(matches(c, s) for s in must + may)]
            ok = bool(caught) and not stray
            if not caught:
                problems.append(f"{defect}: no case of {','.join(must)} failed (the defect went unseen)")
            if stray:
                problems.append(f"{defect}: unexpected failures outside {','.join(must + may)}: "
                                f"{', '.join(stray)}")
            print(f"{'ok' if ok else 'x '} {defect}: caught by {', '.join(caught) or 'nothing'}"
                  + (f"; stray {', '.join(stray)}" if stray else ""), flush=True)
    finally:
        os.unlink(token_file)

    if problems:
        print("\nproblems:", *problems, sep="\n  ")
        return 1
    print(f"\nevery defect was caught by its rule's cases ({len(defects)} defects)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
