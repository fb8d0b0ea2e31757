"""pytest plugin for flake.v1 scenario tests (see docs/pytest-scenarios.md).

Load it with ``pytest_plugins = ["flake_pytest"]`` in a top-level conftest.py or ``-p flake_pytest``;
it provides the fixtures ``sidecar``, ``sidecar_factory``, ``client`` and ``fault_proxy`` and the
markers ``flake_<group>``.
"""
from .plugin import *  # noqa: F401,F403  (hooks and fixtures are found by name)
from .plugin import load_flakeconform  # noqa: F401
