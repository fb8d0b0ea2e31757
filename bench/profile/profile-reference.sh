#!/usr/bin/env bash
# Profiles the reference sidecar under flake-bench's ping runs (window 1, window 64, 8 x 16: 420,000
# requests) with perf (Debian's linux-perf) and prints where the CPU time goes per request
# (breakdown.py). Needs perf_event access (root, or kernel.perf_event_paranoid <= 1).
#
# usage: bench/profile/profile-reference.sh [BUILD_DIR] [OUT_DIR]   (default build/release, a temp dir)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build/release}
out=${2:-$(mktemp -d)}
mkdir -p "$out"
sidecar="$build/reference/flake-sidecar"
bench="$build/bench/flake-bench"
for tool in perf "$sidecar" "$bench"; do
  command -v "$tool" >/dev/null || { echo "profile-reference: $tool not found" >&2; exit 2; }
done
token="profile-$$-$RANDOM"
printf '%s\n' "$token" > "$out/token"
"$sidecar" --port 0 --conformance --rate 0 --token-file "$out/token" > "$out/sidecar.out" 2>&1 &
sidecar_pid=$!
trap 'kill "$sidecar_pid" 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  grep -q "listening on" "$out/sidecar.out" && break
  sleep 0.1
done
url=$(grep -o 'ws://[^ ]*' "$out/sidecar.out" | head -1)
[ -n "$url" ] || { echo "profile-reference: the sidecar did not start" >&2; cat "$out/sidecar.out" >&2; exit 1; }
perf record -q -F 1000 --call-graph dwarf,16384 -p "$sidecar_pid" -o "$out/perf.data" 2>"$out/perf.log" &
perf_pid=$!
sleep 0.5
# Defaults of the ping runs: 20,000 at window 1, 200,000 at window 64, 200,000 over 8 x 16.
"$bench" --url "$url" --token "$token" --pid "$sidecar_pid" --only ping --quiet | tee "$out/bench.txt"
kill -INT "$perf_pid"
wait "$perf_pid" || true
perf script -i "$out/perf.data" 2>/dev/null |
  /usr/bin/python3 bench/profile/breakdown.py --requests 420000 --by-symbol 3 | tee "$out/breakdown.txt"
echo "profile: $out/perf.data (perf report -i $out/perf.data), breakdown: $out/breakdown.txt"
