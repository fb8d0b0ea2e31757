"""Fixtures, options and group markers that point pytest scenarios at a flake.v1 sidecar.

Which sidecar: the reference flake-sidecar by default (FLAKE_SIDECAR_BIN, else in this repository
build/release/reference/flake-sidecar, else the one installed with the flakeconform module), any
command with --sidecar-cmd 'CMD {port}', or one that is already running with --sidecar-url URL
--sidecar-token T. The flakeconform module is imported from FLAKE_PYTOOLS_PATH, else in this
repository from build/release/pytools, else from wherever Python finds it (an installed package).
"""
import os
import re
import shlex
import shutil
import sys
from pathlib import Path

import pytest

__all__ = [
    "load_flakeconform",
    "pytest_addoption",
    "pytest_configure",
    "pytest_report_header",
    "pytest_sessionstart",
    "pytest_collection_modifyitems",
    "flake_settings",
    "sidecar",
    "sidecar_factory",
    "client",
    "fault_proxy",
]

REPO = Path(__file__).resolve().parents[2]
# Installed (dist-packages), the plugin has no repository around it: then the module comes from
# sys.path and the sidecar from the module (flakeconform.default_sidecar_bin, the one installed
# with it).
IN_REPO = (REPO / "pytools" / "flake_pytest" / "plugin.py") == Path(__file__).resolve()
DEFAULT_MODULE_DIR = REPO / "build" / "release" / "pytools" if IN_REPO else None
DEFAULT_SIDECAR_BIN = REPO / "build" / "release" / "reference" / "flake-sidecar" if IN_REPO else None


def marker_name(group):
    return "flake_" + group.replace("-", "_")


def load_flakeconform():
    """Imports flakeconform from FLAKE_PYTOOLS_PATH (else, in this repository,
    build/release/pytools; else from sys.path)."""
    where = os.environ.get("FLAKE_PYTOOLS_PATH") or DEFAULT_MODULE_DIR
    if where:
        where = os.path.abspath(str(where))
        if where not in sys.path:
            sys.path.insert(0, where)
    try:
        import flakeconform
    except ImportError as error:
        raise pytest.UsageError(
            f"cannot import flakeconform from {where or 'sys.path'} ({error}); build the module "
            "(cmake --build --preset release --target flakeconform), install the package, or set "
            "FLAKE_PYTOOLS_PATH"
        ) from error
    return flakeconform


def read_groups():
    """The conformance groups, read from the one list the harness is built from
    (conformance/harness/groups.def), so markers exist before the module is imported; outside this
    repository, the module's GROUPS (built from the same file)."""
    groups_def = REPO / "conformance" / "harness" / "groups.def"
    if groups_def.is_file():
        return tuple(re.findall(r'^FLAKE_GROUP\(\w+, "([^"]+)"\)', groups_def.read_text(), re.M))
    return tuple(load_flakeconform().GROUPS)


GROUPS = read_groups()


def pytest_addoption(parser):
    group = parser.getgroup("flake", "flake.v1 sidecar under test")
    group.addoption("--sidecar-url", help="test a sidecar that is already running at this ws:// URL")
    group.addoption("--sidecar-token", help="its token (default: $FLAKE_SIDECAR_TOKEN)")
    group.addoption(
        "--sidecar-cmd",
        help="start this command for the tests: {port} becomes a free port, {token} the token and "
        "{token_file} a file holding it (a random token unless --sidecar-token gives one)",
    )
    group.addoption("--sidecar-bin", help="the reference flake-sidecar (default: $FLAKE_SIDECAR_BIN, "
                    "else build/release/reference/flake-sidecar in the flake repository, else the "
                    "one installed with the flakeconform module)")
    group.addoption(
        "--flake-exclude", action="append", default=[], metavar="GROUP",
        help="skip the scenarios marked flake_GROUP (repeatable, or comma-separated)",
    )


