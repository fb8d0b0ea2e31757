#!/usr/bin/env python3
"""Checks flake-conform client's promises to a CI job without any real client: --help and --list,
usage errors (exit 2), no match (exit 3), SHOULD failures failing only under --strict, a MUST failure
(exit 1), --expected-failures (a stale entry fails the run), --json / --junit reports that
validate against conformance/schemas/ (JUnit also against the Jenkins xunit plugin's constraints,
red only where the exit status is), --summary and --annotations github agreeing with the run, and
all of them keeping the run's token out; and what a new user types first: both option value
spellings, --list --json, the hint after a selection that matches nothing, counts in words, ASCII
marks outside UTF-8 locales.

The drivers are one-line shell commands that never connect, so every selected case fails; which
exit status follows is what is checked. Exit status 0 when every check holds, 1 otherwise.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

import jsonschema

import ci_reports

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMAS = os.path.join(os.path.dirname(HERE), "schemas")


class Checker:
    def __init__(self, conform, tmp):
        self.conform, self.tmp = conform, tmp
        self.problems = []
        with open(os.path.join(SCHEMAS, "report.schema.json"), encoding="utf-8") as f:
            self.schema = json.load(f)
        with open(os.path.join(SCHEMAS, "list.schema.json"), encoding="utf-8") as f:
            self.list_schema = json.load(f)

    def run(self, name, args, want_exit, env=None):
        proc = subprocess.run([self.conform, "client", *args], capture_output=True, text=True,
                              errors="replace", timeout=120, env=env)
        if proc.returncode != want_exit:
            self.problems.append(f"{name}: exit {proc.returncode}, want {want_exit}\n"
                                 f"    stdout: {proc.stdout[-600:]}\n    stderr: {proc.stderr[-600:]}")
        return proc

    def expect(self, name, ok, detail=""):
        if not ok:
            self.problems.append(f"{name}: {detail}")

    def read(self, path, missing):
        """The text of a report file, or `missing` (noted as a problem) when none was written."""
        if not os.path.exists(path):
            self.problems.append(f"{path}: not written")
            return missing
        with open(path, encoding="utf-8") as f:
            return f.read()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conform", required=True, help="path of flake-conform")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        c = Checker(args.conform, tmp)
        # A driver that records the token it was given (to look for it in the reports), says so on
        # stderr and stdout, and never connects.
        token_file = os.path.join(tmp, "token")
        silent = f"echo {{token}} > '{token_file}'; echo \"token {{token}}\" >&2; echo \"{{token}}\"; sleep 30"
        quick = ["--timeout", "300"]

        help_text = c.run("--help", ["--help"], 0).stdout
        for word in ("--spawn", "--reference", "--client-arg", "--driver-bin", "{url}", "{token}",
                     "FLAKE_BACKOFF_BASE_MS", "--expected-failures", "--strict", "--summary FILE",
                     "--annotations github", "--json=r.json",
                     '"-sC7.7"', "list.schema.json", "LC_ALL", "plain ASCII",
                     "the selectors that match nothing"):
            c.expect("--help", word in help_text, f"no mention of {word}")
        listing = c.run("--list", ["--list"], 0).stdout
        c.expect("--list", "C7.7/5" in listing and "30 cases" in listing, listing[-300:])
        c.expect("--list -s C2", "3 cases" in c.run("--list -s C2", ["--list", "-s", "C2"], 0).stdout)
        # Option values: "--opt=VALUE" and "-sVALUE"/"-xVALUE" mean what "--opt VALUE" does.
        spaced = c.run("--list -s C2 -x C2.5/1", ["--list", "-s", "C2", "-x", "C2.5/1"], 0).stdout
        for forms in (["--select=C2", "--exclude=C2.5/1"], ["-sC2", "-xC2.5/1"]):
            out = c.run(" ".join(forms), ["--list", *forms], 0).stdout
            c.expect(" ".join(forms), out == spaced and "2 cases" in out, out[-300:])
        c.expect("--list: 1 case", c.run("--list -s C2.5/3", ["--list", "-s", "C2.5/3"], 0)
                 .stdout.endswith("\n1 case\n"), "no \"1 case\" line")
        # --list --json FILE: the listed cases as JSON, valid against list.schema.json.
        list_path = os.path.join(tmp, "list.json")
        c.run("--list --json", ["--list", "-s", "C7", "--json=" + list_path], 0)
        try:
            with open(list_path, encoding="utf-8") as f:
                doc = json.load(f)
        except (OSError, ValueError) as e:
            doc = {}
            c.expect("--list --json", False, f"no JSON list: {e}")
        errors = sorted(jsonschema.Draft202012Validator(c.list_schema).iter_errors(doc), key=str)
        c.expect("--list --json: schema", not errors,
                 "; ".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]))
        c.expect("--list --json: C7 cases", doc.get("cases") and
                 all(case["id"].startswith("C7.") and case["group"] == "client" for case in doc["cases"]),
                 json.dumps(doc)[:300])
        c.run("no driver", [], 2)
        c.run("both drivers", ["--spawn", "x", "--reference"], 2)
        c.run("--client-arg without --reference", ["--spawn", "x", "--client-arg", "y"], 2)
        c.run("unknown option", ["--spawn", "x", "--frobnicate"], 2)
        bad = c.run("--annotations gitlab", ["--spawn", "x", "--annotations", "gitlab"], 2)
        c.expect("--annotations gitlab", "github" in bad.stderr, bad.stderr[-300:])
        c.run("missing reference driver", ["--reference", "--driver-bin", "/nonexistent/driver"], 2)
        proc = c.run("no match", ["--spawn", "x", "-s", "C99"], 3)
        for word in ('"C99" matches no case', "groups:   client", "sections: C1, C2, C3"):
            c.expect("no match: hint", word in proc.stderr, f"no {word!r} in: {proc.stderr[-400:]}")
        c.run("bad expected-failures file", ["--spawn", "x", "--expected-failures",
                                             os.path.join(tmp, "missing.txt")], 2)

        # SHOULD failures: exit 0, and 1 under --strict; JUnit, the summary and the annotations
        # turn red exactly when the exit status does.
        for strict in (False, True):
            name = "SHOULD failure" + (", --strict" if strict else "")
            xml_path, md_path = os.path.join(tmp, f"s{strict}.xml"), os.path.join(tmp, f"s{strict}.md")
            out = c.run(name, ["--spawn", silent, "-s", "C4.6/2", *quick, "--junit", xml_path,
                               "--summary", md_path, "--annotations", "github",
                               *(["--strict"] if strict else [])], 1 if strict else 0).stdout
            kinds = ci_reports.junit_cases(c.read(xml_path, "<testsuites/>"))[0]
            c.expect(f"{name}: JUnit", kinds == {"C4.6/2": "failure" if strict else "skipped"}, str(kinds))
            found = [(level, p.get("title")) for level, p, _ in ci_reports.annotations(out)]
            c.expect(f"{name}: annotations", found == [("error" if strict else "warning", "C4.6/2")],
                     str(found))
            summary = c.read(md_path, "")
            c.expect(f"{name}: summary verdict", ("FAILED" if strict else "PASSED") in summary[:200],
                     summary[:200])
        out = c.run("SHOULD failure, counted", ["--spawn", silent, "-s", "C4.6/2", *quick], 0).stdout
        c.expect("SHOULD failure: counts", "client: 1 case," in out and
                 "1 failure in the SHOULD tier" in out, out[-400:])
        # Marks: ASCII unless the first of LC_ALL, LC_CTYPE and LANG that is set names UTF-8.
        env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_CTYPE", "LANG")}
        out = c.run("SHOULD failure, LANG=C", ["--spawn", silent, "-s", "C4.6/2", *quick], 0,
                    dict(env, LANG="C")).stdout
        c.expect("SHOULD failure, LANG=C: ASCII marks", out.isascii() and "  FAIL C4.6/2" in out, out[:400])
        out = c.run("SHOULD failure, LANG=C.UTF-8", ["--spawn", silent, "-s", "C4.6/2", *quick], 0,
                    dict(env, LANG="C.UTF-8")).stdout
        c.expect("SHOULD failure, LANG=C.UTF-8: marks", "\u00d7 C4.6/2" in out, out[:400])
        # A MUST failure, with both reports.
        json_path, xml_path = os.path.join(tmp, "r.json"), os.path.join(tmp, "r.xml")
        md_path = os.path.join(tmp, "r.md")
        out = c.run("MUST failure", ["--spawn", silent, "-s", "C2.5/3", "-s", "C4.6/2", *quick,
                                     "--json", json_path, "--junit", xml_path, "--summary", md_path,
                                     "--annotations", "github"], 1).stdout
        c.expect("MUST failure", "stderr| token" in out, "the driver's stderr is not shown")
        doc = json.loads(c.read(json_path, "{}"))
        errors = sorted(jsonschema.Draft202012Validator(c.schema).iter_errors(doc), key=str)
        c.expect("JSON report", not errors,
                 "; ".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]))
        groups = {case["group"] for case in doc.get("cases", [])}
        c.expect("JSON report", groups == {"client"}, f"groups {groups}")
        xsd = subprocess.run(["xmllint", "--noout", "--schema", os.path.join(SCHEMAS, "junit.xsd"),
                              xml_path], capture_output=True, text=True)
        c.expect("JUnit report", xsd.returncode == 0, xsd.stderr[-600:])
        xml = c.read(xml_path, "<testsuites/>")
        jenkins = ci_reports.jenkins_junit_problems(xml)
        c.expect("JUnit report, Jenkins schema", not jenkins, "; ".join(jenkins[:5]))
        kinds = ci_reports.junit_cases(xml)[0]
        c.expect("JUnit: named by case ID, red where the run is",
                 kinds == {"C2.5/3": "failure", "C4.6/2": "skipped"}, str(kinds))
        # The summary names the driver command, whose quotes, '>' and braces must stay text.
        summary = c.read(md_path, "")
        c.expect("summary verdict", "FAILED" in summary[:200], summary[:200])
        problems = ci_reports.summary_problems(summary)
        c.expect("summary tables", not problems, "; ".join(problems[:3]))
        c.expect("summary escapes markup", not re.search(r"(?<!\\)[<>]", summary.replace("<br>", "")),
                 summary[:400])
        table = ci_reports.failure_table(summary)
        ids = sorted(ci_reports.summary_cell_id(r["ID"]) for r in table[1]) if table else []
        c.expect("summary failure table", ids == ["C2.5/3", "C4.6/2"], str(ids))
        found = [(level, p.get("title")) for level, p, _ in ci_reports.annotations(out)]
        c.expect("annotations", found == [("error", "C2.5/3"), ("warning", "C4.6/2")], str(found))
        token = c.read(token_file, "").strip()
        text = c.read(json_path, "") + c.read(xml_path, "") + c.read(md_path, "")
        c.expect("reports keep the token out", len(token) >= 8 and token not in text,
                 "the token appears in a report")
        c.expect("reports keep the token out", token not in out, "the token appears on the console")

        # --expected-failures: a listed failure passes the run; a listed case that passes fails it
        # (a case that cannot pass here stands in: C1.7/1 is skipped, which is not a pass).
        listed = os.path.join(tmp, "expected.txt")
        with open(listed, "w", encoding="utf-8") as f:
            f.write("# known\nC2.5/3\n")
        c.run("expected failure", ["--spawn", silent, "-s", "C2.5/3", *quick,
                                   "--expected-failures", listed], 0)
        # A line that is not a §13.4 event is shown as such in the record.
        out = c.run("malformed line", ["--spawn", "echo hello; sleep 30", "-s", "C2.5/1", *quick], 1).stdout
        c.expect("malformed line", "MALFORMED (not JSON) hello" in out, out[-400:])

    for p in c.problems:
        print("FAIL " + p)
    print(f"client_cli_check: {len(c.problems)} problem(s)")
    return 1 if c.problems else 0


if __name__ == "__main__":
    sys.exit(main())
