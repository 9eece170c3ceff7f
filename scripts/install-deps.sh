#!/usr/bin/env bash
# SPDX-License-Identifier: BSL-1.0
# Installs every build and test dependency of cloudlog on a fresh Debian 12
# machine. Idempotent and non-interactive: safe to run again at any time.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libboost-dev librange-v3-dev libssl-dev libexpected-dev
  libcurl4-openssl-dev
  catch2 libbenchmark-dev
  libcli11-dev nlohmann-json3-dev libfmt-dev
  awscli openssl
  clang-format
  help2man  # the tools' man pages, generated from their --help (docs/tools.md, "Packaging")
  python3
  clang libclang-rt-14-dev  # libFuzzer and the sanitizer runtimes (fuzz/, docs/reliability.md)
)

sudo_cmd=()
if [ "$(id -u)" != 0 ]; then sudo_cmd=(sudo); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# Node.js and npm (for s3rver): any install will do; some images ship
# NodeSource's nodejs, which conflicts with Debian's npm package.
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The S3 test server (DESIGN.md, Test servers), installed into the project's
# own tools folder so nothing global changes.
here=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -x "$here/.tools/node_modules/.bin/s3rver" ]; then
  mkdir -p "$here/.tools"
  (cd "$here/.tools" && npm install --no-audit --no-fund --silent s3rver@3.7.1 >/dev/null)
fi
