#!/usr/bin/env bash
# Stage `asan`: library and tests under AddressSanitizer + UndefinedBehaviorSanitizer (g++),
# any report fatal; unoptimised (-O0) because compiling dominates the stage. This tree is also
# the test run of handover as a shared library (BUILD_SHARED_LIBS=ON; the main build is static):
# one build instead of two keeps CI short. Examples and tools are built and tested too (the CLI
# and the example servers parse hostile input). Packaging tests are left out: they build
# consumers without sanitizers (tests/ci/shared.sh runs them against a plain shared build), and
# so are the benchmarks (their smoke runs prove nothing a sanitizer adds to).
set -euo pipefail
# shellcheck source=tests/ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$root"
build="$build_base/ci-asan"
flags="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
log "asan: configure $build"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O0 -g1" -DBUILD_SHARED_LIBS=ON \
  -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
  -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined" -DHANDOVER_BUILD_EXAMPLES=ON \
  -DHANDOVER_BUILD_TOOLS=ON -DHANDOVER_BUILD_BENCHMARKS=OFF -DHANDOVER_INSTALL=OFF >/dev/null
cmake --build "$build" -j"$jobs"
if ! readelf -d "$build/src/libhandover.so" | grep -q 'SONAME.*libhandover\.so\.'; then
  echo "asan: libhandover.so has no versioned SONAME" >&2
  exit 1
fi
export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
ctest --test-dir "$build" --output-on-failure -j"$jobs" --timeout 300 -LE 'packaging|bench|browser|topology' \
  --no-tests=error
