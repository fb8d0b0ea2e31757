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
import concurrent.futures
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


# Cases that take a second or more each by design (keepalive waits, ring fill-ups, slow peers; 9.14/1
# waits for an SSE heartbeat, 9.3/2 fills the connection cap with SSE streams, 4.11/2 waits for a
# clock shift): a defect run leaves them out unless the defect's own selectors name them.
SLOW_CASES = ["9.14/1", "9.3/2", "4.11/2", "7.2/1", "7.4/5", "7.6/1", "7.6/2", "7.6/3", "7.6/4",
              "7.6/5", "8.5/1"]

# A rate the bucket can be emptied at even by a sanitizer build on a loaded machine (8.3/1 needs the
# sidecar to answer faster than it refills; the default 10,000/s is out of ASan's reach there), and a
# 2 s ping interval so the §7.6 keepalive cases take seconds.
RATE_ARGS = "--rate 1000 --burst 2000 --ping-interval-ms 2000"


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
        for slow in SLOW_CASES:
            if not any(matches(slow, s) for s in selectors):
                cmd += ["--exclude", slow]
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
    parser.add_argument("--jobs", type=int, default=2, help="defects run at the same time")
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
    chosen = [d for d in defects if (not args.only or d in args.only) and d in expectations]

    def judge(defect):
        """Runs one defect; returns (printed line, problems)."""
        must, may = expectations[defect]
        report, proc = run_defect(args.conform, args.sidecar, token_file, defect, must + may,
                                  args.timeout, args.known_failures)
        if report is None:
            return f"x  {defect}: no report", [f"{defect}: no report (exit {proc.returncode}): {proc.stderr[-500:]}"]
        # Cases the clean reference is known to fail (listed in --known-failures) prove nothing.
        failed = [c["id"] for c in report["cases"]
                  if c["status"] == "fail" and not c.get("expectedFailure")]
        caught = [c for c in failed if any(matches(c, s) for s in must)]
        # Every must-fail selector needs a failing case of its own: a defect listed against two rules
        # proves both cases can fail only if both do.
        unseen = [s for s in must if not any(matches(c, s) for c in failed)]
        stray = [c for c in failed if not any(matches(c, s) for s in must + may)]
        found = []
        if unseen:
            found.append(f"{defect}: nothing failed for {', '.join(unseen)} (the defect went unseen there)")
        if stray:
            found.append(f"{defect}: unexpected failures outside {','.join(must + may)}: {', '.join(stray)}")
        line = (f"{'x ' if found else 'ok'} {defect}: caught by {', '.join(caught) or 'nothing'}"
                + (f"; unseen {', '.join(unseen)}" if unseen else "")
                + (f"; stray {', '.join(stray)}" if stray else ""))
        return line, found

    try:
        # Most of a run is waiting on timers (deadlines, pings, header timeouts), so runs overlap well.
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            for line, found in pool.map(judge, chosen):
                print(line, flush=True)
                problems.extend(found)
    finally:
        os.unlink(token_file)

    if problems:
        print("\nproblems:", *problems, sep="\n  ")
        return 1
    print(f"\nevery defect was caught by its rule's cases ({len(defects)} defects)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
