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
echo "docs: OK, $(find "$out/html" -name '*.html' | wc -l) pages in $out/html"
