"""pytest plugin for flake.v1 scenario tests (see docs/pytest-scenarios.md).

Load it with ``-p flake_pytest.plugin`` or ``pytest_plugins = ["flake_pytest"]`` in a top-level
conftest.py (or ``-p flake_pytest``); installed from the package, pytest loads it by itself (its
``[pytest11]`` entry point). It provides the fixtures ``sidecar``, ``sidecar_factory``, ``client``
and ``fault_proxy`` and the markers ``flake_<group>``.
"""
# The hooks and fixtures live in flake_pytest.plugin only, which pytest registers through this
# list: loading the package, the module and the entry point in any combination registers them once
# (a second copy of pytest_addoption would be an error).
pytest_plugins = ["flake_pytest.plugin"]

from .plugin import load_flakeconform  # noqa: E402,F401
