#!/usr/bin/env bash
# README's main-job command: installs what is missing, builds the demo (and nothing else), and
# runs it: the emulator plus a bot and a live-agent app as separate processes on loopback,
# walking Meta's handover guide in both eras. Exit code: the demo's (0 = every step as the
# protocol says). HANDOVER_BUILD_DIR picks the build tree (default build/demo).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

cmake/install-deps.sh

jobs="$(nproc 2>/dev/null || echo 2)"
build="${HANDOVER_BUILD_DIR:-build/demo}"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHANDOVER_BUILD_TESTS=OFF \
  -DHANDOVER_BUILD_BENCHMARKS=OFF -DHANDOVER_BUILD_TOOLS=OFF >/dev/null
cmake --build "$build" -j"$jobs" --target handover_demo
exec "$build/examples/demo/handover_demo" "$@"