class FlakeSettings:
    """How the session reaches its sidecar, from the command line and the environment."""

    def __init__(self, config):
        opt = config.getoption
        self.url = opt("--sidecar-url")
        self.cmd = opt("--sidecar-cmd")
        self.token = opt("--sidecar-token") or os.environ.get("FLAKE_SIDECAR_TOKEN")
        chosen = opt("--sidecar-bin") or os.environ.get("FLAKE_SIDECAR_BIN") or DEFAULT_SIDECAR_BIN
        # Installed: the module knows where the sidecar installed with it is (it reads
        # FLAKE_SIDECAR_BIN too); asked only when a reference sidecar is wanted.
        self._bin = os.path.abspath(str(chosen)) if chosen else None
        if self.url and self.cmd:
            raise pytest.UsageError("give --sidecar-url or --sidecar-cmd, not both")
        if self.url and not self.token:
            raise pytest.UsageError("--sidecar-url needs --sidecar-token (or $FLAKE_SIDECAR_TOKEN)")
        self.excluded = set()
        for value in opt("--flake-exclude"):
            for name in filter(None, (v.strip() for v in value.split(","))):
                group = name.replace("_", "-")
                if group not in GROUPS:
                    raise pytest.UsageError(
                        f"--flake-exclude {name}: unknown group (groups: {', '.join(GROUPS)})")
                self.excluded.add(group)

    @property
    def bin(self):
        if self._bin is None:
            self._bin = os.path.abspath(load_flakeconform().default_sidecar_bin)
        return self._bin

    @property
    def mode(self):
        return "url" if self.url else "command" if self.cmd else "reference"

    def describe(self):
        if self.url:
            return f"sidecar at {self.url}"
        if self.cmd:
            return f"sidecar command: {self.cmd}"
        return f"reference sidecar {self.bin}"

    def start(self, extra_args=()):
        """A new sidecar process: the reference (with extra_args) or --sidecar-cmd (extra_args
        appended). Not for --sidecar-url."""
        fc = load_flakeconform()
        if self.cmd:
            command = self.cmd + "".join(" " + shlex.quote(a) for a in extra_args)
            return fc.Sidecar.command(command, token=self.token)
        if not os.access(self.bin, os.X_OK):
            raise pytest.UsageError(
                f"the reference sidecar {self.bin} is not built: build flake-sidecar, or set "
                "FLAKE_SIDECAR_BIN / --sidecar-bin, or point the tests at a sidecar with "
                "--sidecar-cmd or --sidecar-url")
        return fc.Sidecar.reference(self.bin, list(extra_args))


def pytest_configure(config):
    for group in GROUPS:
        config.addinivalue_line(
            "markers", f"{marker_name(group)}: exercises the {group} rules (skipped by --flake-exclude {group})")
    config.stash[_SETTINGS] = FlakeSettings(config)
    if not (config.getoption("help") or config.getoption("markers")):
        load_flakeconform()  # fail at once, not in every test, when the module is missing


_SETTINGS = pytest.StashKey()


def rpc_path_hint(url):
    """A hint when `url` does not end in /rpc, where flake.v1 sidecars serve their WebSocket."""
    scheme, sep, rest = url.partition("://")
    authority, _, path = rest.partition("/")
    if not sep or "/" + path == "/rpc":
        return ""
    return f" (flake.v1 sidecars serve their WebSocket at /rpc: try {scheme}://{authority}/rpc)"


