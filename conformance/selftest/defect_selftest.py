#!/usr/bin/env python3
"""Proves every conformance case can fail: runs flake-conform against the reference sidecar once per
defect switch (`flake-sidecar --defect NAME`) and checks, from the JSON report, that the cases of the
rule the defect breaks fail and that nothing outside the expected sections fails.

Expectations come from the defects' own tables, `flake-sidecar --list-defects --tsv` (generated from
reference/defects/defects.def) and `wire_defects.py --list --tsv`, one line per defect:
    name <TAB> section <TAB> must-fail selectors (comma-separated) <TAB> may-also-fail (comma-separated, or -) <TAB> description
--expectations FILE replaces them with a file of `name <TAB> must-fail <TAB> may-also-fail` lines.
A selector is a case ID ("4.5/1") or a section prefix ("4.5"). Each defect's run is limited to the
subsections its selectors name (--wide: their top-level sections), which keeps the self-test short.

Path-generic rules run once per path (IDs "3.4/7", "3.4/7@msgpack", "3.4/7@http"). Every defect whose
must-fail selectors cover such a rule also runs as NAME@text, NAME@msgpack, NAME@http and NAME@sse (the switch
acting on that path only): the cells of that path must fail and no other path's may, so every cell of
the transport matrix is shown failing under a one-path defect. A selector "SEL@PATH" names the cells
of one path.

Defects listed by wire_defects.py --list break transport rules that libwebsockets enforces below the
reference's code: they run through that loopback front, placed before the clean reference.

A defect whose must-fail is "soak:CHECK" shows only under load or over time, so it is skipped here:
the self-test of `flake-conform soak` shows its CHECK failing.

A full run (no --only) also checks that every case of flake-conform --list (MUST, SHOULD and PERF)
failed for some defect (or fails against the clean reference, as a listed known failure); known gaps are listed in
uncovered_must_cases.txt, and a listed case that is now shown failing must leave that list.

Exit status 0 when every defect behaves as expected, 1 otherwise, 2 on usage errors.
"""
import argparse
import concurrent.futures
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


PATHS = ("text", "msgpack", "http", "sse")


def split_path(name):
    """'3.4/7@msgpack' -> ('3.4/7', 'msgpack'); without '@' the path is None."""
    base, _, path = name.partition("@")
    return base, (path or None)


def matches(case_id, selector):
    """A case ID ("4.5/1"), a section prefix ("4.5") or either with "@PATH": then only the cells on
    that path match (text cells carry no suffix, so "@text" also matches every case of one path)."""
    selector, want_path = split_path(selector)
    case_id, case_path = split_path(case_id)
    if want_path is not None and (case_path or "text") != want_path:
        return False
    if "/" in selector:
        return case_id == selector
    section = case_id.split("/")[0]
    return section == selector or section.startswith(selector + ".")


def path_variants(expectations, cases, skip):
    """NAME@PATH for every defect whose must-fail selectors cover a cell of a path-generic rule on
    PATH: the switch acting on one path only must fail that path's cells and nothing on the others,
    which shows every cell of the transport matrix failing on its own."""
    generic = {split_path(c)[0] for c in cases if "@" in c}
    cells = {p: [c for c in cases if split_path(c)[0] in generic and (split_path(c)[1] or "text") == p]
             for p in PATHS}
    variants = {}
    for name, (must, may) in expectations.items():
        if name in skip:
            continue
        for p in PATHS:
            must_p = [f"{s}@{p}" for s in must if any(matches(c, s) for c in cells[p])]
            if must_p:
                variants[f"{name}@{p}"] = (must_p, [f"{s}@{p}" for s in may])
    return variants


def soak_only(must):
    """A defect whose must-fail selectors name soak checks ("soak:fd") and no conformance case."""
    return bool(must) and all(sel.startswith("soak:") for sel in must)


def split_selectors(s):
    return [] if s.strip() == "-" else [x.strip() for x in s.split(",") if x.strip()]


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
            table[name] = (split_selectors(must), split_selectors(may))
    return table


def parse_defect_tsv(out, source):
    """name -> (must, may) from a --list --tsv listing (name, section, must, may, description)."""
    table = {}
    for line in out.splitlines():
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 5:
            raise SystemExit(f"{source}: expected 5 tab-separated fields: {line!r}")
        table[fields[0]] = (split_selectors(fields[2]), split_selectors(fields[3]))
    return table


# Cases that take a second or more each by design (keepalive waits, ring fill-ups, slow peers; 9.14/1
# waits for an SSE heartbeat, 9.3/2 fills the connection cap with SSE streams, 4.11/2 waits for a
# clock shift): a defect run leaves them out unless the defect's own selectors name them.
SLOW_CASES = ["9.14/1", "9.3/2", "4.11/2", "7.2/1", "7.4/5", "7.6/1", "7.6/2", "7.6/3", "7.6/4",
              "7.6/5", "8.5/1"]

