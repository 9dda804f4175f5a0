#!/usr/bin/env bash
# Stage `lint`: clang-format (the repo's .clang-format) on include/ src/ tests/ examples/, and
# clang-tidy (the repo's .clang-tidy, warnings are errors) on the library and tool sources
# src/**/*.cpp with the main build's compile_commands.json. Usage: lint.sh [format|tidy|all]
set -euo pipefail
# shellcheck source=tests/ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$root"
what="${1:-all}"
status=0

if [ "$what" = all ] || [ "$what" = format ]; then
  # Vendored third-party code (Catch2's single header) is not ours to format.
  mapfile -t files < <(find include src tests examples -type f \
    \( -name '*.hpp' -o -name '*.cpp' -o -name '*.h' -o -name '*.cc' \) \
    ! -path tests/support/catch.hpp | sort)
  if ((${#files[@]} == 0)); then echo "lint: no C++ files found" >&2; exit 1; fi
  log "lint: clang-format $(clang-format --version | grep -o '[0-9][0-9.]*' | head -n1) on ${#files[@]} files"
  bad=()
  for f in "${files[@]}"; do
    [ -f "$f" ] || continue
    if ! clang-format --dry-run -Werror --style=file "$f" >/dev/null 2>&1; then bad+=("$f"); fi
  done
  if ((${#bad[@]})); then
    echo "lint: ${#bad[@]} files are not clang-formatted (fix: clang-format -i <file>):" >&2
    printf '  %s\n' "${bad[@]}" >&2
    status=1
  fi
fi

if [ "$what" = all ] || [ "$what" = tidy ]; then
  if [ ! -f "$main_build/compile_commands.json" ]; then
    log "lint: configuring $main_build for compile_commands.json"
    cmake -S . -B "$main_build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  fi
  sources="$(grep -c "\"file\": \"$root/src/.*\.cpp\"" "$main_build/compile_commands.json" || true)"
  log "lint: clang-tidy $(clang-tidy --version | grep -o '[0-9][0-9.]*' | head -n1) on $sources files under src/"
  if [ "$sources" -eq 0 ]; then
    echo "lint: no src/*.cpp in $main_build/compile_commands.json" >&2
    exit 1
  fi
  tidy_log="$build_base/ci-clang-tidy.log"
  # run-clang-tidy runs the files in parallel and exits non-zero on any diagnostic
  # (.clang-tidy makes every warning an error).
  # It asks clang-tidy for colours: strip them for the log.
  if ! run-clang-tidy -quiet -p "$main_build" -j "$jobs" "^$root/src/.*\\.cpp$" 2>&1 |
      sed -E $'s/\x1b\\[[0-9;]*m//g' >"$tidy_log"; then
    grep -E '(warning|error):' "$tidy_log" | sort -u >&2 || true
    echo "lint: clang-tidy found problems (full log: $tidy_log); per file:" >&2
    grep -oE '^[^:]+:[0-9]+:[0-9]+: (warning|error):' "$tidy_log" | cut -d: -f1 | sort |
      uniq -c >&2 || true
    status=1
  fi
fi

if [ "$status" -eq 0 ]; then echo "lint: OK"; fi
exit "$status"
