#!/usr/bin/env python3
"""Checks docs/protocol.md's "Defect switches" table against reference/defects/defects.def, as
flake-sidecar --list-defects --tsv prints it: the same names, each row's "what the reference then
does" equal to the description (backticks aside) and its "rule broken" citing the section first
(a parenthesised note may follow, e.g. "§8.9 (§2.8)" or "§10.3 (P1)").

usage: defect_docs_table.py --sidecar PATH --docs docs/protocol.md    exit 0 = agree, 1 = a mismatch
"""
import argparse
import re
import subprocess
import sys

ROW = re.compile(r"^\| `([a-z0-9][a-z0-9.-]*)` \| (.*) \| (.*) \|$")
RULE = re.compile(r"^§(\d+(?:\.\d+)*)(?: \(.*\))?$")


def docs_rows(path):
    """Rows of the table that follows the **Defect switches.** paragraph, in order."""
    rows, inside = [], False
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("**Defect switches.**"):
                inside = True
            elif inside and line.startswith("| `") and not line.startswith("| `--"):
                m = ROW.match(line)
                if not m:
                    raise SystemExit(f"{path}: a defect row that is not `| name | does | rule |`: {line}")
                rows.append(m.groups())
            elif inside and rows and not line.startswith("|"):
                break
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sidecar", required=True)
    parser.add_argument("--docs", required=True)
    args = parser.parse_args()

    out = subprocess.run([args.sidecar, "--list-defects", "--tsv"], check=True, capture_output=True,
                         text=True).stdout
    defs = {}
    for line in out.splitlines():
        name, section, _must, _may, description = line.split("\t")
        defs[name] = (section, description)

    problems = []
    seen = set()
    for name, does, rule in docs_rows(args.docs):
        if name in seen:
            problems.append(f"row {name}: listed twice in the docs table")
        seen.add(name)
        if name not in defs:
            problems.append(f"row {name}: not a defect of defects.def")
            continue
        section, description = defs[name]
        if does.replace("`", "") != description:
            problems.append(f"row {name}: the docs say {does.replace('`', '')!r}, "
                            f"defects.def says {description!r}")
        m = RULE.match(rule)
        if not m or m.group(1) != section:
            problems.append(f"row {name}: the docs cite {rule!r}, defects.def's section is §{section}")
    for name in defs:
        if name not in seen:
            problems.append(f"row {name}: in defects.def but missing from the docs table")

    if problems:
        print(f"{args.docs} and reference/defects/defects.def disagree:", *problems, sep="\n  ")
        return 1
    print(f"the docs table agrees with defects.def ({len(defs)} defects)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