def check_target(settings):
    """What can be known before any test runs, so that a wrong --sidecar-url, token or
    --sidecar-cmd stops the session with one error instead of failing every test: the URL is
    reached and the token taken; the command's program exists. Returns the error, or None."""
    if settings.url:
        fc = load_flakeconform()
        try:
            with fc.Client(settings.url, settings.token, timeout=5.0):
                pass
        except fc.RpcError as error:
            if error.code == -32001:
                return f"--sidecar-url {settings.url}: the sidecar rejected the token (-32001); " \
                    "check --sidecar-token or $FLAKE_SIDECAR_TOKEN"
            return f"--sidecar-url {settings.url}: authentication failed: {error}"
        except (fc.FlakeError, OSError, TimeoutError, ValueError) as error:
            return f"--sidecar-url {settings.url}: cannot open a flake.v1 WebSocket: {error}" + \
                rpc_path_hint(settings.url)
        return None
    if settings.cmd:
        try:
            words = shlex.split(settings.cmd)
        except ValueError as error:
            return f"--sidecar-cmd: cannot split {settings.cmd!r}: {error}"
        program = words[0] if words else ""
        if not program or shutil.which(program) is None:
            return f"--sidecar-cmd: {program or '(empty)'}: no such program (the first word of " \
                "the command runs through /bin/sh)"
        if "{port}" not in settings.cmd:
            return "--sidecar-cmd: the command has no {port}: the plugin chooses a free port and " \
                "needs to tell the sidecar"
        return None
    return None


def pytest_sessionstart(session):
    config = session.config
    if config.getoption("collectonly") or config.getoption("help"):
        return
    error = check_target(config.stash[_SETTINGS])
    if error:
        raise pytest.UsageError(error)


def pytest_report_header(config):
    fc = load_flakeconform()
    return [f"flake: {config.stash[_SETTINGS].describe()}; flakeconform {fc.__version__} from "
            f"{os.path.dirname(fc.__file__)}"]


def pytest_collection_modifyitems(config, items):
    excluded = config.stash[_SETTINGS].excluded
    if not excluded:
        return
    for item in items:
        hit = [g for g in sorted(excluded) if item.get_closest_marker(marker_name(g))]
        if hit:
            item.add_marker(pytest.mark.skip(reason=f"group {hit[0]} excluded (--flake-exclude)"))


@pytest.fixture(scope="session")
def flake_settings(pytestconfig):
    """The FlakeSettings of this run (mode, url, cmd, token, excluded groups)."""
    return pytestconfig.stash[_SETTINGS]


@pytest.fixture(scope="session")
def sidecar(flake_settings):
    """The sidecar under test, shared by the session: a flakeconform.Sidecar (url, http_url, token,
    pid, rss_kib, ...). Scenarios that stop, kill or reconfigure a sidecar use sidecar_factory."""
    fc = load_flakeconform()
    if flake_settings.url:
        yield fc.Sidecar.attach(flake_settings.url, flake_settings.token)
        return
    try:
        started = flake_settings.start()
    except (RuntimeError, ValueError, pytest.UsageError) as error:
        # Every test needs this sidecar: one message for the session, not one error per test.
        pytest.exit(f"flake: cannot start {flake_settings.describe()}: {error}", returncode=4)
    yield started
    started.stop()


@pytest.fixture
def sidecar_factory(flake_settings):
    """Starts extra sidecars for one test: sidecar_factory("--rate", "20") starts the reference
    with those options (or --sidecar-cmd with them appended); each is stopped after the test.
    Skips the test under --sidecar-url, where no sidecar can be started."""
    started = []

    def start(*extra_args):
        if flake_settings.url:
            pytest.skip("needs a sidecar of its own; --sidecar-url gives only a running one")
        s = flake_settings.start(extra_args)
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()


@pytest.fixture
def client(sidecar):
    """A Client connected and authenticated to the sidecar, closed after the test."""
    fc = load_flakeconform()
    with fc.Client(sidecar.url, sidecar.token) as c:
        yield c


@pytest.fixture
def fault_proxy(sidecar):
    """A FaultProxy in front of the sidecar: Client(sidecar.url, token, via=fault_proxy) goes
    through it; then cut(), reset(), stall(), throttle() or refuse() the network."""
    fc = load_flakeconform()
    with fc.FaultProxy(sidecar.host, sidecar.port) as proxy:
        yield proxy
