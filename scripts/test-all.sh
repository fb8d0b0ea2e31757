#!/usr/bin/env bash
# Runs every test: installs dependencies, builds the release and the ASan+UBSan presets, runs ctest on
# both (unit, integration and conformance self-tests), then the pytest scenarios when they exist.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

jobs=$(nproc)
for preset in release asan; do
  echo "== build ($preset)"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j"$jobs"
  echo "== ctest ($preset)"
  ctest --preset "$preset" -j"$jobs" --timeout 300
done

if [ -d pytools/tests ] && ls pytools/tests/test_*.py >/dev/null 2>&1; then
  echo "== pytest"
  /usr/bin/python3 -m pytest -q pytools/tests
fi
