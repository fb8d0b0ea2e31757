#!/usr/bin/env python3
"""Checks flake-conform's promises to a CI job: its exit codes, its --expected-failures rules, and
that its --json and --junit reports validate against conformance/schemas/ (the JUnit report also
against the constraints of the Jenkins xunit plugin's JUnit schema, named by case ID, red only
where the exit status is), that its --html page is well formed with every case and failure, that
the --summary Markdown and the --annotations github lines agree with the run, and that all of
them keep the token out; the same for the JSON and HTML reports of `flake-conform soak`; and
what a new user types first: both option value spellings, -V, --list --json (validated against
list.schema.json), the hint after a selection that matches nothing, counts in words, ASCII marks
outside UTF-8 locales, --help.

Runs the harness against the reference sidecar (clean, and with --defect wrong-error-code so that
some cases fail), and two short soaks (clean with a restart, and with --defect seq-gap so that
notifications are lost). Exit status 0 when every check holds, 1 otherwise.
"""
import argparse
import html.parser
import io
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
TOKEN = "c0ffee00c0ffee00c0ffee00c0ffee00"


class Checker:
    def __init__(self, conform, sidecar, tmp):
        self.conform, self.sidecar, self.tmp = conform, sidecar, tmp
        self.problems = []
        self.token_file = os.path.join(tmp, "token")
        with open(self.token_file, "w", encoding="utf-8") as f:
            f.write(TOKEN + "\n")
        with open(os.path.join(SCHEMAS, "report.schema.json"), encoding="utf-8") as f:
            self.schema = json.load(f)
        jsonschema.Draft202012Validator.check_schema(self.schema)
        with open(os.path.join(SCHEMAS, "soak-report.schema.json"), encoding="utf-8") as f:
            self.soak_schema = json.load(f)
        jsonschema.Draft202012Validator.check_schema(self.soak_schema)
        with open(os.path.join(SCHEMAS, "list.schema.json"), encoding="utf-8") as f:
            self.list_schema = json.load(f)
        jsonschema.Draft202012Validator.check_schema(self.list_schema)

    def spawn(self, *extra):
        return ["--spawn", f"'{self.sidecar}' --port {{port}} --conformance --token-file "
                           f"'{self.token_file}' " + " ".join(extra), "--token-file", self.token_file]

    def run(self, name, args, want_exit, env=None):
        proc = subprocess.run([self.conform, *args], capture_output=True, text=True, errors="replace",
                              timeout=300, env=env)
        if want_exit is not None and proc.returncode != want_exit:
            self.problems.append(f"{name}: exit {proc.returncode}, want {want_exit}\n"
                                 f"    stdout: {proc.stdout[-600:]}\n    stderr: {proc.stderr[-600:]}")
        return proc

    def expect(self, name, ok, detail=""):
        if not ok:
            self.problems.append(f"{name}: {detail}")

    def reports(self, name):
        return os.path.join(self.tmp, name + ".json"), os.path.join(self.tmp, name + ".xml")

    def validate(self, name):
        """Validates both reports of run `name`; returns the JSON document and the XML text."""
        json_path, xml_path = self.reports(name)
        if not (os.path.exists(json_path) and os.path.exists(xml_path)):
            self.expect(f"{name}: reports", False, "not written")
            return {"cases": [], "summary": {}}, "<testsuites/>"
        with open(json_path, encoding="utf-8") as f:
            doc = json.load(f)
        errors = sorted(jsonschema.Draft202012Validator(self.schema).iter_errors(doc), key=str)
        self.expect(f"{name}: JSON report", not errors,
                    "; ".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]))
        xsd = subprocess.run(["xmllint", "--noout", "--schema", os.path.join(SCHEMAS, "junit.xsd"),
                              xml_path], capture_output=True, text=True)
        self.expect(f"{name}: JUnit report", xsd.returncode == 0, xsd.stderr[-600:])
        with open(xml_path, encoding="utf-8") as f:
            xml = f.read()
        jenkins = ci_reports.jenkins_junit_problems(xml)
        self.expect(f"{name}: JUnit report, Jenkins schema", not jenkins, "; ".join(jenkins[:5]))
        # Test names are the stable case IDs, so that rewording a requirement keeps CI history.
        names = set(ci_reports.junit_cases(xml)[0])
        ids = {case["id"] for case in doc["cases"]}
        self.expect(f"{name}: JUnit test names are case IDs", names == ids,
                    f"names {sorted(names - ids)[:3]}, IDs {sorted(ids - names)[:3]}")
        with open(json_path, encoding="utf-8") as f:
            self.expect(f"{name}: reports keep the token out", TOKEN not in f.read() + xml,
                        "the token appears in a report")
        return doc, xml

    def check_junit_verdicts(self, name, xml, doc, strict):
        """Red in JUnit exactly where the run fails: a MUST/PERF failure and a listed case that
        passed are <failure>; a SHOULD failure is <failure> only with --strict (else <skipped>,
        saying so), an expected failure <skipped>."""
        kinds, elements = ci_reports.junit_cases(xml)
        for case in doc["cases"]:
            kind = kinds.get(case["id"])
            fails_run = (case["status"] == "fail" and not case["expectedFailure"] and
                         (case["tier"] != "SHOULD" or strict)) or \
                        (case["status"] == "pass" and case["expectedFailure"]) or \
                        (case["status"] == "unimplemented" and strict)
            want = "failure" if fails_run else "pass" if case["status"] == "pass" else "skipped"
            self.expect(f"{name}: JUnit {case['id']}", kind == want, f"<{kind}>, want <{want}>")
            el = elements.get(case["id"])
            if el is not None:
                body = "".join(el.itertext())
                self.expect(f"{name}: JUnit {case['id']} carries its requirement",
                            case["requirement"] in body, "requirement not in the testcase body")
            if el is not None and kind == "skipped" and case["status"] == "fail" and \
                    not case["expectedFailure"]:
                message = el.find("skipped").get("message", "")
                self.expect(f"{name}: JUnit {case['id']} says why it is skipped",
                            "SHOULD" in message and "--strict" in message, message[:200])

    def check_summary(self, name, path, doc, verdict):
        """The --summary Markdown of run `name` (the last one appended to `path`): the verdict,
        the counts of the JSON summary, one well-formed table row per failed case."""
        if not os.path.exists(path) or not doc["summary"]:
            self.expect(f"{name}: summary", False, "not written")
            return ""
        with open(path, encoding="utf-8") as f:
            text = f.read()
        self.expect(f"{name}: summary keeps the token out", TOKEN not in text, "the token appears")
        text = text[text.rfind("## flake-conform"):]
        self.expect(f"{name}: summary verdict", verdict in text.splitlines()[0] if text else False,
                    text[:200])
        problems = ci_reports.summary_problems(text)
        self.expect(f"{name}: summary tables", not problems, "; ".join(problems[:3]))
        s = doc["summary"]
        counts = [str(s[k]) for k in ("passed", "failed")] + \
            [str(sum(c["status"] == "fail" and not c["expectedFailure"] and c["tier"] == "SHOULD"
                     for c in doc["cases"]))] + [str(s[k]) for k in ("unimplemented", "skipped")]
        tables = ci_reports.markdown_tables(text)
        self.expect(f"{name}: summary counts", bool(tables) and tables[0][1:2] == [counts],
                    f"{tables[0] if tables else None}, want {counts}")
        failed = [c for c in doc["cases"] if c["status"] == "fail"]
        table = ci_reports.failure_table(text)
        if not failed:
            self.expect(f"{name}: summary has no failure table", table is None, "a failure table")
            return text
        if table is None:
            self.expect(f"{name}: summary failure table", False, "none")
            return text
        header, rows, _ = table
        self.expect(f"{name}: summary failure columns",
                    header == ["ID", "tier", "requirement", "expected", "actual"], str(header))
        listed = [ci_reports.summary_cell_id(r["ID"]) for r in rows]
        self.expect(f"{name}: summary lists each failure",
                    sorted(listed) == sorted(c["id"] for c in failed), f"{listed}")
        for row in rows:
            for cell in row.values():
                raw = re.sub(r"<br>", "", cell)
                self.expect(f"{name}: summary escapes markup", not re.search(r"(?<!\\)[<>]", raw),
                            f"raw < or > in {cell[:100]!r}")
        return text

    def check_annotations(self, name, stdout, doc, strict):
        """--annotations github: an ::error per case that fails the run, a ::warning per SHOULD
        failure that does not, titled with the case ID, the requirement in the message."""
        found = ci_reports.annotations(stdout)
        problems = ci_reports.annotation_problems(stdout)
        self.expect(f"{name}: annotations escaped", not problems, "; ".join(problems[:3]))
        errors = sorted(p.get("title", "") for level, p, _ in found if level == "error")
        warnings = sorted(p.get("title", "") for level, p, _ in found if level == "warning")
        failing = [c for c in doc["cases"] if c["status"] == "fail" and not c["expectedFailure"]]
        want_errors = sorted(c["id"] for c in failing if c["tier"] != "SHOULD" or strict) + \
            [c["id"] for c in doc["cases"] if c["status"] == "pass" and c["expectedFailure"]]
        want_warnings = sorted(c["id"] for c in failing if c["tier"] == "SHOULD" and not strict)
        self.expect(f"{name}: ::error lines", errors == sorted(want_errors),
                    f"{errors}, want {sorted(want_errors)}")
        self.expect(f"{name}: ::warning lines", warnings == want_warnings,
                    f"{warnings}, want {want_warnings}")
        by_id = {c["id"]: c for c in doc["cases"]}
        for _, props, message in found:
            case = by_id.get(props.get("title"))
            if case is not None:
                self.expect(f"{name}: annotation {case['id']} message", case["requirement"] in message,
                            message[:200])
        tail = stdout.rstrip("\n").splitlines()[-len(found):] if found else []
        self.expect(f"{name}: annotations come last", all(ci_reports.COMMAND.match(l) for l in tail),
                    "other output after the workflow commands")
        self.expect(f"{name}: annotations keep the token out", TOKEN not in stdout, "the token appears")

    def check_ci_reports(self, name, proc, summary_path, verdict, strict=False):
        """Validates run `name`'s reports and checks what CI shows of it: the JUnit verdicts, the
        --summary Markdown and the --annotations github lines. Returns the JSON document and XML."""
        doc, xml = self.validate(name)
        self.check_junit_verdicts(name, xml, doc, strict)
        self.check_summary(name, summary_path, doc, verdict)
        self.check_annotations(name, proc.stdout, doc, strict)
        return doc, xml

    def read_page(self, name, path):
        """An HTML report and its parse, with its nesting checked."""
        with open(path, encoding="utf-8") as f:
            page = f.read()
        parser = PageParser()
        try:
            parser.feed(page)
            parser.close()
        except AssertionError as e:
            self.expect(f"{name}: HTML nesting", False, str(e))
        self.expect(f"{name}: HTML closed", not parser.open, f"unclosed: {parser.open[-3:]}")
        return page, parser

    def check_html(self, name, path, doc):
        """The --html page of run `name`: well-nested markup, one anchor per case of the JSON report,
        the failures listed and linked, the transport matrix, and no token."""
        page, parser = self.read_page(name, path)
        ids = {case["id"] for case in doc["cases"]}
        missing = sorted(i for i in ids if f"case-{i}" not in parser.ids)
        self.expect(f"{name}: HTML has every case", not missing, f"no row for {missing[:5]}")
        failed = sorted(case["id"] for case in doc["cases"] if case["status"] == "fail")
        unlinked = [i for i in failed if f"#case-{i}" not in parser.links]
        self.expect(f"{name}: HTML links each failure", not unlinked, f"not linked: {unlinked}")
        if "matrix" in doc:
            self.expect(f"{name}: HTML matrix", "matrix" in parser.ids, "no transport matrix table")
        self.expect(f"{name}: HTML keeps the token out", TOKEN not in page, "the token appears")

    def soak(self, name, defect, soak_args):
        """Runs `flake-conform soak` on a sidecar it starts (with `defect`, if any); validates the
        JSON report against soak-report.schema.json and checks the HTML page against it. Returns
        the JSON document, or None when the soak did not run."""
        json_path, html_path = (os.path.join(self.tmp, name + ext) for ext in (".json", ".html"))
        proc = self.run(name, ["soak", *self.spawn(*defect), *soak_args, "--json", json_path,
                               "--html", html_path], None)
        if proc.returncode not in (0, 1):
            self.expect(f"{name}: exit 0 or 1", False, f"exit {proc.returncode}: {proc.stderr[-600:]}")
            return None
        with open(json_path, encoding="utf-8") as f:
            text = f.read()
        doc = json.loads(text)
        validator = jsonschema.Draft202012Validator(self.soak_schema)
        errors = sorted(validator.iter_errors(doc), key=str)
        self.expect(f"{name}: JSON report", not errors,
                    "; ".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]))
        self.expect(f"{name}: exit status and passed agree", (proc.returncode == 0) == doc["passed"],
                    f"exit {proc.returncode}, passed {doc['passed']}")
        # The schema names every check and a soak lists every check: a new check needs the schema.
        self.expect(f"{name}: the schema's checks", {c["check"] for c in doc["checks"]} ==
                    set(self.soak_schema["$defs"]["check"]["enum"]), json.dumps(doc["checks"])[:300])
        self.expect(f"{name}: the schema is strict", not validator.is_valid(dict(doc, unknown=1)),
                    "a report with an unknown field validates")
        self.expect(f"{name}: JSON keeps the token out", TOKEN not in text, "the token appears")

        page, parser = self.read_page(name, html_path)
        external = [m for m in ("http://", "https://", "src=", "<script", "<link", "url(") if m in page]
        self.expect(f"{name}: HTML stands alone", not external, f"found {external}")
        self.expect(f"{name}: HTML verdict", ("PASSED" if doc["passed"] else "FAILED") in page,
                    "no PASSED/FAILED matching the JSON report")
        plotted = sum(len(r[k]) >= 2 for r in doc["resources"] for k in ("rss_kib", "fds"))
        lines = page.count("<polyline ")
        self.expect(f"{name}: HTML plots", lines == plotted,
                    f"{lines} lines for {plotted} series of two samples or more")
        failed = sum(not c["passed"] for c in doc["checks"])
        marked, rows = page.count('class="failrow"'), page.count('class="detail"')
        self.expect(f"{name}: HTML failing checks", marked == failed,
                    f"{marked} marked rows for {failed} failed checks")
        self.expect(f"{name}: HTML findings", rows == len(doc["findings"]),
                    f"{rows} rows for {len(doc['findings'])} findings")
        self.expect(f"{name}: HTML keeps the token out", TOKEN not in page, "the token appears")
        return doc


