#!/usr/bin/env bash
# README's test command and exactly what .ci/run calls: installs what is missing, builds
# (RelWithDebInfo, static), runs the whole test suite, then the CI stages, each in its own
# build tree and time-bounded.
#
#   HANDOVER_CI_STAGES   which stages run, space or comma separated (default: all), in
#                        this order (the cheap checks first, so a slip fails in a minute):
#                        format  clang-format check                         (tests/ci/lint.sh format)
#                        docs    doxygen, warnings are errors               (tests/ci/docs.sh)
#                        main    build/ci + ctest (everything)
#                        asan    ASan+UBSan shared-library build + ctest, the
#                                installed-package tests included           (tests/ci/asan.sh)
#                        tsan    TSan build of the `concurrency` tests      (tests/ci/tsan.sh)
#                        bench   tests/bench/run.sh --smoke over the main build: every
#                                benchmark runs once with tiny sizes (no figures, no pass/fail
#                                on speed)
#                        fuzz    tests/fuzz/run.sh: libFuzzer, both targets (clang)
#                        lint    clang-tidy                                 (tests/ci/lint.sh tidy)
#                        e.g. HANDOVER_CI_STAGES=main tests/run.sh for the quick local loop.
#   HANDOVER_BUILD_DIR   main build tree (default build/ci); stage trees go beside it.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root" || exit 1
# shellcheck source=tests/ci/lib.sh
source tests/ci/lib.sh

all_stages=(format docs main bench asan tsan fuzz lint)
requested="${HANDOVER_CI_STAGES:-all}"
requested="${requested//,/ }"
[ "$requested" = all ] && requested="${all_stages[*]}"
for s in $requested; do
  case " ${all_stages[*]} " in *" $s "*) ;; *)
    echo "tests/run.sh: unknown stage '$s' (known: ${all_stages[*]} all)" >&2; exit 2 ;;
  esac
done
wants() { case " $requested " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

# Each stage installs what it needs, so a fresh Debian 12 machine passes.
extra=()
wants docs && extra+=(doxygen)
wants format && extra+=(clang-format)
wants lint && extra+=(clang-tidy)
wants fuzz && extra+=(clang libclang-rt-14-dev)
wants bench && extra+=(nginx-light valgrind)
# The emulator inspector's browser test (tests/emulator/ui/inspector_test.py) runs in main.
wants main && extra+=(chromium chromium-driver python3-selenium)
cmake/install-deps.sh "${extra[@]}" || exit 1

# Wall-clock bound per stage, in seconds: the whole run stays well under 30 minutes.
declare -A limit=([format]=60 [main]=1200 [bench]=240 [asan]=900 [tsan]=420 [fuzz]=300 [docs]=120 [lint]=420)

main_stage() {
  cmake -S . -B "$main_build" -DCMAKE_BUILD_TYPE=RelWithDebInfo &&
    cmake --build "$main_build" -j"$jobs" &&
    ctest --test-dir "$main_build" --output-on-failure -j"$jobs" --timeout 300 --no-tests=error
}
bench_stage() {
  BENCH_BUILD="$main_build" BENCH_REUSE_BUILD=1 bash tests/bench/run.sh --smoke
}
fuzz_stage() {
  # A missing fuzz script is a broken checkout, not a reason to skip: the stage fails.
  if [ ! -x tests/fuzz/run.sh ]; then
    echo "fuzz: tests/fuzz/run.sh is missing or not executable" >&2
    return 1
  fi
  tests/fuzz/run.sh
}

mkdir -p "$build_base"
logs="$build_base/ci-logs"
mkdir -p "$logs"
summary=()
failed=()
total_passed=0
total_failed=0
run_start=$SECONDS
for stage in "${all_stages[@]}"; do
  wants "$stage" || continue
  log "stage $stage (limit ${limit[$stage]} s)"
  start=$SECONDS
  case "$stage" in
    main) cmd=(main_stage) ;;
    format) cmd=(bash tests/ci/lint.sh format) ;;
    lint) cmd=(bash tests/ci/lint.sh tidy) ;;
    bench) cmd=(bench_stage) ;;
    fuzz) cmd=(fuzz_stage) ;;
    *) cmd=(bash "tests/ci/$stage.sh") ;;
  esac
  export -f main_stage bench_stage fuzz_stage
  # timeout signals the whole process group, so compilers and test processes stop too.
  timeout -k 20 "${limit[$stage]}" bash -c "source tests/ci/lib.sh; $(printf '%q ' "${cmd[@]}")" \
    2>&1 | tee "$logs/$stage.log"
  rc=${PIPESTATUS[0]}
  took=$((SECONDS - start))
  counts=""
  # CTest's closing line: "NN% tests passed, F tests failed out of T".
  while read -r f t; do
    total_passed=$((total_passed + t - f))
    total_failed=$((total_failed + f))
    counts+=" $((t - f))/$t tests"
  done < <(sed -nE 's/^[0-9]+% tests passed, ([0-9]+) tests? failed out of ([0-9]+).*/\1 \2/p' \
    "$logs/$stage.log")
  if [ "$rc" -eq 0 ]; then
    result=PASS
  elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    result="TIMEOUT after ${limit[$stage]} s"
    failed+=("$stage")
  else
    result="FAIL (exit $rc)"
    failed+=("$stage")
  fi
  summary+=("$(printf '%-7s %-22s %5d s %s' "$stage" "$result" "$took" "$counts")")
  # CI shows only the end of the output: repeat which tests failed there.
  failed_tests=$(sed -n '/^The following tests FAILED:/,/^Errors while running CTest/p' "$logs/$stage.log" |
    sed -nE 's/^[[:space:]]+[0-9]+ - (.*)$/\1/p')
  if [ -n "$failed_tests" ]; then
    summary+=("        failed tests: $(echo "$failed_tests" | tr '\n' ';' | sed 's/;$//')")
  fi
done

echo
echo "== handover CI summary (logs in $logs)"
printf '%s\n' "${summary[@]}"
echo "total time: $((SECONDS - run_start)) s"
if ((${#failed[@]})); then
  echo "failed stages: ${failed[*]}"
fi
# The plain closing line CI reads: tests run across all stages.
echo "handover: $total_passed passed, $total_failed failed"
((${#failed[@]} == 0))
