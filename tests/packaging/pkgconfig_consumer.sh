#!/usr/bin/env bash
# Builds the consumer against an installed prefix with nothing but the compiler and pkg-config,
# as a Makefile user would:  c++ main.cpp $(pkg-config --cflags --libs handover)
# Usage: pkgconfig_consumer.sh <prefix> <c++ compiler> <consumer dir> <work dir> <version> [flags]
# flags: a sanitized library's sanitizer flags, which its consumers are built with too.
set -euo pipefail
prefix="$1" cxx="$2" consumer="$3" work="$4" version="$5"
read -r -a flags <<<"${6:-}"

pc="$(find "$prefix" -path '*/pkgconfig/handover.pc' | head -n1)"
[ -n "$pc" ] || { echo "no handover.pc under $prefix" >&2; exit 1; }
PKG_CONFIG_PATH="$(dirname "$pc")"
export PKG_CONFIG_PATH

got="$(pkg-config --modversion handover)"
[ "$got" = "$version" ] || { echo "pkg-config --modversion: '$got', expected '$version'" >&2; exit 1; }

rm -rf "$work" && mkdir -p "$work"
# shellcheck disable=SC2046 # word splitting of pkg-config's output is the point
"$cxx" -std=c++17 "${flags[@]}" -DHANDOVER_EXPECTED_VERSION="\"$version\"" "$consumer/main.cpp" \
  -o "$work/consumer" $(pkg-config --cflags --libs handover)

# A shared libhandover is found the way users find one outside the system directories.
LD_LIBRARY_PATH="$(pkg-config --variable=libdir handover)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
  "$work/consumer" | tee "$work/output.txt"
grep -q "consumer ok: handover $version" "$work/output.txt"

# The optional Redis component's file must resolve too (handover and hiredis).
if [ -f "$(dirname "$pc")/handover-redis.pc" ]; then
  pkg-config --cflags --libs handover-redis >/dev/null
  pkg-config --libs handover-redis | grep -q -- -lhandover_redis
fi

# The emulator component: an in-process emulator built with the compiler and pkg-config alone.
if [ -f "$(dirname "$pc")/handover-emulator.pc" ]; then
  # shellcheck disable=SC2046
  "$cxx" -std=c++17 "${flags[@]}" "$consumer/emulator_main.cpp" -o "$work/emulator_consumer" \
    $(pkg-config --cflags --libs handover-emulator)
  LD_LIBRARY_PATH="$(pkg-config --variable=libdir handover)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
    "$work/emulator_consumer" | tee "$work/emulator_output.txt"
  grep -q "emulator consumer ok" "$work/emulator_output.txt"
fi
