#!/usr/bin/env bash
# Installs the Debian 12 packages handover needs, only those missing. Usage:
#   cmake/install-deps.sh [extra-package ...]
# Sourced or run by tests/run.sh and examples/run-demo.sh; safe to run repeatedly.
set -euo pipefail

packages=(
  cmake g++ make pkg-config
  libcurl4-openssl-dev rapidjson-dev catch2 libssl-dev libcpp-httplib-dev
  libhiredis-dev redis-server
  # Boost.Beast for handover/endpoint/beast_adapter.hpp and examples/beast_webhook_server.cpp.
  libboost-dev
  # Tests call the openssl CLI as an independent HMAC oracle; libssl-dev does not bring it.
  openssl
  # libcurl verifies TLS against this bundle: without it every real Graph call fails, and the
  # TLS tests cannot tell "refused before sending" from anything else.
  ca-certificates
  # tests/cli/parse_contract.py: the parse contract written again, as an independent oracle.
  python3
  # README's emulator commands (curl against the control API), run as written by
  # tests/readme/emulator_commands.sh.
  curl
  "$@"
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "handover: installing missing packages: ${missing[*]}" >&2
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
