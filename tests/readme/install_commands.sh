#!/usr/bin/env bash
# README's install and pkg-config commands, run exactly as written on a copy of the tracked
# tree (so `cmake -S .` is the clone root and nothing is written into the source tree), with
# `prefix` pointing at a scratch directory; then the program they built runs.
set -euo pipefail
root="$1"
work="$(mktemp -d /tmp/handover-readme-install.XXXXXX)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/clone"
if git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
  (cd "$root" && git ls-files -z | tar --null -T - -cf -) | tar xf - -C "$work/clone"
else  # a tree without git (an exported copy): everything but build trees
  (cd "$root" && tar --exclude='./build' --exclude='./build-*' -cf - .) | tar xf - -C "$work/clone"
fi
cp "$root/tests/readme/consumer_main.cpp" "$work/clone/main.cpp"
export prefix="$work/prefix"
python3 "$root/tests/readme/run_commands.py" "$root" "$work/clone" install pkg-config
"$work/clone/my_bot"
