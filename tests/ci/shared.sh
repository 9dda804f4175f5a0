#!/usr/bin/env bash
# Stage `shared`: the installed-package tests against handover built as a shared library
# (-DBUILD_SHARED_LIBS=ON): the shared flavour of handover-config.cmake (no find_dependency on
# libcurl/OpenSSL) and of handover.pc (Requires.private), relocated, with the RUNPATH of the
# optional libhandover_redis and libhandover_emulator, and the installed CLI finding them
# through its RUNPATH. The whole suite runs against libhandover.so in the asan stage;
# the add_subdirectory/FetchContent consumers, which rebuild the library, run in main only.
set -euo pipefail
# shellcheck source=tests/ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$root"
build="$build_base/ci-shared"
log "shared: configure $build"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-O0 \
  -DBUILD_SHARED_LIBS=ON -DHANDOVER_BUILD_EXAMPLES=OFF -DHANDOVER_BUILD_TOOLS=ON \
  -DHANDOVER_BUILD_BENCHMARKS=OFF >/dev/null
targets=(handover handover_emulator handover_cli)
if cmake --build "$build" --target help | grep '^\.\.\. handover_redis$' >/dev/null; then
  targets+=(handover_redis)
fi
cmake --build "$build" -j"$jobs" --target "${targets[@]}"
if ! readelf -d "$build/src/libhandover.so" | grep -q 'SONAME.*libhandover\.so\.'; then
  echo "shared: libhandover.so has no versioned SONAME" >&2
  exit 1
fi
ctest --test-dir "$build" --output-on-failure -j"$jobs" --timeout 300 -L packaging \
  -E 'packaging_(add_subdirectory|fetchcontent)' --no-tests=error