def locale_env(**values):
    """The environment with LC_ALL, LC_CTYPE and LANG set to `values` only."""
    env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_CTYPE", "LANG")}
    env.update(values)
    return env


def read_json(c, name, path):
    """The JSON document at `path`, or an empty list (a problem) when there is none."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        c.expect(name, False, f"no JSON list: {e}")
        return {"cases": []}


def check_first_steps(c):
    """What a new user types first, one check per promise; all but the two tiny runs at the end are
    --list, --help and selection errors (no sidecar)."""
    # Option values: "--opt=VALUE" and, for -s and -x, "-sVALUE" mean what "--opt VALUE" does.
    spaced = c.run("--list -s 3.8 -x 3.8/2", ["--list", "-s", "3.8", "-x", "3.8/2"], 0).stdout
    c.expect("--list -s 3.8 -x 3.8/2", "3.8/1" in spaced and "3.8/2" not in spaced, spaced[-300:])
    for args in (["--list", "--select=3.8", "--exclude=3.8/2"], ["--list", "-s3.8", "-x3.8/2"]):
        out = c.run(" ".join(args), args, 0).stdout
        c.expect(" ".join(args), out == spaced, f"differs from -s 3.8 -x 3.8/2: {out[-300:]}")
    proc = c.run("--list=yes", ["--list=yes"], 2)
    c.expect("--list=yes", "--list takes no value" in proc.stderr, proc.stderr[-300:])

    # A selection that matches nothing names the selector and lists what there is to select.
    proc = c.run("empty selection: hint", ["--reference", "-s", "99.99"], 3)
    for word in ('"99.99" matches no case', "groups:", "auth", "large-data", "performance",
                 "sections:", "1, 2, 3, 4", "10, 11", "@msgpack"):
        c.expect("empty selection: hint", word in proc.stderr, f"no {word!r} in: {proc.stderr[-500:]}")

    # --list --json FILE: the listed cases as JSON, valid against list.schema.json.
    list_path = os.path.join(c.tmp, "list.json")
    listing = c.run("--list --json", ["--list", "-s", "3.4/7", "-s", "5.4", "--json", list_path], 0).stdout
    doc = read_json(c, "--list --json", list_path)
    validator = jsonschema.Draft202012Validator(c.list_schema)
    errors = sorted(validator.iter_errors(doc), key=str)
    c.expect("--list --json: schema", not errors,
             "; ".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]))
    listed = [line.split()[0] for line in listing.splitlines() if line.startswith("  ")]
    c.expect("--list --json: the listed cases", [case["id"] for case in doc["cases"]] == listed,
             f"{[case['id'] for case in doc['cases']]} vs {listed}")
    cell = next((case for case in doc["cases"] if case["id"] == "3.4/7@http"), {})
    c.expect("--list --json: a cell", cell.get("rule") == "3.4/7" and cell.get("path") == "http"
             and "msgpack" in cell.get("paths", []) and cell.get("tier") == "MUST"
             and cell.get("group") == "core" and cell.get("rules"), json.dumps(cell)[:300])
    c.expect("--list --json: the schema is strict", not validator.is_valid(dict(doc, unknown=1)),
             "a list with an unknown field validates")
    c.expect("--list --json: the report's groups",
             c.list_schema["$defs"]["case"]["properties"]["group"]["enum"] ==
             c.schema["$defs"]["case"]["properties"]["group"]["enum"], "the two schemas name other groups")
    whole = os.path.join(c.tmp, "list-all.json")
    count = (c.run("--list --json=FILE", ["--list", "--json=" + whole], 0).stdout.splitlines() or [""])[-1]
    doc = read_json(c, "--list --json=FILE", whole)
    errors = sorted(validator.iter_errors(doc), key=str)
    c.expect("--list --json=FILE: the whole catalogue", not errors and count == f"{len(doc['cases'])} cases",
             f"{count}; " + "; ".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]))

    # -V is --version.
    version = c.run("--version", ["--version"], 0).stdout
    c.expect("-V", c.run("-V", ["-V"], 0).stdout == version and "flake-conform" in version, version)

    # Counts in words agree in number.
    one = c.run("--list one case", ["--list", "-s", "3.8/1@http"], 0).stdout
    c.expect("--list: 1 case", one.endswith("\n1 case\n"), one[-200:])

    # --help tells all of the above.
    help_text = c.run("--help", ["--help"], 0).stdout
    for word in ("-V, --version", "--json=r.json", '"-s3.5"', "list.schema.json", "LC_ALL",
                 "plain ASCII", "the selectors that match nothing"):
        c.expect("--help", word in help_text, f"no mention of {word!r}")

    # Marks: ASCII unless the first of LC_ALL, LC_CTYPE and LANG that is set names UTF-8. One
    # failing cell shows every mark the run prints (case line, Failures block's rules).
    defect = c.spawn("--defect wrong-error-code") + ["-s", "3.8/1@http"]
    for name, env, utf8 in (("LANG=C", locale_env(LANG="C"), False),
                            ("nothing set", locale_env(), False),
                            ("LC_ALL=C over LANG=C.UTF-8", locale_env(LC_ALL="C", LANG="C.UTF-8"), False),
                            ("LC_CTYPE=en_US.utf8", locale_env(LC_CTYPE="en_US.utf8", LANG="C"), True)):
        out = c.run(f"marks, {name}", defect, 1, env).stdout
        if utf8:
            c.expect(f"marks, {name}", "\u00d7 3.8/1@http" in out and "\u00a73.8b" in out, out[:600])
        else:
            c.expect(f"marks, {name}", out.isascii() and "  FAIL 3.8/1@http" in out and
                     "rules:       3.8b" in out, out[:600])


class PageParser(html.parser.HTMLParser):
    """Collects element ids and link targets, and checks that elements nest."""
    VOID = {"meta", "br", "link", "img", "hr", "input"}

    def __init__(self):
        super().__init__()
        self.open, self.ids, self.links = [], set(), set()

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.open.append(tag)
        for key, value in attrs:
            if key == "id":
                self.ids.add(value)
            if key == "href":
                self.links.add(value)

    def handle_endtag(self, tag):
        assert self.open and self.open[-1] == tag, f"</{tag}> closes <{self.open[-1] if self.open else '-'}>"
        self.open.pop()


def check_rerun(c):
    """A timing-dependent case that fails every time (the slow-ping defect: every 20th system.ping
    15 ms late, so 10.3/1 misses its p99 bar) still fails with the rerun on: exit 1, both attempts in
    every report, the measurement kept; --no-rerun runs it once."""
    json_path, xml_path = c.reports("rerun")
    html_path = os.path.join(c.tmp, "rerun.html")
    md = os.path.join(c.tmp, "rerun.md")
    proc = c.run("rerun", c.spawn("--defect slow-ping") + ["-s", "10.3/1", "--json", json_path, "--junit",
                                                           xml_path, "--html", html_path, "--summary", md], 1)
    doc, xml = c.validate("rerun")
    c.check_junit_verdicts("rerun", xml, doc, False)
    case = doc["cases"][0] if doc["cases"] else {}
    rerun = case.get("rerun", {})
    c.expect("rerun: 10.3/1 failed twice", case.get("status") == "fail" and rerun.get("status") == "fail"
             and rerun.get("first", {}).get("actual", "").startswith("p99"), json.dumps(case)[:500])
    c.expect("rerun: measurement", case.get("measurement", {}).get("missesBar") is True
             and len(case.get("measurement", {}).get("quantiles", [])) >= 5, json.dumps(case.get("measurement"))[:300])
    c.expect("rerun: console", "failed twice" in proc.stdout, proc.stdout[-600:])
    c.expect("rerun: JUnit failure tells both", xml.count("<failure") == 1 and "first attempt" in xml, xml[-600:])
    c.expect("rerun: JUnit <rerunFailure>", xml.count("<rerunFailure") == 1, xml[-600:])
    if os.path.exists(md):
        with open(md, encoding="utf-8") as f:
            c.expect("rerun: summary", "failed twice; first attempt" in f.read(), "no first attempt in --summary")
    if doc["cases"]:
        c.check_html("rerun", html_path, doc)
        page, _ = c.read_page("rerun", html_path)
        c.expect("rerun: HTML plot", page.count("<svg") == 1 and "failed twice" in page and "<script" not in page,
                 "no single plot, no 'failed twice', or a script")

    json_path, xml_path = c.reports("no-rerun")
    proc = c.run("--no-rerun", c.spawn("--defect slow-ping") + ["-s", "10.3/1", "--no-rerun", "--json", json_path,
                                                                "--junit", xml_path], 1)
    doc, _ = c.validate("no-rerun")
    c.expect("--no-rerun: run once", doc["cases"] and "rerun" not in doc["cases"][0]
             and doc["cases"][0]["status"] == "fail" and "failed twice" not in proc.stdout,
             json.dumps(doc["cases"])[:300])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conform", required=True, help="path of flake-conform")
    parser.add_argument("--sidecar", required=True, help="path of flake-sidecar")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        c = Checker(args.conform, args.sidecar, tmp)
        listing = c.run("--list", ["--list"], 0).stdout
        c.expect("--list", "3.8/1" in listing and "MUST" in listing, "no 3.8/1 MUST line")
        check_first_steps(c)

        help_text = c.run("--help", ["--help"], 0).stdout
        for word in ("--summary FILE", "--annotations github", "GITHUB_STEP_SUMMARY", "::error",
                     "::warning", "--no-rerun"):
            c.expect("--help", word in help_text, f"no mention of {word}")

        # Exit 2: usage and connection errors.
        c.run("unknown option", ["--no-such-option"], 2)
        bad = c.run("--annotations gitlab", ["--reference", "--annotations", "gitlab"], 2)
        c.expect("--annotations gitlab", "github" in bad.stderr, bad.stderr[-300:])
        c.run("no target", ["-s", "3.8"], 2)
        c.run("unreachable URL", ["ws://127.0.0.1:1/rpc", "--token", TOKEN, "--timeout", "1000"], 2)
        wrong = c.spawn()
        wrong[wrong.index("--token-file"):] = ["--token", "0" * 32]
        c.run("wrong token", wrong + ["-s", "3.8"], 2)

        c.run("--pid with --spawn", c.spawn() + ["--pid", str(os.getpid()), "-s", "3.8"], 2)

        # --pid: a URL target's RSS is read from /proc (10.7/1 runs instead of being skipped).
        sidecar = subprocess.Popen([args.sidecar, "--port", "0", "--conformance", "--token-file", c.token_file],
                                   stdout=subprocess.PIPE, text=True)
        try:
            line = sidecar.stdout.readline()
            url = line.split("listening on ", 1)[-1].strip()
            c.run("--pid of no process", [url, "--token-file", c.token_file, "--pid", "999999999"], 2)
            # A URL without /rpc: a usage error that names the URL to try.
            root = url.rsplit("/", 1)[0] + "/"
            proc = c.run("URL without /rpc", [root, "--token-file", c.token_file, "-s", "3.8"], 2)
            c.expect("URL without /rpc: hint", f"try {url}" in proc.stderr, proc.stderr[-300:])
            json_path, _ = c.reports("pid")
            # Measured, not skipped; whether it passes depends on the build (ASan's RSS is ~150 MiB).
            proc = c.run("--pid", [url, "--token-file", c.token_file, "--pid", str(sidecar.pid), "-s", "10.7",
                                   "--json", json_path], None)
            with open(json_path, encoding="utf-8") as f:
                p5 = json.load(f)["cases"][0]
            measured = p5["status"] == "pass" and "peak RSS" in p5.get("detail", "") or \
                p5["status"] == "fail" and p5.get("actual", "").startswith("peak ")
            c.expect("--pid: 10.7/1 measured", measured and proc.returncode == (0 if p5["status"] == "pass" else 1),
                     f"exit {proc.returncode}: " + json.dumps(p5)[:300])
        finally:
            sidecar.terminate()
            sidecar.wait(timeout=10)

        # Exit 3: nothing selected.
        c.run("empty selection", ["--reference", "-s", "99.99"], 3)

        # Exit 0, with both reports.
        json_path, xml_path = c.reports("clean")
        summary_path = os.path.join(tmp, "summary.md")
        proc = c.run("clean", c.spawn() + ["-s", "3.8", "-s", "5.4", "--json", json_path, "--junit", xml_path,
                                           "--summary", summary_path, "--annotations", "github"], 0)
        doc, xml = c.check_ci_reports("clean", proc, summary_path, "PASSED")
        c.expect("clean: summary", doc["summary"].get("failed") == 0 and doc["summary"].get("passed", 0) > 0,
                 json.dumps(doc["summary"]))
        c.expect("clean: token shown as <token>", any("<token>" in w for case in doc["cases"]
                                                      for w in case["wire"]), "no <token> in the wire logs")

        # A token written into the --spawn command stays out of the console and the reports.
        json_path, xml_path = c.reports("inline-token")
        proc = c.run("inline token", ["--spawn", f"env FLAKE_SIDECAR_TOKEN={TOKEN} '{args.sidecar}' --port {{port}} "
                                      "--conformance", "--token", TOKEN, "-s", "3.8", "--json", json_path,
                                      "--junit", xml_path], 0)
        c.validate("inline-token")
        c.expect("inline token: console keeps the token out", TOKEN not in proc.stdout + proc.stderr,
                 "the token appears on the console")

        # Exit 1: a broken rule, named with its section, requirement, expected and actual.
        json_path, xml_path = c.reports("defect")
        html_path = os.path.join(tmp, "defect.html")
        proc = c.run("defect", c.spawn("--defect wrong-error-code") +
                     ["-s", "3.8", "-s", "3.1", "--json", json_path, "--junit", xml_path,
                      "--html", html_path, "--summary", summary_path, "--annotations", "github"], 1)
        doc, xml = c.check_ci_reports("defect", proc, summary_path, "FAILED")
        with open(summary_path, encoding="utf-8") if os.path.exists(summary_path) else io.StringIO() as f:
            c.expect("summary is appended to", f.read().count("## flake-conform") == 2,
                     "not two runs' summaries")
        if doc["cases"]:
            c.check_html("defect", html_path, doc)
        failed = {case["id"]: case for case in doc["cases"] if case["status"] == "fail"}
        c.expect("defect: 3.8/1 fails", "3.8/1" in failed, f"failed: {sorted(failed)}")
        c.expect("defect: only 3.8 fails", all(i.startswith("3.8/") for i in failed), f"failed: {sorted(failed)}")
        if "3.8/1" in failed:
            case = failed["3.8/1"]
            c.expect("defect: console names the rule", "3.8/1" in proc.stdout and case["requirement"] in proc.stdout,
                     "the Failures block lacks the case ID or requirement")
            c.expect("defect: expected/actual", "-32601" in case["expected"] and "-32600" in case["actual"],
                     json.dumps(case)[:400])
        must = [i for i, case in failed.items() if case["tier"] != "SHOULD"]
        c.expect("defect: a SHOULD case fails too", len(must) < len(failed), f"failed: {sorted(failed)}")
        c.expect("defect: JUnit failure", xml.count("<failure") == len(must),
                 f"{xml.count('<failure')} <failure> for {len(must)} MUST failures")

        check_rerun(c)

        # SHOULD failures alone: exit 0, and no JUnit consumer, summary or annotation turns red;
        # with --strict all of them do.
        should = sorted(i for i, case in failed.items() if case["tier"] == "SHOULD")
        for strict in (False, True) if should else ():
            name = "should-strict" if strict else "should"
            json_path, xml_path = c.reports(name)
            md = os.path.join(tmp, f"should-{strict}.md")
            proc = c.run(name, c.spawn("--defect wrong-error-code") +
                         [*(a for i in should for a in ("-s", i)), "--json", json_path, "--junit", xml_path,
                          "--summary", md, "--annotations", "github", *(["--strict"] if strict else [])],
                         1 if strict else 0)
            c.check_ci_reports(name, proc, md, "FAILED" if strict else "PASSED", strict)

        # --expected-failures: listed failures are fine, a listed case that passes fails the run.
        listed = os.path.join(tmp, "expected.txt")
        with open(listed, "w", encoding="utf-8") as f:
            f.write("# the defect's cases\n" + "\n".join(sorted(failed)) + "\n")
        json_path, xml_path = c.reports("listed")
        listed_md = os.path.join(tmp, "listed.md")
        proc = c.run("all failures listed", c.spawn("--defect wrong-error-code") +
                     ["-s", "3.8", "-s", "3.1", "--expected-failures", listed, "--json", json_path,
                      "--junit", xml_path, "--summary", listed_md, "--annotations", "github"], 0)
        doc, xml = c.check_ci_reports("listed", proc, listed_md, "PASSED")
        json_path, xml_path = c.reports("stale")
        c.run("stale list", c.spawn() + ["-s", "3.8", "--expected-failures", listed, "--json", json_path,
                                         "--junit", xml_path], 1)
        doc, xml = c.validate("stale")
        c.check_junit_verdicts("stale", xml, doc, False)
        c.expect("stale: unexpectedPasses", doc["summary"].get("unexpectedPasses") == len(failed),
                 json.dumps(doc["summary"]))
        c.expect("stale: JUnit shows them as failures", xml.count("<failure") == len(failed),
                 f"{xml.count('<failure')} <failure> elements")

        # flake-conform soak: a clean run with a restart (two processes, two series), then one
        # whose sidecar skips seqs, so that checks fail and findings name clients.
        c.soak("soak", [], ["-n", "4", "--duration", "8", "--restart-every", "5", "--seed", "1"])
        doc = c.soak("soak-defect", ["--defect seq-gap"],
                     ["-n", "4", "--duration", "4", "--restart-every", "0", "--seed", "1"])
        if doc is not None:
            failed = [check["check"] for check in doc["checks"] if not check["passed"]]
            c.expect("soak-defect: loss found", "loss" in failed and not doc["passed"], f"failed: {failed}")
            c.expect("soak-defect: findings name clients", any("client" in f for f in doc["findings"]),
                     json.dumps(doc["findings"])[:300])

    for p in c.problems:
        print("x", p)
    if c.problems:
        return 1
    print("ok: exit codes 0/1/2/3, --expected-failures, JSON, JUnit (also Jenkins) and HTML reports valid, "
          "a timing case failing twice under a defect still fails (--no-rerun: once), "
          "--summary and --annotations github agree with the run, token redacted; "
          "soak JSON and HTML reports valid; option spellings, -V, --list --json, selection hints, counts, "
          "ASCII marks, --help")
    return 0


if __name__ == "__main__":
    sys.exit(main())
