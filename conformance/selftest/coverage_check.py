#!/usr/bin/env python3
"""Checks the traceability matrix: every rule of docs/protocol.md has a case or a reason
(`flake-conform --coverage-markdown` exits 0), docs/coverage.md is what the binary generates, and
the check can fail: a spec with one more normative bullet, untagged or tagged without a case, makes
it exit 1 naming that bullet.

Exit status 0 when every check holds, 1 otherwise.
"""
import argparse
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SPEC = os.path.join(ROOT, "docs", "protocol.md")
PAGE = os.path.join(ROOT, "docs", "coverage.md")
REGENERATE = "flake-conform --coverage-markdown docs/coverage.md"


def run(conform, *args):
    p = subprocess.run([conform, *args], capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout + p.stderr


def with_extra_bullet(tmp, name, bullet):
    """The spec with `bullet` added at the end of §3.4, written to tmp/name."""
    with open(SPEC, encoding="utf-8") as f:
        text = f.read()
    anchor = "\n### 3.5 "
    assert anchor in text, "docs/protocol.md has no §3.5 heading"
    path = os.path.join(tmp, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text.replace(anchor, "\n" + bullet + "\n" + anchor, 1))
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--conform", required=True, help="the flake-conform binary")
    args = ap.parse_args()
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        page = os.path.join(tmp, "coverage.md")
        rc, out = run(args.conform, "--coverage-markdown", page)
        if rc != 0:
            problems.append("the matrix is unsound (exit %d):\n%s" % (rc, out))
        elif not os.path.exists(PAGE):
            problems.append("docs/coverage.md is missing; write it with: " + REGENERATE)
        else:
            with open(page, encoding="utf-8") as a, open(PAGE, encoding="utf-8") as b:
                if a.read() != b.read():
                    problems.append("docs/coverage.md is out of date; regenerate it with: " +
                                    REGENERATE)

        untagged = with_extra_bullet(tmp, "untagged.md",
                                     "- The sidecar **MUST** answer a rule nobody tagged.")
        rc, out = run(args.conform, "--coverage", "--spec", untagged)
        if rc != 1 or "has no rule ID" not in out:
            problems.append("an untagged normative bullet did not fail the check (exit %d)" % rc)

        unchecked = with_extra_bullet(tmp, "unchecked.md",
                                      "- [3.4zz] The sidecar **MUST** obey a rule no case checks.")
        rc, out = run(args.conform, "--coverage", "--spec", unchecked)
        if rc != 1 or "§3.4zz" not in out or "has no case and no reason" not in out:
            problems.append("a rule without a case or reason did not fail the check (exit %d)" % rc)

    for p in problems:
        print("FAIL:", p)
    print("coverage check: %s" % ("ok" if not problems else "%d problem(s)" % len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
