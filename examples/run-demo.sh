#!/usr/bin/env bash
# README's main-job command: installs what is missing, builds, and runs the end-to-end demo.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

cmake/install-deps.sh

jobs="$(nproc 2>/dev/null || echo 2)"
build="${HANDOVER_BUILD_DIR:-build/demo}"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHANDOVER_BUILD_TESTS=OFF \
  -DHANDOVER_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build "$build" -j"$jobs" --target quickstart
"$build/examples/quickstart"
