#!/usr/bin/env bash
# Stage `tsan`: the tests labelled `concurrency` under ThreadSanitizer (g++). Only their
# executables are built, found from the main build's test list; without a main build, every
# test executable is built. A run with no `concurrency` test fails: it would check nothing.
# A unity build, as in the asan stage (main compiles each file alone).
set -euo pipefail
# shellcheck source=tests/ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$root"
build="$build_base/ci-tsan"
log "tsan: configure $build"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" \
  -DCMAKE_CXX_FLAGS="-fsanitize=thread -Wno-subobject-linkage" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread" \
  -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=thread" -DCMAKE_UNITY_BUILD=ON "${lean_options[@]}" \
  >/dev/null

targets=()
if [ -f "$main_build/CTestTestfile.cmake" ]; then
  ctest --test-dir "$main_build" -N -L concurrency --show-only=json-v1 >"$build/concurrency.json"
  # Commands that are not targets of this tree (a fixture's script) need no build.
  known="$(cmake --build "$build" --target help | sed -n 's/^\.\.\. //p')"
  mapfile -t targets < <(cmake -DJSON_FILE="$build/concurrency.json" \
    -P "$root/tests/ci/label_targets.cmake" | grep -Fx -f <(printf '%s\n' "$known") || true)
  if ((${#targets[@]} == 0)); then
    echo "tsan: no test is labelled 'concurrency' in $main_build" >&2
    exit 1
  fi
  log "tsan: building ${targets[*]}"
  cmake --build "$build" -j"$jobs" --target "${targets[@]}"
else
  cmake --build "$build" -j"$jobs"
fi
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$root/tests/ci/tsan.supp"
ctest --test-dir "$build" --output-on-failure -j"$jobs" --timeout 300 -L concurrency \
  --no-tests=error
