#!/usr/bin/env bash
# Runs every test: installs dependencies, builds the release and the ASan+UBSan presets, runs ctest on
# both (unit, integration and conformance self-tests), checks the .deb and the static executables of
# the release build from outside the tree, the benchmarks' regression check on the release build, a
# short libFuzzer run of every fuzz target, then the pytest scenarios when they exist.
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
  if [ "$preset" = release ]; then
    # The package as a user gets it: cpack, dpkg -x, the installed tools, plugin and static
    # executables run from an empty directory (30-40 s, see the script).
    echo "== package"
    scripts/package-check.sh build/release
    # Quick flake-bench with the floor and the micro-benchmarks on this build, ratios compared with
    # bench/baseline-quick.json and bench/baseline-micro.json; the tables are printed every run and
    # only a regression beyond the baselines' measured tolerances fails it (docs/benchmarks.md).
    echo "== bench"
    scripts/bench-ci.sh --build build/release
  fi
done
# conformance.html_screenshot keeps the --html report (a failing case, the PERF plots) as a PNG.
if [ -f build/release/artifacts/conformance-report.png ]; then
  echo "== artifact: build/release/artifacts/conformance-report.png (and .html, .json beside it)"
fi

# libFuzzer: every target 10 s on its corpus; with the clang build ~2-3 min on 2 idle cores
# (docs/fuzzing.md#ci-cost).
echo "== fuzz"
scripts/fuzz.sh "${FLAKE_FUZZ_SECONDS:-10}"

if [ -d pytools/tests ] && ls pytools/tests/test_*.py >/dev/null 2>&1; then
  echo "== pytest"
  # The release build's module and sidecar; exit status 5 (no tests ran) fails the run like any other.
  FLAKE_PYTOOLS_PATH=build/release/pytools FLAKE_SIDECAR_BIN=build/release/reference/flake-sidecar \
    /usr/bin/python3 -m pytest -q pytools/tests
fi
