#!/usr/bin/env bash
# The library's symbols, by nm.
# - Always: handover's RapidJSON lives in its private namespace (handover_rapidjson), so no
#   symbol of the library is in namespace `rapidjson` (which a user's own RapidJSON, built with
#   other settings, would define differently: an ODR violation).
# - For a shared library: it exports only the API (HANDOVER_EXPORT; hidden visibility otherwise):
#   no `detail::` symbol, no RapidJSON type, nothing outside namespaces handover and std.
# Usage: check_symbols.sh LIBRARY
set -euo pipefail
lib="$1"
fail() {
  echo "check_symbols: $lib: $1" >&2
  shift
  printf '  %s\n' "$@" | head -10 >&2
  exit 1
}
all=$(nm -C "$lib" 2>/dev/null) || fail "nm cannot read it"
private=$(grep -c 'handover_rapidjson::' <<<"$all" || true)
[[ "$private" -gt 0 ]] || fail "no handover_rapidjson:: symbol: is RAPIDJSON_NAMESPACE set?"
mapfile -t leaked < <(grep -E '(^|[^_[:alnum:]])rapidjson::' <<<"$all" || true)
[[ ${#leaked[@]} -eq 0 ]] || fail "symbols in the public rapidjson namespace:" "${leaked[@]}"

if [[ "$lib" == *.so* ]]; then
  # Defined, exported symbols only; names without the address and type letter.
  exported=$(nm -DC --defined-only "$lib" | cut -d' ' -f3-)
  api=$(grep -c 'handover::' <<<"$exported" || true)
  [[ "$api" -gt 50 ]] || fail "only $api handover:: symbols exported: is HANDOVER_EXPORT on the API?"
  mapfile -t inner < <(grep -E 'handover(::[_[:alnum:]]+)*::detail::|rapidjson' <<<"$exported" || true)
  [[ ${#inner[@]} -eq 0 ]] || fail "exports internals:" "${inner[@]}"
  # Everything else exported is a std:: template instantiation the API uses.
  mapfile -t foreign < <(grep -vE 'handover::|std::|__gnu_cxx::' <<<"$exported" || true)
  [[ ${#foreign[@]} -eq 0 ]] || fail "exports symbols outside handover and std:" "${foreign[@]}"
  echo "check_symbols: ok, $api API symbols exported, no internals; RapidJSON private"
else
  echo "check_symbols: ok, $private symbols in handover_rapidjson, none in rapidjson"
fi
