#!/usr/bin/env bash
# CTest fixture: a private redis-server for the `redis`-labelled tests.
#   redis_fixture.sh start DIR   starts one on 127.0.0.1 at a free port; writes DIR/redis.port
#   redis_fixture.sh stop DIR    stops it
# No persistence, no daemon left behind. A missing redis-server is a failure, never a skip:
# cmake/install-deps.sh (run by .ci/run) installs it.
set -euo pipefail
cmd="${1:?start|stop}"
dir="${2:?state directory}"
mkdir -p "$dir"
pidfile="$dir/redis.pid"
portfile="$dir/redis.port"

stop() {
  if [ -f "$pidfile" ]; then
    pid="$(cat "$pidfile")"
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid"
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$pidfile"
  fi
  rm -f "$portfile"
}

case "$cmd" in
  start)
    if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
      echo "redis_fixture: redis-server/redis-cli not found (apt-get install redis-server," \
        "or run cmake/install-deps.sh)" >&2
      exit 1
    fi
    stop
    for _ in $(seq 20); do
      port=$((20000 + RANDOM % 40000))
      # A port someone listens on already: try another.
      if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then continue; fi
      redis-server --bind 127.0.0.1 --port "$port" --save "" --appendonly no \
        --daemonize yes --pidfile "$pidfile" --logfile "$dir/redis.log" --dir "$dir" || continue
      for _ in $(seq 50); do
        if [ -s "$pidfile" ] && [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ]; then
          # The server answering must be ours (a race for the port is possible).
          if redis-cli -p "$port" info server | grep -q "process_id:$(cat "$pidfile")"; then
            echo "$port" >"$portfile"
            echo "redis_fixture: redis-server on 127.0.0.1:$port"
            exit 0
          fi
          break
        fi
        sleep 0.1
      done
      stop
    done
    echo "redis_fixture: could not start redis-server (see $dir/redis.log)" >&2
    exit 1
    ;;
  stop)
    stop
    ;;
  *)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
