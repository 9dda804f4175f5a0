#!/usr/bin/env bash
# Stage `asan`: library and tests under AddressSanitizer + UndefinedBehaviorSanitizer (g++),
# any report fatal; unoptimised (-O0) because compiling dominates the stage, and a unity build
# (main's build compiles each file alone, so a missing include still fails there).
# This tree is also handover as a shared library (BUILD_SHARED_LIBS=ON; the main build is
# static): the whole suite runs against libhandover.so, and so do the installed-package tests
# (the shared flavour of handover-config.cmake and handover.pc, relocated, the RUNPATH of the
# optional components and of the installed CLI), their consumers built with the same sanitizer
# flags. The packaging tests that rebuild the library from source (add_subdirectory,
# FetchContent, README's install commands) run in main only. Examples and tools are built and
# tested too (the CLI and the example servers parse hostile input); the benchmarks are not
# (their smoke runs prove nothing a sanitizer adds to).
set -euo pipefail
# shellcheck source=tests/ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$root"
build="$build_base/ci-asan"
# -Wsubobject-linkage is a unity-build artefact: a .cpp included in another counts as a header.
flags="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
flags+=" -Wno-subobject-linkage"
log "asan: configure $build"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O0 -g1" -DBUILD_SHARED_LIBS=ON \
  -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
  -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined" -DHANDOVER_BUILD_EXAMPLES=ON \
  -DHANDOVER_BUILD_TOOLS=ON -DHANDOVER_BUILD_BENCHMARKS=OFF -DHANDOVER_INSTALL=ON -DCMAKE_UNITY_BUILD=ON >/dev/null
cmake --build "$build" -j"$jobs"
if ! readelf -d "$build/src/libhandover.so" | grep -q 'SONAME.*libhandover\.so\.'; then
  echo "asan: libhandover.so has no versioned SONAME" >&2
  exit 1
fi
# The installed-package tests are this tree's reason to be shared: their absence is a failure.
listed=$(ctest --test-dir "$build" -N -L packaging)
for t in packaging_install packaging_find_package packaging_pkg_config packaging_installed_cli; do
  if ! grep -Eq "Test +#[0-9]+: $t\$" <<<"$listed"; then
    echo "asan: the installed-package test $t is missing (HANDOVER_INSTALL off?)" >&2
    exit 1
  fi
done
export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
ctest --test-dir "$build" --output-on-failure -j"$jobs" --timeout 300 -LE 'bench|browser|topology' \
  -E 'packaging_(add_subdirectory|fetchcontent)|readme_install_commands' --no-tests=error
