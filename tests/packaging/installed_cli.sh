#!/usr/bin/env bash
# The installed `handover` CLI alone: `handover emulator` with no config serves its default
# world, the same CLI passes a thread there and reads the owner back, and SIGTERM stops it.
# Usage: installed_cli.sh <prefix> <work dir>
set -euo pipefail
prefix="$1" work="$2"
cli="$prefix/bin/handover"
[ -x "$cli" ] || { echo "the install lacks bin/handover" >&2; exit 1; }
rm -rf "$work" && mkdir -p "$work"

# A shared build finds libhandover* through the CLI's relative RPATH, not the environment.
unset LD_LIBRARY_PATH
"$cli" emulator --port 0 > "$work/emulator.out" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  grep -q "listening on" "$work/emulator.out" && break
  sleep 0.05
done
url="$(sed -n 's/^handover emulator listening on //p' "$work/emulator.out" | head -n1)"
[ -n "$url" ] || { echo "no 'listening on' line:"; cat "$work/emulator.out"; exit 1; } >&2
grep -q "the default world" "$work/emulator.out"

export HANDOVER_ACCESS_TOKEN=bot-legacy-page-token  # the default world's bot, legacy Page
user=6543210987654321 page=100000000000001 agent=500000000000002
"$cli" pass "$user" "$agent" --page "$page" --base-url "$url" | tee "$work/pass.json"
grep -q '"success":true' "$work/pass.json"
"$cli" owner "$user" --page "$page" --base-url "$url" | tee "$work/owner.json"
grep -q "\"app_id\":\"$agent\"" "$work/owner.json"

kill -TERM "$pid"
wait "$pid"
trap - EXIT
grep -q "handover emulator stopped" "$work/emulator.out"
echo "installed cli ok"
