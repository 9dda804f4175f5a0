#!/usr/bin/env bash
# Builds the libFuzzer targets with clang under ASan+UBSan in build/fuzz and runs each for
# $HANDOVER_FUZZ_SECONDS (default 30) seeded with the webhook fixtures and tests/fuzz/seeds (copied to a temporary
# directory: the fixtures are never written). Exits non-zero when a fuzzer finds a crash, a
# leak, undefined behaviour or a broken invariant; reproducers are kept in build/fuzz/artifacts.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
seconds="${HANDOVER_FUZZ_SECONDS:-30}"
build="${HANDOVER_FUZZ_BUILD_DIR:-$root/build/fuzz}"
jobs="$(nproc 2>/dev/null || echo 2)"

if ! command -v clang++ >/dev/null 2>&1; then
  echo "tests/fuzz/run.sh: clang++ not found (Debian: apt-get install clang libclang-rt-14-dev)" >&2
  exit 1
fi

sanitize="-fsanitize=address,undefined,fuzzer-no-link -fno-sanitize-recover=all -fno-omit-frame-pointer"
sanitize+=" -fsanitize-ignorelist=$root/tests/fuzz/ubsan_ignorelist.txt"
# Tests stay configured (the fuzz directory lives under tests/) but only the fuzzers are built.
CC=clang CXX=clang++ cmake -S "$root" -B "$build" \
  -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_CXX_FLAGS_DEBUG="-g -O1" \
  -DCMAKE_CXX_FLAGS="$sanitize" \
  -DHANDOVER_BUILD_FUZZERS=ON \
  -DHANDOVER_BUILD_TESTS=ON \
  -DHANDOVER_BUILD_EXAMPLES=OFF \
  -DHANDOVER_BUILD_TOOLS=OFF \
  -DHANDOVER_BUILD_BENCHMARKS=OFF \
  -DHANDOVER_INSTALL=OFF \
  -DHANDOVER_WARNINGS_AS_ERRORS=OFF >/dev/null
cmake --build "$build" -j"$jobs" --target handover_fuzz_parse handover_fuzz_signature

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
artifacts="$build/artifacts"
mkdir -p "$artifacts"
# Both targets at once, one core each (each gets its whole time), their output kept apart.
pids=()
for target in parse signature; do
  corpus="$work/$target"
  mkdir -p "$corpus"
  cp "$root"/tests/fixtures/webhooks/*.json "$root"/tests/fuzz/seeds/* "$corpus/"
  # The signature target reads a mode byte first: seeds for every mode, genuine and not.
  [ "$target" = signature ] && cp "$root"/tests/fuzz/seeds_signature/* "$corpus/"
  echo "fuzzing $target for ${seconds}s"
  ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" \
    UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    "$build/tests/fuzz/handover_fuzz_$target" "$corpus" \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
      -artifact_prefix="$artifacts/$target-" -print_final_stats=1 >"$work/$target.log" 2>&1 &
  pids+=($!)
done
status=0
i=0
for target in parse signature; do
  rc=0
  wait "${pids[$i]}" || rc=$?
  i=$((i + 1))
  echo "== fuzz target $target"
  cat "$work/$target.log"
  if [ "$rc" -ne 0 ]; then
    echo "fuzz target $target FAILED; reproducer in $artifacts" >&2
    status=1
  fi
done
exit "$status"
