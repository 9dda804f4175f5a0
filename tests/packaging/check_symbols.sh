#!/usr/bin/env bash
# The library's symbols: handover's RapidJSON must live in its private namespace
# (handover_rapidjson), so no symbol of the library is in namespace `rapidjson` (which a user's
# own RapidJSON, built with other settings, would define differently: an ODR violation).
# Usage: check_symbols.sh LIBRARY
set -euo pipefail
lib="$1"
symbols=$(nm -C "$lib" 2>/dev/null) || { echo "check_symbols: nm cannot read $lib" >&2; exit 1; }
private=$(grep -c 'handover_rapidjson::' <<<"$symbols" || true)
if [[ "$private" -eq 0 ]]; then
  echo "check_symbols: no handover_rapidjson:: symbol in $lib: is RAPIDJSON_NAMESPACE set?" >&2
  exit 1
fi
if leaked=$(grep -E '(^|[^_[:alnum:]])rapidjson::' <<<"$symbols" | head -5) && [[ -n "$leaked" ]]; then
  echo "check_symbols: symbols in the public rapidjson namespace:" >&2
  echo "$leaked" >&2
  exit 1
fi
echo "check_symbols: ok, $private symbols in handover_rapidjson, none in rapidjson"
