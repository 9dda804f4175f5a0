# Sourced by tests/run.sh and the stage scripts in tests/ci/: paths and small helpers.
# shellcheck shell=bash disable=SC2034 # the variables are for the scripts that source this
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
jobs="$(nproc 2>/dev/null || echo 2)"
# The main build (RelWithDebInfo, static). Stages put their trees beside it: build/ci-<stage>.
main_build="${HANDOVER_BUILD_DIR:-build/ci}"
case "$main_build" in /*) ;; *) main_build="$root/$main_build" ;; esac
build_base="$(dirname "$main_build")"

# Sanitizer trees build the library and the tests only.
lean_options=(-DHANDOVER_BUILD_EXAMPLES=OFF -DHANDOVER_BUILD_TOOLS=OFF
              -DHANDOVER_BUILD_BENCHMARKS=OFF -DHANDOVER_INSTALL=OFF)

log() { printf '== %s\n' "$*" >&2; }
