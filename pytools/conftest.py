# Loads the flake pytest plugin (pytools/flake_pytest) for the scenarios in pytools/tests.
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

pytest_plugins = ["flake_pytest"]
