#!/bin/bash
# The demo expressed as a scenario (examples/demo/demo.scenario.json), run the way a user's CI
# would: the demo's two apps as real processes, then `handover emulator test` against them.
# Then a broken scenario must fail with a readable diff, and a malformed one must name the file
# and the path inside it.
#   demo_scenario.sh HANDOVER_CLI DEMO_BOT DEMO_AGENT WORK_DIR
set -u
cli=$1 bot=$2 agent=$3 work=$4
here=$(cd "$(dirname "$0")" && pwd)
demo=$(cd "$here/../../../examples/demo" && pwd)
rm -rf "$work" && mkdir -p "$work"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; }
trap cleanup EXIT
fail() { echo "demo_scenario: $*" >&2; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
emu_port=$(free_port) bot_port=$(free_port) agent_port=$(free_port)
# The demo's world with this run's ports (the scenario's own config uses fixed ones).
sed -e "s/127.0.0.1:18081/127.0.0.1:$bot_port/" -e "s/127.0.0.1:18082/127.0.0.1:$agent_port/" \
  "$demo/demo_world.json" > "$work/world.json"

start_app() {  # name binary app-id peer port secret token whatsapp-token
  HANDOVER_APP_SECRET=$6 HANDOVER_PAGE_TOKENS="100000000000002=$7,106540352242922=$8" \
    "$2" --app-id "$3" --peer-app-id "$4" --port "$5" --graph-url "http://127.0.0.1:$emu_port" \
    > "$work/$1.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do
    grep -q "listening on" "$work/$1.log" && return 0
    sleep 0.1
  done
  cat "$work/$1.log" >&2
  fail "$1 did not start"
}
start_app bot "$bot" 500000000000001 500000000000002 "$bot_port" bot-app-secret \
  bot-routing-page-token bot-whatsapp-token
start_app agent "$agent" 500000000000002 500000000000001 "$agent_port" agent-app-secret \
  agent-routing-page-token agent-whatsapp-token

run_test() {  # scenario output-file [args...]
  local scenario=$1 out=$2
  shift 2
  "$cli" emulator test "$scenario" --config "$work/world.json" --port "$emu_port" "$@" > "$out" 2>&1
}

# 1. The demo's scenario passes, and its JUnit report says so.
run_test "$demo/demo.scenario.json" "$work/demo.out" --junit "$work/demo.xml"
rc=$?
cat "$work/demo.out"
[ "$rc" -eq 0 ] || { cat "$work/bot.log" "$work/agent.log" >&2; fail "the demo scenario failed (exit $rc)"; }
grep -q '^PASSED: 24/24 steps$' "$work/demo.out" || fail "no PASSED line"
grep -q '<testsuite name="demo: the bot hands over' "$work/demo.xml" || fail "no testsuite in JUnit"
grep -q 'tests="24" failures="0" errors="0" skipped="0"' "$work/demo.xml" || fail "JUnit counts"
python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' "$work/demo.xml" ||
  fail "the JUnit report is not well-formed XML"

# 1b. The same apps on the WhatsApp number: pass to a role, a silent release, an implicit take.
run_test "$demo/whatsapp.scenario.json" "$work/whatsapp.out"
rc=$?
cat "$work/whatsapp.out"
[ "$rc" -eq 0 ] || { cat "$work/bot.log" "$work/agent.log" >&2; fail "the WhatsApp scenario failed (exit $rc)"; }
grep -q '^PASSED: 18/18 steps$' "$work/whatsapp.out" || fail "no PASSED line for WhatsApp"

# 2. A broken scenario (the staff step expects the agent app) fails at that step, with a diff.
run_test "$here/broken.scenario.json" "$work/broken.out" --junit "$work/broken.xml"
rc=$?
cat "$work/broken.out"
[ "$rc" -eq 1 ] || fail "the broken scenario exited $rc, not 1"
grep -q '^  FAIL  4  expect_owner 500000000000002 within 1500 ms' "$work/broken.out" || fail "no FAIL line"
grep -q 'expected: the owner of user 6543210987654321 on page 100000000000002 is 500000000000002 (Agent Desk) within 1500 ms' \
  "$work/broken.out" || fail "no expected line"
grep -q 'actual:   263902037430900 (Page Inbox)' "$work/broken.out" || fail "no actual line"
grep -q '^  skip  5  ' "$work/broken.out" || fail "later steps are not skipped"
grep -q '^FAILED at step 4 of 5$' "$work/broken.out" || fail "no FAILED line"
grep -q 'failures="1" errors="0" skipped="1"' "$work/broken.xml" || fail "JUnit counts of the failure"
grep -q '<failure message="expected: the owner of user' "$work/broken.xml" || fail "JUnit failure"

# 3. A malformed scenario: exit 2, the file, the path inside it and what was expected.
run_test "$here/malformed.scenario.json" "$work/malformed.out"
rc=$?
cat "$work/malformed.out"
[ "$rc" -eq 2 ] || fail "the malformed scenario exited $rc, not 2"
grep -q "malformed.scenario.json: steps\[1\].expect_owner.within_ms: expected an integer from 0 to 600000 (milliseconds)" \
  "$work/malformed.out" || fail "the error does not name the file and the path"
echo "demo_scenario: OK"