# The suite puts its own options where the command says {options} (docs/protocol.md §11.7): a small
# token bucket that 8.3/1 and 9.3/3 can empty and a 2 s ping interval for the §7.6 cases, and
# --conformance --rate 0 for the fresh process the performance cases run on. {options} comes last,
# after the command's own options, so that an option a case adds (--port, --token-file) wins.

# Cases that need a start without --port or --token-file, which only a command the suite composes
# can leave out (§11.7), or an option only the reference is known to take (14.1/2's opt-out): a
# defect with one of them runs with --reference instead of --spawn.
REFERENCE_ONLY_CASES = ["1.1/3", "4.1/2", "4.1/3", "14.1/2"]


# Transport rules that libwebsockets enforces below the reference's code are broken by a loopback
# "wire front" placed before the clean reference instead of by a --defect switch.
WIRE_FRONT = os.path.join(HERE, "wire_defects.py")


def read_case_list(path):
    """Case IDs of a file with one per line; # starts a comment. A missing file is an empty list."""
    if not os.path.exists(path):
        return set()
    with open(path, encoding="utf-8") as f:
        return {line.split("#")[0].strip() for line in f} - {""}


def list_defects(sidecar):
    out = subprocess.run([sidecar, "--list-defects"], check=True, capture_output=True, text=True).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def list_wire_defects():
    if not os.path.exists(WIRE_FRONT):
        return []
    out = subprocess.run([sys.executable, WIRE_FRONT, "--list"], check=True, capture_output=True,
                         text=True).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def table_expectations(sidecar):
    """Expectations as the defects declare them: the sidecar's defects.def and the wire front's table."""
    out = subprocess.run([sidecar, "--list-defects", "--tsv"], check=True, capture_output=True,
                         text=True).stdout
    table = parse_defect_tsv(out, f"{sidecar} --list-defects --tsv")
    if os.path.exists(WIRE_FRONT):
        out = subprocess.run([sys.executable, WIRE_FRONT, "--list", "--tsv"], check=True,
                             capture_output=True, text=True).stdout
        table.update(parse_defect_tsv(out, f"{WIRE_FRONT} --list --tsv"))
    return table


def all_cases(conform):
    """IDs of every case, from flake-conform --list ("  1.5/1    MUST    requirement")."""
    out = subprocess.run([conform, "--list"], check=True, capture_output=True, text=True).stdout
    return [f[0] for f in (line.split() for line in out.splitlines())
            if len(f) >= 2 and "/" in f[0] and f[1] in ("MUST", "SHOULD", "PERF")]


