"""What CI systems read from flake-conform, checked the way they read it: JUnit XML as the Jenkins
xunit plugin's JUnit schema constrains it, the --summary Markdown table as GitHub and GitLab split
it, and the --annotations github workflow commands as the Actions runner parses them.

Shared by cli_check.py (sidecar mode) and client_cli_check.py (client mode).

The Jenkins constraints are those of junit-10.xsd in the jenkinsci/xunit-plugin repository
(src/main/resources/org/jenkinsci/plugins/xunit/types/model/xsd/junit-10.xsd, the version at
commit 031e285ef3b60dee7aaf36e9096d7dcd95ffae83). The schema is not copied here; the constraints
below restate the ones a report of ours could break.
"""
import re
import xml.etree.ElementTree as ET

# junit-10.xsd: the attributes each element may carry, those it must, the children it may hold.
JENKINS_ATTRIBUTES = {
    "testsuites": {"name", "time", "tests", "failures", "errors"},
    "testsuite": {"name", "tests", "failures", "errors", "group", "time", "skipped", "timestamp",
                  "hostname", "id", "package", "file", "log", "url"},
    "testcase": {"name", "time", "classname", "group"},
    "failure": {"type", "message"},
    "error": {"type", "message"},
    "skipped": {"type", "message"},
    "flakyFailure": {"type", "message"},
    "rerunFailure": {"type", "message"},
}
JENKINS_REQUIRED = {
    "testsuite": {"name", "tests", "failures", "errors"},
    "testcase": {"name"},
    "flakyFailure": {"type"},
    "rerunFailure": {"type"},
}
JENKINS_CHILDREN = {
    "testsuites": {"testsuite"},
    "testsuite": {"testsuite", "properties", "testcase", "system-out", "system-err"},
    "testcase": {"skipped", "error", "failure", "rerunFailure", "rerunError", "flakyFailure",
                 "flakyError", "system-out", "system-err"},
    "failure": set(), "error": set(), "skipped": set(), "system-out": set(), "system-err": set(),
    "flakyFailure": set(), "rerunFailure": set(),
}
# junit-10.xsd's SUREFIRE_TIME, the type of the time of testsuites and testsuite.
SUREFIRE_TIME = re.compile(r"(([0-9]{0,3},)*[0-9]{3}|[0-9]{0,3})*(\.[0-9]*)?")


def jenkins_junit_problems(xml_text):
    """The ways `xml_text` breaks the Jenkins JUnit schema, and counts that disagree with the
    elements they count (a consumer shows one or the other)."""
    problems = []
    root = ET.fromstring(xml_text)
    if root.tag != "testsuites":
        return [f"root element <{root.tag}>, want <testsuites>"]

    def walk(el):
        allowed = JENKINS_ATTRIBUTES.get(el.tag)
        if allowed is not None:
            extra = sorted(set(el.attrib) - allowed)
            if extra:
                problems.append(f"<{el.tag}> carries {extra}, which the Jenkins schema rejects")
        missing = sorted(JENKINS_REQUIRED.get(el.tag, set()) - set(el.attrib))
        if missing:
            problems.append(f"<{el.tag} name={el.get('name')!r}> lacks {missing}")
        if el.tag in ("testsuites", "testsuite") and "time" in el.attrib and \
                not SUREFIRE_TIME.fullmatch(el.get("time")):
            problems.append(f"<{el.tag}> time={el.get('time')!r} is no SUREFIRE_TIME")
        children = JENKINS_CHILDREN.get(el.tag)
        for child in el:
            if children is not None and child.tag not in children:
                problems.append(f"<{child.tag}> inside <{el.tag}>")
            walk(child)

    walk(root)
    sums = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for suite in root.iter("testsuite"):
        cases = suite.findall("testcase")
        counted = {"tests": len(cases),
                   "failures": sum(len(c.findall("failure")) for c in cases),
                   "errors": sum(len(c.findall("error")) for c in cases),
                   "skipped": sum(len(c.findall("skipped")) for c in cases)}
        for key, n in counted.items():
            if key in suite.attrib and suite.get(key) != str(n):
                problems.append(f"<testsuite name={suite.get('name')!r}> {key}={suite.get(key)} "
                                f"for {n} such elements")
            sums[key] += n
    for key, n in sums.items():
        if key in root.attrib and root.get(key) != str(n):
            problems.append(f"<testsuites> {key}={root.get(key)} for {n} in its suites")
    return problems


