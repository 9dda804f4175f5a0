#!/usr/bin/env bash
# Every benchmark of handover, each figure next to its baseline measured in the same run, as one
# table. Usage:
#   tests/bench/run.sh            full run: 50 MB corpus, 5 runs each, nginx/wrk/Node peer
#   tests/bench/run.sh --smoke    tiny sizes, one run: proves the benches still work (CI)
# Installs what is missing (nginx-light, wrk, valgrind from Debian; the Node peer from the npm
# registry into tests/bench/.peer/, git-ignored). Loopback only; nginx is stopped by its pid.
# Environment: BENCH_BUILD (build dir, default build/bench), BENCH_RUNS (default 5),
# BENCH_ONLY (comma-separated sections to run: parse, graph, e2e, endpoint; default all),
# BENCH_REUSE_BUILD=1 (build the bench targets in BENCH_BUILD as it is configured, without
# reconfiguring it as Release: CI's smoke run reuses its main build this way).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
smoke=0
[ "${1:-}" = "--smoke" ] && smoke=1
build="${BENCH_BUILD:-$root/build/bench}"
runs="${BENCH_RUNS:-5}"
work="$(mktemp -d /tmp/handover-bench.XXXXXX)"
results="$work/results.txt"
: >"$results"
nginx_pid=""

cleanup() {
  if [ -n "$nginx_pid" ] && kill -0 "$nginx_pid" 2>/dev/null; then kill "$nginx_pid"; fi
  rm -rf "$work"
}
trap cleanup EXIT

note() { echo "bench: $*" >&2; }
only="${BENCH_ONLY:-all}"
section() { [ "$only" = all ] || [[ ",$only," == *",$1,"* ]]; }

if ((smoke)); then
  corpus_bytes=300000 runs=1 graph_requests=300 callgrind_bytes=50000
else
  corpus_bytes=50000000 graph_requests=20000 callgrind_bytes=2000000
  extra=()
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || extra+=(nginx-light)
  command -v wrk >/dev/null || extra+=(wrk)
  command -v valgrind >/dev/null || extra+=(valgrind)
  command -v node >/dev/null || extra+=(nodejs npm)
  bash "$root/cmake/install-deps.sh" "${extra[@]}"
fi

# --- build (Release, benches only) -----------------------------------------------------------
note "building in $build"
if [ "${BENCH_REUSE_BUILD:-0}" != 1 ]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DHANDOVER_BUILD_BENCHMARKS=ON \
    -DHANDOVER_BUILD_TESTS=OFF -DHANDOVER_BUILD_EXAMPLES=ON -DHANDOVER_BUILD_TOOLS=ON >/dev/null
fi
cmake --build "$build" -j"$(nproc)" --target webhook_bench graph_bench e2e_bench webhook_server \
  endpoint_bench \
  >/dev/null
wb="$build/tests/bench/webhook/webhook_bench"
gb="$build/tests/bench/graph/graph_bench"

# --- webhook parsing and signatures ----------------------------------------------------------
if section parse; then
note "webhook parse: corpus of $corpus_bytes bytes, $runs runs"
corpus="$work/corpus.jsonl"
"$wb" --write-corpus "$corpus" --bytes "$corpus_bytes"
"$wb" --corpus "$corpus" --bytes "$corpus_bytes" --runs "$runs" | grep '^RESULT' >>"$results"

# Instructions per byte under callgrind: each variant's count minus the corpus-loading pass.
if command -v valgrind >/dev/null; then
  note "callgrind over a ${callgrind_bytes}-byte prefix"
  declare -A ir
  for v in load sax_noop sax_default sax_insitu dom dom_extract typed; do
    valgrind --tool=callgrind --callgrind-out-file="$work/cg.$v" "$wb" --corpus "$corpus" \
      --bytes "$callgrind_bytes" --variant "$v" >"$work/cg.$v.txt" 2>/dev/null
    ir[$v]=$(grep -m1 '^summary:' "$work/cg.$v" | awk '{print $2}')
  done
  prefix=$(awk '/^bytes/{print $2}' "$work/cg.load.txt")
  for v in sax_noop sax_default sax_insitu dom dom_extract typed; do
    echo "RESULT ${v}_ir_per_byte $(awk -v a="${ir[$v]}" -v b="${ir[load]}" -v n="$prefix" \
      'BEGIN{printf "%.3f", (a-b)/n}') Ir/B" >>"$results"
  done
