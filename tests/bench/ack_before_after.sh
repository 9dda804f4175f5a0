#!/usr/bin/env bash
# The acknowledge path of this tree against an earlier revision's, in the same run: builds
# endpoint_bench at BASE (a git worktree under build/) and at the working tree (Release), then
# runs raw / memory / redis for both, interleaved, RUNS times, and prints the medians with
# their spread (max-min over median). The raw HMAC + 200 server is the same code in both, so
# its figures show the run's noise; compare the Endpoint rows through their ratio to raw.
#
#   tests/bench/ack_before_after.sh [BASE] [RUNS] [REQUESTS]
#   BASE      a revision (default 92200a8: the HTTP side still parsed every body fully)
#   RUNS      interleaved runs per build (default 5)
#   REQUESTS  signed POSTs per run over 4 keep-alive connections (default 20000)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
base="${1:-92200a8}"
runs="${2:-5}"
requests="${3:-20000}"
work="$root/build/bench-ack"
mkdir -p "$work"

build_at() {  # build_at SOURCE_DIR BUILD_DIR
  cmake -S "$1" -B "$2" -DCMAKE_BUILD_TYPE=Release -DHANDOVER_BUILD_TESTS=OFF \
    -DHANDOVER_BUILD_EXAMPLES=OFF -DHANDOVER_BUILD_TOOLS=ON -DHANDOVER_BUILD_BENCHMARKS=ON \
    -DHANDOVER_INSTALL=OFF -DHANDOVER_WARNINGS_AS_ERRORS=OFF >/dev/null
  cmake --build "$2" -j"$(nproc)" --target endpoint_bench >/dev/null
}

rm -rf "$work/base-src"
git worktree prune
git worktree add --detach -f "$work/base-src" "$base" >/dev/null 2>&1
trap 'git -C "$root" worktree remove --force "$work/base-src" >/dev/null 2>&1 || true' EXIT
echo "== building endpoint_bench at $base and at the working tree" >&2
build_at "$work/base-src" "$work/base-build"
build_at "$root" "$work/head-build"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/redis"
redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly yes --appendfsync always \
  --dir "$work/redis" --daemonize yes --logfile "$work/redis/log"
trap 'redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true;
      git -C "$root" worktree remove --force "$work/base-src" >/dev/null 2>&1 || true' EXIT
for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done

results="$work/results.txt"
: >"$results"
for ((r = 0; r < runs; r++)); do
  for which in base head; do
    for mode in raw memory redis; do
      "$work/$which-build/tests/bench/webhook/endpoint_bench" "$mode" "$requests" 4 "$port" |
        sed "s/^RESULT /RESULT ${which}_/" >>"$results"
    done
  done
done

awk -v base="$base" '
  /^RESULT/ { v[$2] = v[$2] " " $3 }
  function med(name,   a, n, i, j, t) {
    n = split(v[name], a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  function spread(name,   a, n, i, lo, hi) {
    n = split(v[name], a, " "); lo = hi = a[1]
    for (i = 2; i <= n; i++) { if (a[i] < lo) lo = a[i]; if (a[i] > hi) hi = a[i] }
    return sprintf("%.0f%%", 100 * (hi - lo) / med(name))
  }
  END {
    printf "%-8s %-7s %12s %7s %14s %7s %10s %10s\n", "build", "server", "events/s", "spread",
           "ack CPU us/ev", "spread", "x raw ev/s", "x raw CPU"
    split("base head", builds, " "); split("raw memory redis", modes, " ")
    for (b = 1; b <= 2; b++) for (m = 1; m <= 3; m++) {
      p = builds[b] "_endpoint_" modes[m] "_c4_"; raw = builds[b] "_endpoint_raw_c4_"
      printf "%-8s %-7s %12.0f %7s %14.1f %7s %10.2f %10.2f\n", (b == 1 ? base : "HEAD"),
             modes[m], med(p "rps"), spread(p "rps"), med(p "ack_cpu_us"), spread(p "ack_cpu_us"),
             med(p "rps") / med(raw "rps"), med(p "ack_cpu_us") / med(raw "ack_cpu_us")
    }
  }' "$results"
