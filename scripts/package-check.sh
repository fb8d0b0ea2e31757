#!/usr/bin/env bash
# Builds the .deb of a release build with cpack, unpacks it (dpkg -x) into a scratch root and uses it
# from an empty directory outside the tree, as someone who installed it would: the installed
# flake-conform --reference (which must start the installed flake-sidecar), the installed pytest
# plugin (loaded with -p and by its entry point) against the installed sidecar, and the static
# executables (no shared libraries; run alone, against the installed sidecar, also by "localhost").
#
# usage: scripts/package-check.sh [BUILD_DIR]   (default build/release, built with FLAKE_STATIC=ON)
# Measured on 2 shared, busy cores: 30-38 s in all (cpack and dpkg-shlibdeps ~9 s; the three runs of a
# subset of the suite 7-11 s each; the two pytest runs under 1 s each). The static executables cost
# the release build two more links (~6 s), no compile.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
build=$(cd "${1:-build/release}" && pwd)

work=$(mktemp -d "${TMPDIR:-/tmp}/flake-package-check.XXXXXX")
sidecar_pid=""
cleanup() {
  if [ -n "$sidecar_pid" ]; then kill "$sidecar_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "package-check: FAIL: $*" >&2
  exit 1
}
step() { echo "package-check: $*"; }

# --- the package --------------------------------------------------------------------------------
step "cpack -G DEB ($build)"
(cd "$build" && cpack -G DEB -B "$work/deb" >"$work/cpack.log" 2>&1) || {
  cat "$work/cpack.log" >&2
  fail "cpack failed"
}
deb=$(ls "$work"/deb/flake-conform_*.deb)
step "$(basename "$deb"): $(dpkg-deb -f "$deb" Depends)"
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libc6 libstdc++6 libssl3 zlib1g libwebsockets python3; do
  case "$depends" in *"$lib"*) ;; *) fail "Depends lacks $lib: $depends" ;; esac
done

root="$work/root"
dpkg -x "$deb" "$root"
bin="$root/usr/bin"
pydir="$root/usr/lib/python3/dist-packages"
for f in "$bin/flake-conform" "$bin/flake-bench" "$bin/flake-sidecar" "$bin/flake-client-driver" \
  "$root/usr/share/doc/flake/protocol.md" "$root/usr/share/doc/flake/use-from-your-repo.md" \
  "$root/usr/share/flake/schemas/report.schema.json" "$root/usr/share/flake/schemas/junit.xsd" \
  "$root/usr/share/flake/fixtures/services/vercel.json" \
  "$pydir/flake_pytest/plugin.py" "$pydir/flake_pytest-"*.dist-info/entry_points.txt; do
  [ -e "$f" ] || fail "the package lacks ${f#"$root"}"
done
ls "$pydir"/flakeconform*.so >/dev/null 2>&1 || fail "the package lacks the flakeconform module"

# Nothing below may reach the build tree: no variables that point into it, and an empty directory.
unset FLAKE_SIDECAR_BIN FLAKE_PYTOOLS_PATH FLAKE_SIDECAR_TOKEN
empty="$work/empty"
mkdir "$empty"
cd "$empty"

# --- installed flake-conform and flake-bench ------------------------------------------------------
# Their --help names the sidecar --reference starts: the installed one, not the build tree's.
"$bin/flake-conform" --help | grep -F "(default: $bin/flake-sidecar)" >/dev/null ||
  fail "installed flake-conform --reference would not start the installed flake-sidecar:
$("$bin/flake-conform" --help | grep -A1 -e '--sidecar-bin')"
"$bin/flake-bench" --help | grep -F "$bin/flake-sidecar" >/dev/null ||
  fail "installed flake-bench --reference would not start the installed flake-sidecar"
"$bin/flake-conform" client --help | grep -F "$bin/flake-client-driver" >/dev/null ||
  fail "installed flake-conform client --reference would not start the installed driver"