else
  note "valgrind missing: no instructions-per-byte figures"
fi
fi  # parse

# --- Graph calls against nginx ---------------------------------------------------------------
if section graph; then
nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"
if [ -x "$nginx_bin" ]; then
  port=$((20000 + RANDOM % 20000))
  mkdir -p "$work/nginx/logs"
  cat >"$work/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon on;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 10000000;
  keepalive_timeout 60s;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  server {
    listen 127.0.0.1:$port;
    location / {
      default_type application/json;
      return 200 '{"success":true}';
    }
  }
}
EOF
  "$nginx_bin" -p "$work/nginx" -c "$work/nginx/nginx.conf"
  for _ in $(seq 50); do [ -s "$work/nginx/nginx.pid" ] && break; sleep 0.1; done
  nginx_pid="$(cat "$work/nginx/nginx.pid")"
  base="http://127.0.0.1:$port"
  note "nginx (pid $nginx_pid) on $base; $graph_requests requests per measurement, $runs runs"

  for ((r = 0; r < runs; r++)); do
    "$gb" "$base" raw_easy "$graph_requests" 1 >>"$results"
    "$gb" "$base" sync "$graph_requests" 1 >>"$results"
    for c in 16 64; do
      "$gb" "$base" raw_multi "$graph_requests" "$c" >>"$results"
      "$gb" "$base" async "$graph_requests" "$c" >>"$results"
    done
  done

  if command -v wrk >/dev/null; then
    cat >"$work/post.lua" <<'EOF'
wrk.method = "POST"
wrk.body = '{"recipient":{"id":"6543210987654321"},"target_app_id":"263902037430900","metadata":"bench"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer EAAGbenchPAGEtoken0123456789abcdef"
EOF
    duration=$((smoke ? 1 : 3))
    for c in 16 64; do
      for ((r = 0; r < runs; r++)); do
        rps=$(wrk -t1 -c"$c" -d"${duration}s" -s "$work/post.lua" "$base/v26.0/me/pass_thread_control" |
          awk '/^Requests\/sec/{print $2}')
        echo "RESULT wrk_c${c}_rps $rps req/s" >>"$results"
      done
    done
  else
    note "wrk missing: no server ceiling"
  fi

  peer="$root/tests/bench/.peer"
  if ((smoke)) && [ ! -d "$peer/node_modules/messaging-api-messenger" ]; then
    note "smoke: Node peer not installed, skipped"
  elif command -v node >/dev/null && command -v npm >/dev/null; then
    if [ ! -d "$peer/node_modules/messaging-api-messenger" ]; then
      mkdir -p "$peer"
      [ -f "$peer/package.json" ] || echo '{"private":true}' >"$peer/package.json"
      (cd "$peer" && npm install --no-audit --no-fund messaging-api-messenger@1.1.0 >/dev/null)
    fi
    peer_requests=$((graph_requests / 4))
    for ((r = 0; r < runs; r++)); do
      for c in 1 16 64; do
        node "$root/tests/bench/graph/peer_bench.js" "$peer/node_modules" "$base" \
          "$peer_requests" "$c" >>"$results"
      done
    done
  else
    note "node/npm missing: no peer figures"
  fi
else
  note "nginx missing (smoke run): Graph call benches skipped"
fi
fi  # graph

# --- end to end: emulator -> examples/webhook_server -> emulator ------------------------------
if section e2e; then
e2e_users=$((smoke ? 100 : 3000))
note "end to end: $e2e_users users, 8 and 32 in flight, $runs runs"
for ((r = 0; r < runs; r++)); do
  for c in 8 32; do
    "$build/tests/bench/e2e/e2e_bench" "$build/examples/webhook_server" "$e2e_users" "$c" >>"$results"
  done
done
fi  # e2e

