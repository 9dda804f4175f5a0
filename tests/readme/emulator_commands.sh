#!/usr/bin/env bash
# README's emulator commands (blocks marked tested: emulator-*), run exactly as written with
# the built `handover` first on PATH, in a scratch directory beside the repository's examples:
#   - emulator-faults and emulator-record against `handover emulator --port 8080` (the default
#     world) after a user message, then the recorded scenario is replayed by the block itself;
#   - emulator-scenario with the demo's two apps listening where demo_world.json says.
#   emulator_commands.sh SOURCE_DIR HANDOVER_CLI DEMO_BOT DEMO_AGENT
set -euo pipefail
root=$1 cli=$2 bot=$3 agent=$4
work="$(mktemp -d /tmp/handover-readme-emulator.XXXXXX)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/bin" "$work/run"
ln -s "$cli" "$work/bin/handover"
ln -s "$root/examples" "$work/run/examples"
export PATH="$work/bin:$PATH"
wait_for() {  # log needle
  for _ in $(seq 100); do
    grep -q "$2" "$1" && return 0
    sleep 0.1
  done
  cat "$1" >&2
  echo "emulator_commands: '$2' never appeared in $1" >&2
  return 1
}

handover emulator --port 8080 > "$work/emulator.log" 2>&1 &
pids+=($!)
wait_for "$work/emulator.log" "listening on"
curl -sf -H 'Content-Type: application/json' \
  -d '{"page_id":"100000000000002","user_id":"6543210987654321","text":"hi"}' \
  127.0.0.1:8080/_emulator/user/message > /dev/null
python3 "$root/tests/readme/run_commands.py" "$root" "$work/run" emulator-faults \
  emulator-record
# The faults block took effect, and the recording holds the message.
curl -sf 127.0.0.1:8080/_emulator/faults | grep -q '"duplicate_rate":0.33'
grep -q '"user_says"' "$work/run/my.scenario.json"
kill "${pids[0]}"
wait "${pids[0]}" 2>/dev/null || true
pids=()

# The demo's apps on demo_world.json's webhook ports, calling Graph at :8080.
HANDOVER_APP_SECRET=bot-app-secret HANDOVER_PAGE_TOKENS=100000000000002=bot-routing-page-token \
  "$bot" --app-id 500000000000001 --peer-app-id 500000000000002 --port 18081 \
  --graph-url http://127.0.0.1:8080 > "$work/bot.log" 2>&1 &
pids+=($!)
HANDOVER_APP_SECRET=agent-app-secret \
  HANDOVER_PAGE_TOKENS=100000000000002=agent-routing-page-token \
  "$agent" --app-id 500000000000002 --peer-app-id 500000000000001 --port 18082 \
  --graph-url http://127.0.0.1:8080 > "$work/agent.log" 2>&1 &
pids+=($!)
wait_for "$work/bot.log" "listening on"
wait_for "$work/agent.log" "listening on"
python3 "$root/tests/readme/run_commands.py" "$root" "$work/run" emulator-scenario
grep -q 'tests="24" failures="0"' "$work/run/scenario.xml"
echo "emulator_commands: OK"
