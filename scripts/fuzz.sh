#!/usr/bin/env bash
# Builds the `fuzz` preset (clang, libFuzzer, ASan+UBSan) and runs every fuzz_<surface> target for
# SECONDS (default 20) on a fresh copy of its seed corpus plus its regression inputs; fails when
# any target finds a crash, leak, timeout or broken property (docs/fuzzing.md).
#   scripts/fuzz.sh [SECONDS] [TARGET...]     e.g. scripts/fuzz.sh 600   or   scripts/fuzz.sh 60 fuzz_sse
# FUZZ_JOBS (default: nproc) targets run side by side; crash inputs land in build/fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-20}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_dispatcher fuzz_msgpack fuzz_http fuzz_json fuzz_ws_frame
                                     fuzz_sse fuzz_chunks fuzz_ws_reader fuzz_ws_handshake)
jobs=${FUZZ_JOBS:-$(nproc)}
build=build/fuzz

# Inputs longer than the surface's messages only slow the search down.
max_len() {
  case "$1" in
    fuzz_chunks) echo 16384 ;;
    fuzz_dispatcher | fuzz_http) echo 8192 ;;
    *) echo 4096 ;;
  esac
}

start=$(date +%s)
echo "== fuzz: build (preset fuzz)"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j"$jobs"
built=$(date +%s)

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

run_one() {
  local target=$1 surface=${1#fuzz_}
  local work=$build/work/$target artifacts=$build/artifacts/$target/
  rm -rf "$work" "$build/work/$target.rc" && mkdir -p "$work" "$artifacts"
  cp fixtures/corpus/"$target"/* "$work"/
  local extra=()
  [ -d fixtures/regressions/"$target" ] && extra+=(fixtures/regressions/"$target")
  "$build"/fuzz/"$target" -max_total_time="$seconds" -max_len="$(max_len "$target")" \
    -dict=fixtures/dict/"$target".dict -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$artifacts" "$work" "${extra[@]}" >"$build/work/$target.log" 2>&1
  echo $? >"$build/work/$target.rc"
}

echo "== fuzz: ${#targets[@]} targets x ${seconds}s, $jobs at a time"
failed=()
running=0
for target in "${targets[@]}"; do
  if [ "$running" -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
  (set +e; run_one "$target") &
  running=$((running + 1))
done
wait
for target in "${targets[@]}"; do
  if [ "$(cat "$build/work/$target.rc" 2>/dev/null)" = 0 ]; then
    runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$build/work/$target.log" | grep -o '[0-9]*$' || true)
    echo "   $target: ok, ${runs:-?} runs, corpus $(ls "$build/work/$target" | wc -l) inputs"
  else
    failed+=("$target")
    echo "   $target: FAILED, see $build/work/$target.log and $build/artifacts/$target/"
    grep -m3 -E 'ERROR: |SUMMARY: |fuzz property violated' "$build/work/$target.log" | sed 's/^/      /' || true
  fi
done
end=$(date +%s)
echo "== fuzz: build $((built - start))s, fuzzing $((end - built))s, total $((end - start))s"
if [ ${#failed[@]} -gt 0 ]; then
  echo "== fuzz: crashes in ${failed[*]}: make each artifact a regression input (docs/fuzzing.md)"
  exit 1
fi
