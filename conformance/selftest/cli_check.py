#!/usr/bin/env python3
"""Checks flake-conform's promises to a CI job: its exit codes, its --expected-failures rules, and
that its --json and --junit reports validate against conformance/schemas/, that its --html page
is well formed with every case and failure, and that all of them keep the token out; the same for
the JSON and HTML reports of `flake-conform soak`.

Runs the harness against the reference sidecar (clean, and with --defect wrong-error-code so that
some cases fail), and two short soaks (clean with a restart, and with --defect seq-gap so that
notifications are lost). Exit status 0 when every check holds, 1 otherwise.
"""
import argparse
import html.parser
import json
import os
import subprocess
import sys
import tempfile

import jsonschema

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

    def spawn(self, *extra):
        return ["--spawn", f"'{self.sidecar}' --port {{port}} --conformance --token-file "
                           f"'{self.token_file}' " + " ".join(extra), "--token-file", self.token_file]

    def run(self, name, args, want_exit):
        proc = subprocess.run([self.conform, *args], capture_output=True, text=True, errors="replace",
                              timeout=300)
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
        with open(json_path, encoding="utf-8") as f:
            self.expect(f"{name}: reports keep the token out", TOKEN not in f.read() + xml,
                        "the token appears in a report")
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conform", required=True, help="path of flake-conform")
    parser.add_argument("--sidecar", required=True, help="path of flake-sidecar")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        c = Checker(args.conform, args.sidecar, tmp)
        listing = c.run("--list", ["--list"], 0).stdout
        c.expect("--list", "3.8/1" in listing and "MUST" in listing, "no 3.8/1 MUST line")

        # Exit 2: usage and connection errors.
        c.run("unknown option", ["--no-such-option"], 2)
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
        c.run("clean", c.spawn() + ["-s", "3.8", "-s", "5.4", "--json", json_path, "--junit", xml_path], 0)
        doc, xml = c.validate("clean")
        c.expect("clean: summary", doc["summary"]["failed"] == 0 and doc["summary"]["passed"] > 0,
                 json.dumps(doc["summary"]))
        c.expect("clean: token shown as <token>", any("<token>" in w for case in doc["cases"]
                                                      for w in case["wire"]), "no <token> in the wire logs")

        # Exit 1: a broken rule, named with its section, requirement, expected and actual.
        json_path, xml_path = c.reports("defect")
        html_path = os.path.join(tmp, "defect.html")
        proc = c.run("defect", c.spawn("--defect wrong-error-code") +
                     ["-s", "3.8", "-s", "3.1", "--json", json_path, "--junit", xml_path,
                      "--html", html_path], 1)
        doc, xml = c.validate("defect")
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
        c.expect("defect: JUnit failure", xml.count("<failure") == len(failed), f"{xml.count('<failure')} <failure> for {len(failed)}")

        # --expected-failures: listed failures are fine, a listed case that passes fails the run.
        listed = os.path.join(tmp, "expected.txt")
        with open(listed, "w", encoding="utf-8") as f:
            f.write("# the defect's cases\n" + "\n".join(sorted(failed)) + "\n")
        c.run("all failures listed", c.spawn("--defect wrong-error-code") +
              ["-s", "3.8", "-s", "3.1", "--expected-failures", listed], 0)
        json_path, xml_path = c.reports("stale")
        c.run("stale list", c.spawn() + ["-s", "3.8", "--expected-failures", listed, "--json", json_path,
                                         "--junit", xml_path], 1)
        doc, xml = c.validate("stale")
        c.expect("stale: unexpectedPasses", doc["summary"]["unexpectedPasses"] == len(failed),
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
    print("ok: exit codes 0/1/2/3, --expected-failures, JSON, JUnit and HTML reports valid, token redacted; "
          "soak JSON and HTML reports valid")
    return 0


if __name__ == "__main__":
    sys.exit(main())
