#!/usr/bin/env bash
# A find_package that asks for a component the install lacks names the option that adds it.
# Copies the installed package, drops `redis` from its component list (as an install built with
# -DHANDOVER_WITH_REDIS=OFF has it), and configures a consumer asking for it.
#   missing_component.sh PREFIX WORK_DIR
set -euo pipefail
prefix=$1 work=$2
rm -rf "$work" && mkdir -p "$work/project"
cp -r "$prefix" "$work/prefix"
config=$(find "$work/prefix" -name handover-config.cmake | head -n1)
[ -n "$config" ] || { echo "missing_component: no handover-config.cmake under $prefix" >&2; exit 1; }
sed -i -E 's/^set\(_handover_available_components (.*)\)$/set(_handover_available_components)/' "$config"
grep -q '^set(_handover_available_components)$' "$config" ||
  { echo "missing_component: could not empty the component list" >&2; exit 1; }
cat >"$work/project/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.16)
project(missing_component CXX)
find_package(handover CONFIG REQUIRED COMPONENTS redis)
CMAKE
if out=$(cmake -S "$work/project" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" 2>&1); then
  echo "missing_component: the configure succeeded without the redis component" >&2
  exit 1
fi
if ! grep -q -- "-DHANDOVER_WITH_REDIS=ON" <<<"$out"; then
  echo "$out" >&2
  echo "missing_component: the error does not name -DHANDOVER_WITH_REDIS=ON" >&2
  exit 1
fi
echo "missing_component: the error names the option"
