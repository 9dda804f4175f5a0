#!/usr/bin/env bash
# Installs what is missing, builds everything and runs the whole test suite.
# This is README's test command and exactly what .ci/run calls.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

cmake/install-deps.sh

jobs="$(nproc 2>/dev/null || echo 2)"
build="${HANDOVER_BUILD_DIR:-build/ci}"

cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$build" -j"$jobs"
ctest --test-dir "$build" --output-on-failure -j"$jobs" --timeout 300
