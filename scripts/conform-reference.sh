#!/usr/bin/env bash
# The main job: install dependencies, build, start the reference sidecar and run the conformance suite
# against it, printing the report. Extra arguments go to flake-conform (e.g. -v, --json report.json).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)" --target flake-sidecar flake-conform
# The reference's few known failures (each with its reason) are reported as expected, not hidden.
# The suite starts the reference with its short-run options (docs/protocol.md §11.7: a 2 s ping
# interval, so the §7.6 keepalive cases take seconds instead of minutes) and runs the performance
# cases last, on a fresh process started with --conformance --rate 0 (§10.1).
exec build/release/conformance/flake-conform --reference \
  --expected-failures conformance/selftest/reference_known_failures.txt "$@"