# --- a webhook server on Endpoint against a raw HMAC + 200 server -------------------------------
if section endpoint; then
# Redis with the settings the durability guarantee needs (appendonly yes, appendfsync always);
# the same with appendfsync everysec; and a primary with one replica, the endpoint asking
# `WAIT 1` after each write. Each Redis is started here and stopped by its port.
endpoint_requests=$((smoke ? 300 : 20000))
sequential_requests=$((smoke ? 100 : 3000))
redis_ports=()
start_redis() {  # start_redis NAME FSYNC [REPLICAOF_PORT]: prints the port
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  mkdir -p "$work/redis-$1"
  redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly yes --appendfsync "$2" \
    --dir "$work/redis-$1" --daemonize yes --logfile "$work/redis-$1/log" \
    ${3:+--replicaof 127.0.0.1 "$3"}
  for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  echo "$port"
}
redis_always=$(start_redis always always)
redis_everysec=$(start_redis everysec everysec)
redis_primary=$(start_redis primary always)
redis_replica=$(start_redis replica always "$redis_primary")
redis_ports=("$redis_always" "$redis_everysec" "$redis_primary" "$redis_replica")
stop_redis() { for p in "${redis_ports[@]}"; do redis-cli -p "$p" shutdown nosave >/dev/null 2>&1 || true; done; }
trap 'stop_redis; cleanup' EXIT
# The replica in sync (online), or WAIT 1 would time out and the endpoint answer 503.
for _ in $(seq 300); do
  redis-cli -p "$redis_primary" info replication | grep -q 'slave0:.*state=online' && break
  sleep 0.1
done
note "endpoint: $endpoint_requests signed POSTs over 4 keep-alive connections, $runs runs"
eb="$build/tests/bench/webhook/endpoint_bench"
for ((r = 0; r < runs; r++)); do
  "$eb" raw "$endpoint_requests" 4 >>"$results"
  "$eb" memory "$endpoint_requests" 4 >>"$results"
  "$eb" redis "$endpoint_requests" 4 "$redis_always" >>"$results"
  "$eb" redis "$endpoint_requests" 4 "$redis_everysec" keepalive 0 redis_everysec >>"$results"
  "$eb" redis "$endpoint_requests" 4 "$redis_primary" keepalive 1 redis_wait1 >>"$results"
  # One connection, one request at a time: keep-alive against a fresh connection per request.
  for framing in keepalive close; do
    "$eb" memory "$sequential_requests" 1 0 "$framing" >>"$results"
  done
done
stop_redis
fi  # endpoint

