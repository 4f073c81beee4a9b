#!/usr/bin/env bash
# The build's step before the GPU-module tests: makes the prebuilt.sh entry for BACKEND and writes its directory to
# OUTFILE. When the entry cannot be made (no npm registry, no node, another platform) the tests that need it are
# skipped, not the build failed: OUTFILE is then removed and one line says why, in the build's own log.
#
# Usage: prebuilt-for-tests.sh vulkan OUTFILE
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[ $# -eq 2 ] || { echo "usage: prebuilt-for-tests.sh BACKEND OUTFILE" >&2; exit 2; }
backend=$1 outfile=$2
mkdir -p "$(dirname "$outfile")"
rm -f "$outfile"
if dir=$("$here/prebuilt.sh" "$backend"); then
  printf '%s\n' "$dir" >"$outfile"
else
  echo "jseek-native: warning: the prebuilt $backend module could not be made (see the line above); the $backend tests will be skipped." >&2
fi
exit 0