step "installed flake-conform --reference -s core -s auth"
"$bin/flake-conform" --reference -s core -s auth --junit junit.xml --summary summary.md \
  >conform.log 2>&1 || {
  cat conform.log >&2
  fail "installed flake-conform --reference failed"
}
grep -q "<testsuite" junit.xml || fail "no JUnit report"
grep -q "verdict\|passed\|PASS" summary.md || fail "no Markdown summary"

# --- installed pytest plugin ------------------------------------------------------------------------
cat >test_installed.py <<'EOF'
import os

import flakeconform


def test_module_and_sidecar_are_the_installed_ones(sidecar, flake_settings):
    root = os.environ["FLAKE_CHECK_ROOT"]
    assert flakeconform.__file__.startswith(root + "/usr/lib/python3/dist-packages/")
    assert flakeconform.default_sidecar_bin == root + "/usr/bin/flake-sidecar"
    assert flake_settings.bin == root + "/usr/bin/flake-sidecar"


def test_installed_sidecar_serves_its_fixtures(client):
    page = client.call("vercel.getDeployments", {"limit": 2})
    assert 1 <= len(page["deployments"]) <= 2
EOF
export FLAKE_CHECK_ROOT="$root" PYTHONPATH="$pydir"
step "installed plugin: pytest -p flake_pytest.plugin"
/usr/bin/python3 -m pytest -q -p no:cacheprovider -p flake_pytest.plugin test_installed.py ||
  fail "pytest with the installed plugin (-p flake_pytest.plugin) failed"
step "installed plugin: pytest, loaded by its entry point"
/usr/bin/python3 -m pytest -q -p no:cacheprovider test_installed.py ||
  fail "pytest did not load the installed plugin by its [pytest11] entry point"
unset PYTHONPATH FLAKE_CHECK_ROOT

# --- static executables -------------------------------------------------------------------------
for exe in conformance/flake-conform-static bench/flake-bench-static; do
  [ -x "$build/$exe" ] || fail "$build/$exe is not built (configure with -DFLAKE_STATIC=ON)"
  out=$(ldd "$build/$exe" 2>&1 || true)
  case "$out" in *"not a dynamic executable"*) ;; *) fail "$exe is dynamic: $out" ;; esac
done
# Copied alone, as a user would copy it.
cp "$build/conformance/flake-conform-static" "$work/flake-conform"
cp "$build/bench/flake-bench-static" "$work/flake-bench"
"$work/flake-bench" --help >/dev/null || fail "static flake-bench does not run"
step "static flake-conform --reference --sidecar-bin (installed sidecar) -s core"
"$work/flake-conform" --reference --sidecar-bin "$bin/flake-sidecar" -s core >static.log 2>&1 || {
  cat static.log >&2
  fail "static flake-conform --reference failed"
}
# A running sidecar reached by name: "localhost" resolves without NSS in the static executable.
# Random: a short token could occur in the sidecar's own messages, which 3.9/1 would report.
{
  od -An -N16 -tx1 /dev/urandom | tr -d ' \n'
  echo
} >token.txt
"$bin/flake-sidecar" --port 0 --conformance --token-file token.txt >sidecar.log 2>&1 &
sidecar_pid=$!
for _ in $(seq 100); do
  url=$(grep -o 'ws://[^ ]*/rpc' sidecar.log || true)
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || fail "the installed flake-sidecar did not start: $(cat sidecar.log)"
port=${url##*:}
port=${port%%/*}
step "static flake-conform ws://localhost:$port/rpc -s core"
"$work/flake-conform" "ws://localhost:$port/rpc" --token-file token.txt -s core >local.log 2>&1 || {
  cat local.log >&2
  fail "static flake-conform against ws://localhost failed"
}
kill "$sidecar_pid"
wait "$sidecar_pid" 2>/dev/null || true
sidecar_pid=""

cd "$repo"
step "ok"
