"""The plugin itself: a defect-switched reference must fail the scenario that covers the broken
rule, --flake-exclude must skip a group cleanly, and a mistyped group must stop the run."""
import json
import os
import subprocess
import sys
from pathlib import Path

import flakeconform
import pytest

HERE = Path(__file__).resolve().parent


def run_pytest(*args, sidecar_bin=None, timeout=60):
    env = dict(os.environ, FLAKE_PYTOOLS_PATH=os.path.dirname(os.path.abspath(flakeconform.__file__)))
    if sidecar_bin:
        env["FLAKE_SIDECAR_BIN"] = sidecar_bin
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=HERE.parent, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def reference_bin(flake_settings):
    if not os.access(flake_settings.bin, os.X_OK):
        pytest.skip(f"needs the reference sidecar ({flake_settings.bin})")
    return flake_settings.bin


def test_resume_scenario_fails_against_a_resume_duplicate_defect(reference_bin):
    cmd = f"{reference_bin} --port {{port}} --conformance --token-file {{token_file}} --defect resume-duplicate"
    run = run_pytest("tests/test_log_tail_resume.py", "--sidecar-cmd", cmd, sidecar_bin=reference_bin)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "1 failed" in run.stdout
    assert "a duplicate" in run.stdout, run.stdout


def test_flake_exclude_skips_the_group_cleanly(reference_bin):
    run = run_pytest("tests/test_log_tail_resume.py", "--flake-exclude", "resume", "-rs",
                     sidecar_bin=reference_bin)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 skipped" in run.stdout and "group resume excluded" in run.stdout


def test_an_unknown_group_is_a_usage_error():
    run = run_pytest("tests/test_log_tail_resume.py", "--flake-exclude", "nope")
    assert run.returncode == 4, run.stdout + run.stderr
    assert "unknown group" in run.stderr


def test_plugin_groups_are_the_harness_groups():
    """The plugin reads groups.def; the module's GROUPS come from the same file through C++."""
    from flake_pytest import plugin

    assert plugin.GROUPS == tuple(flakeconform.GROUPS)
    assert len(plugin.GROUPS) == len(set(plugin.GROUPS)) > 0
    # The JSON report's and the --list --json list's schemas name them too (a report or list of a
    # new group must validate).
    for name in ("report.schema.json", "list.schema.json"):
        schema = json.loads((plugin.REPO / "conformance" / "schemas" / name).read_text())
        assert tuple(schema["$defs"]["case"]["properties"]["group"]["enum"]) == plugin.GROUPS, name


def test_plugin_loads_once_by_package_and_module():
    """conftest.py loads the package and -p names the module (as an installed plugin's entry point
    does): the hooks must be registered once, or pytest stops on a second --sidecar-url."""
    run = run_pytest("tests/test_api.py::test_values_cross_as_plain_python_objects",
                     "-p", "flake_pytest.plugin")
    assert run.returncode == 0, run.stdout + run.stderr


# A wrong target stops the session once, with one message, instead of one error per test.
SEVERAL_TESTS = ("tests/test_log_tail_resume.py", "tests/test_dashboard.py", "tests/test_rate_limit.py")


def assert_one_clear_error(run, *needles):
    out = run.stdout + run.stderr
    assert run.returncode == 4, out
    assert "Traceback" not in out and " passed" not in run.stdout and " error" not in run.stdout, out
    for needle in needles:
        assert needle in out, out


def test_a_url_without_the_rpc_path_stops_the_session_with_a_hint(sidecar):
    wrong = sidecar.url.rsplit("/", 1)[0] + "/"
    run = run_pytest(*SEVERAL_TESTS, "--sidecar-url", wrong, "--sidecar-token", sidecar.token)
    assert_one_clear_error(run, "--sidecar-url", "404", f"try {sidecar.url}")


def test_a_refused_token_stops_the_session(sidecar_factory):
    own = sidecar_factory()  # refused tokens count towards a lockout (§4.6)
    run = run_pytest(*SEVERAL_TESTS, "--sidecar-url", own.url, "--sidecar-token", "not-" + own.token)
    assert_one_clear_error(run, "rejected the token (-32001)")


def test_a_missing_sidecar_program_stops_the_session():
    run = run_pytest(*SEVERAL_TESTS, "--sidecar-cmd", "/nonexistent/sidecar --port {port}")
    assert_one_clear_error(run, "/nonexistent/sidecar: no such program")


def test_a_sidecar_that_does_not_start_stops_the_session():
    run = run_pytest(*SEVERAL_TESTS, "--sidecar-cmd", "sh -c 'echo broken >&2; exit 3' {port}")
    assert_one_clear_error(run, "cannot start", "broken")
