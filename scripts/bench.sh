#!/usr/bin/env bash
# All benchmarks in one command (docs/benchmarks.md): Release build in build/bench, the
# micro-benchmarks with 9 repetitions, flake-bench against this tree's reference sidecar with the
# floor (JSON and an HTML page with latency plots), then the regression checks (ratios vs
# bench/baseline.json with flake-bench compare; micro-benchmarks vs an earlier
# results directory with a U test when --against is given). Results go to build/bench/results/<time>.
#
# usage: scripts/bench.sh [--quick] [--repeat K] [--against RESULTS_DIR] [--update-baseline]
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0 repeat=3 against="" update=0
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --repeat) repeat="$2"; shift ;;
    --against) against="$2"; shift ;;
    --update-baseline) update=1 ;;
    *) echo "usage: $0 [--quick] [--repeat K] [--against RESULTS_DIR] [--update-baseline]" >&2; exit 2 ;;
  esac
  shift
done

if [ "$quick" = 1 ] && [ "$update" = 1 ]; then
  # bench/baseline.json holds full-size runs; the quick baselines are CI's.
  echo "$0: --quick --update-baseline: use scripts/bench-ci.sh --update-baseline" >&2
  exit 2
fi

build=build/bench
out="$build/results/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out/micro"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DFLAKE_PYTOOLS=OFF >/dev/null
micro=(codec_bench dispatcher_bench large_export_bench sse_bench)
cmake --build "$build" -j2 --target flake-sidecar flake-bench "${micro[@]}"

echo "== micro-benchmarks (9 repetitions each)" >&2
min_time=0.2
[ "$quick" = 1 ] && min_time=0.02
for b in "${micro[@]}"; do
  "$build/bench/$b" --benchmark_repetitions=9 --benchmark_min_time="$min_time" \
    --benchmark_out_format=json --benchmark_out="$out/micro/$b.json" \
    --benchmark_report_aggregates_only=false --benchmark_display_aggregates_only=true
done

echo "== flake-bench --reference --floor" >&2
args=(--reference --floor --repeat "$repeat" --json "$out/load.json" --html "$out/load.html")
[ "$quick" = 1 ] && args+=(--quick)
status=0
"$build/bench/flake-bench" "${args[@]}" | tee "$out/load.txt" || status=1

echo "== regression check" >&2
if [ "$quick" = 1 ]; then
  echo "(--quick: ratios not compared with bench/baseline.json, whose runs are full size;"
  echo " scripts/bench-ci.sh runs CI's quick check against bench/baseline-quick.json)"
else
  # 1: a figure regressed; 2: the run and the baseline cannot be compared (both fail the run).
  "$build/bench/flake-bench" compare bench/baseline.json "$out/load.json" || status=1
fi
if [ -n "$against" ]; then
  /usr/bin/python3 bench/compare.py micro "$against/micro" "$out/micro" || status=1
else
  echo "(micro-benchmarks not compared: pass --against build/bench/results/<earlier run>)"
fi
if [ "$update" = 1 ]; then
  "$build/bench/flake-bench" baseline "$out/load.json" bench/baseline.json
fi
echo "results: $out"
exit "$status"