def run_defect(conform, sidecar, token_file, defect, selectors, timeout_ms, known_failures, wire,
               wide):
    # Narrow (the default): the subsections the selectors name. Wide: their top-level sections,
    # which also catches a defect breaking rules elsewhere in that section, at several times the cost.
    depth = 1 if wide else 2
    sections = sorted({".".join(split_path(s)[0].split("/")[0].split(".")[:depth])
                       for s in selectors})
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "report.json")
        clean = f"'{sidecar}' --token-file '{token_file}'"
        if wire:
            spawn = (f"'{sys.executable}' '{WIRE_FRONT}' --defect {defect} --port {{port}} -- "
                     f"{clean} --port 0 {{options}}")
        else:
            spawn = f"{clean} --port {{port}} --defect {defect} {{options}}"
        cmd = [conform, "--spawn", spawn, "--token-file", token_file]
        if not wire and any(matches(c, s) for c in REFERENCE_ONLY_CASES for s in selectors):
            cmd = [conform, "--reference", "--sidecar-bin", sidecar, "--sidecar-arg", "--defect",
                   "--sidecar-arg", defect]
        # A defect fails its cases every time; a rerun would only double the time of each failing
        # timing case (a keepalive case waits 30 s for a ping that never comes). cli_check.py shows
        # that a repeated failure survives the rerun.
        cmd += ["--json", report, "--timeout", str(timeout_ms), "--no-rerun"]
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
    parser.add_argument("--expectations",
                        help="a file of name/must-fail/may-also-fail lines to use instead of the "
                             "defects' --list --tsv tables")
    parser.add_argument("--only", action="append", default=[], help="run only this defect (repeatable)")
    parser.add_argument("--timeout", type=int, default=5000, help="flake-conform --timeout, ms")
    parser.add_argument("--jobs", type=int, default=2, help="defects run at the same time")
    parser.add_argument("--known-failures", default=os.path.join(HERE, "reference_known_failures.txt"),
                        help="cases the clean reference fails (flake-conform --expected-failures)")
    parser.add_argument("--wide", action="store_true",
                        help="run each defect against the whole top-level sections of its selectors")
    parser.add_argument("--uncovered", default=os.path.join(HERE, "uncovered_must_cases.txt"),
                        help="cases no defect shows failing yet (known gaps, one ID per line)")
    args = parser.parse_args()

    expectations = (load_expectations(args.expectations) if args.expectations
                    else table_expectations(args.sidecar))
    source = args.expectations or "--list-defects --tsv"
    wire_defects = list_wire_defects()
    defects = list_defects(args.sidecar) + wire_defects
    problems = []
    missing = [d for d in defects if d not in expectations]
    if missing:
        problems.append(f"defects without expectations in {source}: {', '.join(missing)}")
    stale = [d for d in expectations if d not in defects]
    if stale:
        problems.append(f"expectations for unknown defects: {', '.join(stale)}")

    with tempfile.NamedTemporaryFile("w", delete=False) as tok:
        tok.write(os.urandom(16).hex())
        token_file = tok.name
    # Soak-only defects pass the regular cases by design; the soak's self-test covers them.
    soak = {d for d, (must, _may) in expectations.items() if soak_only(must)}
    mixed = sorted(d for d, (must, _may) in expectations.items()
                   if d not in soak and any(sel.startswith("soak:") for sel in must))
    if mixed:
        problems.append("must-fail mixes soak checks and cases (a defect is either soak-only or "
                        f"not): {', '.join(mixed)}")
    # One-path variants (NAME@PATH) of the defects that break a path-generic rule.
    variants = path_variants(expectations, all_cases(args.conform), set(wire_defects) | soak)
    expectations.update(variants)
    chosen = [d for d in defects + sorted(variants)
              if (not args.only or d in args.only or split_path(d)[0] in args.only)
              and d in expectations]
    skipped = [d for d in chosen if d in soak]
    for d in skipped:
        print(f"-- {d}: skipped, must-fail {','.join(expectations[d][0])} names a check of "
              "flake-conform soak (the soak's self-test shows it failing)", flush=True)
    chosen = [d for d in chosen if d not in skipped]
    shown_failing = set()

    def judge(defect):
        """Runs one defect; returns (printed line, problems)."""
        must, may = expectations[defect]
        started = time.monotonic()
        report, proc = run_defect(args.conform, args.sidecar, token_file, defect, must + may,
                                  args.timeout, args.known_failures, defect in wire_defects, args.wide)
        took = f" ({time.monotonic() - started:.0f} s)"
        if report is None:
            return f"x  {defect}: no report", [f"{defect}: no report (exit {proc.returncode}): {proc.stderr[-500:]}"], []
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
                + (f"; stray {', '.join(stray)}" if stray else "") + took)
        # A case counts as shown failing only where it fails for its own rule (a must selector).
        return line, found, caught

    try:
        # Most of a run is waiting on timers (deadlines, pings, header timeouts), so runs overlap well.
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            for line, found, shown in pool.map(judge, chosen):
                print(line, flush=True)
                problems.extend(found)
                shown_failing.update(shown)
    finally:
        os.unlink(token_file)

    # The suite's promise: every case (MUST, SHOULD and PERF) can fail. Cases the clean reference already fails
    # (--known-failures) are shown failing by the reference itself: ctest's conformance.reference
    # runs them with that list, where a listed case that passes fails the run.
    if args.known_failures:
        shown_failing.update(read_case_list(args.known_failures))
    # Cases listed in --uncovered are known gaps; a listed case that is now shown failing must leave
    # the list, so it cannot go stale.
    if not args.only:
        gaps = read_case_list(args.uncovered)
        unshown = [c for c in all_cases(args.conform) if c not in shown_failing]
        new_gaps = [c for c in unshown if c not in gaps]
        if new_gaps:
            problems.append(f"cases that no defect showed failing ({len(new_gaps)}): "
                            + ", ".join(new_gaps))
        closed = sorted(gaps - set(unshown))
        if closed:
            problems.append(f"now shown failing, remove from {args.uncovered}: " + ", ".join(closed))
        if gaps & set(unshown):
            print(f"\ncases still without a defect (listed in {os.path.basename(args.uncovered)}): "
                  + ", ".join(c for c in unshown if c in gaps))

    if problems:
        print("\nproblems:", *problems, sep="\n  ")
        return 1
    left_to_soak = [d for d in defects if d in soak]
    print(f"\nevery defect was caught by its rule's cases ({len(defects) - len(left_to_soak)} "
          f"defects, {len(variants)} one-path variants; {len(left_to_soak)} soak-only defects "
          "left to the soak's self-test)"
          + ("" if args.only else "; every case not listed as a gap was shown failing"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
