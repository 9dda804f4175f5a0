#!/usr/bin/env bash
# Stage `shared`: handover as a shared library (-DBUILD_SHARED_LIBS=ON), unoptimised, with the
# whole test suite, packaging included (so the shared flavour of handover-config.cmake and
# handover.pc is consumed too). The main build is the static one.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$root"
build="$build_base/ci-shared"
log "shared: configure $build"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-O0 \
  -DBUILD_SHARED_LIBS=ON -DHANDOVER_BUILD_EXAMPLES=OFF -DHANDOVER_BUILD_TOOLS=OFF \
  -DHANDOVER_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build "$build" -j"$jobs"
if ! readelf -d "$build/src/libhandover.so" | grep -q 'SONAME.*libhandover\.so\.'; then
  echo "shared: libhandover.so has no versioned SONAME" >&2
  exit 1
fi
ctest --test-dir "$build" --output-on-failure -j"$jobs" --timeout 300 -LE 'bench'