# --- the table -------------------------------------------------------------------------------
awk -v smoke="$smoke" '
  /^RESULT/ { v[$2] = v[$2] " " $3; u[$2] = $4 }
  function med(name,   a, n, i, j, t) {
    n = split(v[name], a, " ")
    if (n == 0) return ""
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  function noise(name,   a, n, i, lo, hi, m, k) {
    n = split(v[name], a, " ")
    if (n < 2) {  # webhook_bench reports its own spread as <variant>_noise
      if (name !~ /_mbps$/) return "-"
      k = substr(name, 1, length(name) - 5) "_noise"
      if (!(k in v)) { k = name; sub(/_(raw|ours)_mbps$/, "_noise", k) }
      return (k in v) ? sprintf("%.0f%%", 100 * v[k]) : "-"
    }
    lo = hi = a[1]; for (i = 2; i <= n; i++) { if (a[i] < lo) lo = a[i]; if (a[i] > hi) hi = a[i] }
    m = med(name); return m > 0 ? sprintf("%.0f%%", 100 * (hi - lo) / m) : "-"
  }
  # The ratio: the per-run ratio a bench reports itself (rkey), else the median of
  # run-by-run ratios (runs are interleaved, so each pair shares the load of the
  # moment), else the ratio of medians.
  function row(label, name, base, fmt, rkey,   m, b, r, a, c, n, i, q) {
    m = med(name); if (m == "") return
    r = ""
    if (rkey != "" && (rkey in v)) {
      r = sprintf("%.2fx", med(rkey))
    } else if (base != "") {
      n = split(v[name], a, " ")
      if (n > 1 && split(v[base], c, " ") == n) {
        q = ""
        for (i = 1; i <= n; i++) if (c[i] > 0) q = q " " a[i] / c[i]
        v["__ratio"] = q
        r = sprintf("%.2fx", med("__ratio"))
      } else {
        b = med(base)
        r = (b != "" && b > 0) ? sprintf("%.2fx", m / b) : ""
      }
    }
    printf "| %-44s | %12s %-9s | %-7s | %-8s |\n", label, sprintf(fmt, m), u[name], noise(name), r
  }
  END {
    if (smoke) print "(smoke run: tiny sizes, figures meaningless)"
    printf "| %-44s | %22s | %-7s | %-8s |\n", "figure", "median", "noise", "ratio"
    print "|" sprintf("%46s", "") "|" sprintf("%24s", "") "|---------|----------|" 
    row("RapidJSON SAX, no-op handler (baseline)", "sax_noop_mbps", "", "%.0f")
    row("RapidJSON SAX no-op in situ, copy included", "sax_insitu_mbps", "sax_noop_mbps", "%.0f", "sax_insitu_vs_sax")
    row("RapidJSON DOM parse", "dom_mbps", "sax_noop_mbps", "%.0f", "dom_vs_sax")
    row("RapidJSON DOM + owned strings (naive)", "dom_extract_mbps", "sax_noop_mbps", "%.0f", "dom_extract_vs_sax")
    row("handover::webhook::parse (typed, in situ)", "typed_mbps", "sax_noop_mbps", "%.0f", "typed_vs_sax")
    row("RapidJSON SAX no-op, default flags (target base)", "sax_default_mbps", "", "%.0f")
    row("typed parse vs default-flags no-op (target 0.85x)", "typed_mbps", "sax_default_mbps", "%.0f", "typed_vs_sax_default")
    row("typed parser floor: checks + copy + no-op", "sax_ours_noop_mbps", "sax_default_mbps", "%.0f", "sax_ours_noop_vs_sax_default")
    row("typed parse vs that floor (building events)", "typed_mbps", "sax_ours_noop_mbps", "%.0f", "typed_vs_sax_ours_noop")
    row("typed parse, events/s", "typed_events_per_s", "", "%.0f")
    row("typed parse, median-size body", "typical_typed_ns", "typical_sax_ns", "%.0f")
    row("SAX no-op, median-size body", "typical_sax_ns", "", "%.0f")
    row("SAX no-op instructions/byte (callgrind)", "sax_noop_ir_per_byte", "", "%.2f")
    row("SAX no-op in situ instructions/byte", "sax_insitu_ir_per_byte", "sax_noop_ir_per_byte", "%.2f")
    row("DOM instructions/byte", "dom_ir_per_byte", "sax_noop_ir_per_byte", "%.2f")
    row("DOM + owned strings instructions/byte", "dom_extract_ir_per_byte", "sax_noop_ir_per_byte", "%.2f")
    row("typed instructions/byte", "typed_ir_per_byte", "sax_noop_ir_per_byte", "%.2f")
    row("default-flags no-op instructions/byte", "sax_default_ir_per_byte", "", "%.2f")
    row("typed vs default-flags no-op, instructions", "typed_ir_per_byte", "sax_default_ir_per_byte", "%.2f")
    row("heap allocations per event (typed)", "allocs_per_event", "", "%.2f")
    row("  of which user-owned strings/vectors", "owned_blocks_per_event", "", "%.2f")
    row("  beyond what the user keeps", "extra_allocs_per_event", "", "%.2f")
    row("raw HMAC-SHA256 median body (baseline)", "sig_typical_raw_mbps", "", "%.0f")
    row("verify signature, median body (target 0.95x)", "sig_typical_ours_mbps", "sig_typical_raw_mbps", "%.0f", "sig_typical_ratio")
    row("raw HMAC-SHA256 1 KiB (baseline)", "sig_1k_raw_mbps", "", "%.0f")
    row("verify signature 1 KiB", "sig_1k_ours_mbps", "sig_1k_raw_mbps", "%.0f", "sig_1k_ratio")
    row("raw HMAC-SHA256 64 KiB (baseline)", "sig_64k_raw_mbps", "", "%.0f")
    row("verify signature 64 KiB", "sig_64k_ours_mbps", "sig_64k_raw_mbps", "%.0f", "sig_64k_ratio")
    row("raw libcurl, one easy handle, sequential", "raw_easy_c1_rps", "", "%.0f")
    row("sync Client, sequential", "sync_c1_rps", "raw_easy_c1_rps", "%.0f")
    row("Node peer, sequential", "peer_c1_rps", "raw_easy_c1_rps", "%.0f")
    row("sync Client vs Node peer, sequential", "sync_c1_rps", "peer_c1_rps", "%.0f")
    for (c = 16; c <= 64; c *= 4) {
      row("wrk, " c " connections (server ceiling)", "wrk_c" c "_rps", "", "%.0f")
      row("raw curl_multi, " c " in flight", "raw_multi_c" c "_rps", "wrk_c" c "_rps", "%.0f")
      row("AsyncClient, " c " in flight", "async_c" c "_rps", "raw_multi_c" c "_rps", "%.0f")
      row("Node peer, " c " in flight", "peer_c" c "_rps", "raw_multi_c" c "_rps", "%.0f")
      row("AsyncClient vs Node peer, " c " in flight", "async_c" c "_rps", "peer_c" c "_rps", "%.0f")
    }
    row("webhook server, raw HMAC + 200 (baseline)", "endpoint_raw_c4_rps", "", "%.0f")
    row("Endpoint + MemoryQueue", "endpoint_memory_c4_rps", "endpoint_raw_c4_rps", "%.0f")
    row("Endpoint + Redis, fsync always (>=0.5x)", "endpoint_redis_c4_rps", "endpoint_raw_c4_rps", "%.0f")
    row("  raw server CPU per event (baseline)", "endpoint_raw_c4_ack_cpu_us", "", "%.1f")
    row("  ack path CPU/event, MemoryQueue (<=1.3x)", "endpoint_memory_c4_ack_cpu_us", "endpoint_raw_c4_ack_cpu_us", "%.1f")
    row("  ack path CPU/event, Redis (<=1.3x)", "endpoint_redis_c4_ack_cpu_us", "endpoint_raw_c4_ack_cpu_us", "%.1f")
    row("  with handling CPU/event, MemoryQueue", "endpoint_memory_c4_cpu_us", "endpoint_raw_c4_cpu_us", "%.1f")
    row("  with handling CPU/event, Redis (<=2.5x)", "endpoint_redis_c4_cpu_us", "endpoint_raw_c4_cpu_us", "%.1f")
    row("Endpoint + Redis, fsync everysec", "endpoint_redis_everysec_c4_rps", "endpoint_raw_c4_rps", "%.0f")
    row("  ack path CPU/event, fsync everysec", "endpoint_redis_everysec_c4_ack_cpu_us", "endpoint_raw_c4_ack_cpu_us", "%.1f")
    row("  with handling CPU/event, fsync everysec", "endpoint_redis_everysec_c4_cpu_us", "endpoint_raw_c4_cpu_us", "%.1f")
    row("Endpoint + Redis, 1 replica, WAIT 1", "endpoint_redis_wait1_c4_rps", "endpoint_raw_c4_rps", "%.0f")
    row("  ack path CPU/event, WAIT 1", "endpoint_redis_wait1_c4_ack_cpu_us", "endpoint_raw_c4_ack_cpu_us", "%.1f")
    row("  with handling CPU/event, WAIT 1", "endpoint_redis_wait1_c4_cpu_us", "endpoint_raw_c4_cpu_us", "%.1f")
    row("Endpoint, 1 connection, Connection: close (baseline)", "endpoint_memory_close_c1_rps", "", "%.0f")
    row("Endpoint, 1 connection, keep-alive (>=1.0x)", "endpoint_memory_c1_rps", "endpoint_memory_close_c1_rps", "%.0f")
    for (c = 8; c <= 32; c *= 4) {
      row("end to end events/s, " c " users in flight", "e2e_c" c "_events_per_s", "", "%.0f")
      row("end to end p50 latency, " c " in flight", "e2e_c" c "_p50_ms", "", "%.1f")
      row("end to end p99 latency, " c " in flight", "e2e_c" c "_p99_ms", "", "%.1f")
      row("  webhook_server CPU, % of a core", "e2e_c" c "_server_cpu_pct", "", "%.0f")
      row("  emulator + driver CPU, % of a core", "e2e_c" c "_emulator_cpu_pct", "", "%.0f")
      row("  webhook_server CPU per event", "e2e_c" c "_server_cpu_us", "", "%.0f")
      row("  emulator + driver CPU per event", "e2e_c" c "_emulator_cpu_us", "", "%.0f")
    }
    row("CPU/request raw easy", "raw_easy_c1_cpu_us", "", "%.1f")
    row("CPU/request sync Client", "sync_c1_cpu_us", "raw_easy_c1_cpu_us", "%.1f")
    row("CPU/request Node peer sequential", "peer_c1_cpu_us", "raw_easy_c1_cpu_us", "%.1f")
    for (c = 16; c <= 64; c *= 4) {
      row("CPU/request raw curl_multi " c, "raw_multi_c" c "_cpu_us", "", "%.1f")
      row("CPU/request AsyncClient " c, "async_c" c "_cpu_us", "raw_multi_c" c "_cpu_us", "%.1f")
      row("CPU/request Node peer " c, "peer_c" c "_cpu_us", "raw_multi_c" c "_cpu_us", "%.1f")
    }
  }' "$results"
echo
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "ratio: against the baseline of the line's group, measured in the same run; noise: (max-min)/median over the runs"
