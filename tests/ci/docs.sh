#!/usr/bin/env bash
# Stage `docs`: the API reference from the public headers (Doxyfile at the root). Any doxygen
# warning (an undocumented public declaration, a bad @param...) fails the stage; all of them
# are printed first.
set -euo pipefail
# shellcheck source=tests/ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$root"
out="$build_base/ci-docs"
rm -rf "$out" && mkdir -p "$out"
log "docs: doxygen $(doxygen --version) -> $out/html"
status=0
{ cat Doxyfile; echo "OUTPUT_DIRECTORY = $out"; } | doxygen - >"$out/doxygen.log" 2>&1 || status=$?
warnings="$(grep -c ': \(warning\|error\):' "$out/doxygen.log" || true)"
if [ "$status" -ne 0 ] || [ "$warnings" -ne 0 ]; then
  cat "$out/doxygen.log" >&2
  echo "docs: $warnings doxygen warnings (WARN_AS_ERROR); per file:" >&2
  grep -o '^[^:]*:[0-9]*: \(warning\|error\):' "$out/doxygen.log" | cut -d: -f1 | sort | uniq -c >&2 || true
  exit 1
fi
[ -f "$out/html/index.html" ] || { echo "docs: no html/index.html" >&2; exit 1; }
# The reference shows the real names and every call: classes under handover:: (the namespace
# macro expanded), and each class built from HANDOVER_GRAPH_CALLS lists every call of the table.
mapfile -t calls < <(sed -nE 's/^ *X\(([a-zA-Z]+), .*/\1/p' include/handover/client/graph_calls.hpp)
if ((${#calls[@]} < 10)); then
  echo "docs: read only ${#calls[@]} calls from graph_calls.hpp" >&2
  exit 1
fi
for page in classhandover_1_1Client classhandover_1_1AsyncClient classhandover_1_1Connection \
            classhandover_1_1AsyncConnection classhandover_1_1webhook_1_1Context \
            classhandover_1_1webhook_1_1Endpoint; do
  [ -f "$out/html/$page.html" ] || { echo "docs: no $page.html (namespace not expanded?)" >&2; exit 1; }
done
for page in Client AsyncClient Connection AsyncConnection; do
  for call in "${calls[@]}"; do
    if ! grep -q ">$call<" "$out/html/classhandover_1_1$page.html"; then
      echo "docs: the handover::$page page does not name $call" >&2
      exit 1
    fi
  done
done
echo "docs: OK, $(find "$out/html" -name '*.html' | wc -l) pages in $out/html"
