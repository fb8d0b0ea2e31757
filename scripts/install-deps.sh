#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages the project builds and tests with (idempotent; uses sudo when not root).
set -euo pipefail

packages=(
  build-essential cmake pkg-config git ca-certificates
  libwebsockets-dev libcjson-dev libmsgpack-dev libmsgpack-cxx-dev nlohmann-json3-dev
  libssl-dev zlib1g-dev libgtest-dev libgmock-dev libbenchmark-dev libbenchmark-tools python3-scipy
  pybind11-dev python3-pybind11 python3-pytest python3-dev python3-jsonschema libxml2-utils
  clang clang-format libclang-rt-14-dev
  chromium
)
# Node.js and npm for the browser and JavaScript client checks: Debian's packages, unless the machine
# already has a node and npm (a NodeSource nodejs ships npm itself and conflicts with Debian's npm).
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
echo "install-deps: installing ${missing[*]}" >&2
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
