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
mkdir -p "$build"
log="$build/build.log"
# The build's progress goes to a file: the demo's own output is what this command is for.
echo "building the demo (the handover library, the emulator, a bot and an agent app; a few" \
  "minutes the first time, seconds after); build log: $log"
if ! { cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHANDOVER_BUILD_TESTS=OFF \
  -DHANDOVER_BUILD_BENCHMARKS=OFF -DHANDOVER_BUILD_TOOLS=OFF &&
  cmake --build "$build" -j"$jobs" --target handover_demo; } >"$log" 2>&1; then
  echo "the demo did not build; the end of $log:" >&2
  tail -n 40 "$log" >&2
  exit 1
fi
exec "$build/examples/demo/handover_demo" "$@"