def junit_cases(xml_text):
    """{testcase name: 'failure' | 'error' | 'skipped' | 'pass'}, and the testcase elements by name."""
    kinds, elements = {}, {}
    for case in ET.fromstring(xml_text).iter("testcase"):
        kind = "pass"
        for k in ("failure", "error", "skipped"):
            if case.find(k) is not None:
                kind = k
        kinds[case.get("name")] = kind
        elements[case.get("name")] = case
    return kinds, elements


def split_row(line):
    """The cells of a Markdown table row, split at the pipes GFM splits at (not at '\\|')."""
    body = line.strip()
    if body.startswith("|"):
        body = body[1:]
    if body.endswith("|") and not body.endswith("\\|"):
        body = body[:-1]
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", body)]


def markdown_tables(text):
    """Each table of `text` as a list of rows of cells (header first, the delimiter row left out)."""
    tables, current = [], None
    for line in text.splitlines():
        if line.startswith("|"):
            if current is None:
                current = []
                tables.append(current)
            cells = split_row(line)
            if not all(re.fullmatch(r":?-+:?", c) for c in cells):
                current.append(cells)
        else:
            current = None
    return tables


def failure_table(text):
    """The table of failures of a --summary text: its rows as dicts keyed by the header, or None."""
    for table in markdown_tables(text):
        if table and table[0][:1] == ["ID"]:
            header = table[0]
            return header, [dict(zip(header, row)) for row in table[1:]], table
    return None


def summary_problems(text):
    """Rows of the summary's tables that a Markdown renderer would split differently from the
    header, and code spans left open (a stray backtick swallows the rest of the row)."""
    problems = []
    for table in markdown_tables(text):
        width = len(table[0])
        for row in table[1:]:
            if len(row) != width:
                problems.append(f"a row of {len(row)} cells under a header of {width}: {row[:3]}")
            for cell in row:
                if len(re.findall(r"(?<!\\)`", cell)) % 2:
                    problems.append(f"an unbalanced backtick in cell {cell[:80]!r}")
    return problems


def summary_cell_id(cell):
    """The case ID of a failures table's ID cell: `3.8/1`, possibly followed by a note."""
    m = re.match(r"`([^`]+)`", cell)
    return m.group(1) if m else cell


COMMAND = re.compile(r"^::(error|warning|notice)( [^:]*)?::(.*)$")


def annotations(stdout):
    """The GitHub workflow commands on `stdout`: (level, {property: value}, message), decoded."""
    found = []
    for line in stdout.splitlines():
        m = COMMAND.match(line)
        if not m:
            continue
        props = {}
        for part in (m.group(2) or "").strip().split(","):
            if part:
                key, _, value = part.partition("=")
                props[key] = decode_command(value)
        found.append((m.group(1), props, decode_command(m.group(3))))
    return found


def annotation_problems(stdout):
    """Workflow command lines that are not escaped as the runner expects: a '%' that starts no
    %25/%0D/%0A/%3A/%2C escape (the runner would decode it), or in a property a raw ':' or ','."""
    problems = []
    for line in stdout.splitlines():
        m = COMMAND.match(line)
        if not m:
            continue
        props, message = (m.group(2) or "").strip(), m.group(3)
        if re.search(r"%(?!25|0D|0A)", message):
            problems.append(f"a bare % in the message of {line[:120]!r}")
        for part in filter(None, props.split(",")):
            _, _, value = part.partition("=")
            if re.search(r"%(?!25|0D|0A|3A|2C)", value) or ":" in value:
                problems.append(f"an unescaped property in {line[:120]!r}")
    return problems


def decode_command(text):
    for escaped, raw in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(escaped, raw)
    return text
