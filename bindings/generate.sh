#!/usr/bin/env bash
# Re-generates bindings/java from the pinned llama.cpp headers with jextract.
# jextract is not part of the repo: put it on PATH or set JEXTRACT_HOME (README: "Regenerating the bindings").
# Run it after changing native/llama.cpp.properties or ggml-symbols.txt, then commit the result.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
die() { printf 'generate: error: %s\n' "$*" >&2; exit 1; }

jextract=jextract
[ -n "${JEXTRACT_HOME:-}" ] && jextract="$JEXTRACT_HOME/bin/jextract"
command -v "$jextract" >/dev/null 2>&1 ||
  die "jextract not found: put it on PATH or set JEXTRACT_HOME to a jextract for JDK 25 (see README)."

src=$(bash "$here/../native/build.sh" --source)
includes=(-I "$src/include" -I "$src/ggml/include" -I "$here/../native/shim")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 1. Every symbol the headers declare, with the header it comes from.
"$jextract" "${includes[@]}" --dump-includes "$tmp/all.txt" "$here/jseek.h" >/dev/null

# 2. Keep all of llama.h, jseek's chat bridge (native/shim/jseek_chat.h) and the listed ggml symbols. Unfiltered output does not compile
#    (a struct and a function share the name ggml_backend_graph_copy).
grep -v '^\s*#' "$here/ggml-symbols.txt" | sed '/^\s*$/d' | sort -u >"$tmp/wanted"
grep -v '\*$' "$tmp/wanted" >"$tmp/wanted-exact" || true
awk -v wanted="$tmp/wanted" '
  BEGIN { while ((getline n < wanted) > 0) if (n ~ /\*$/) prefix[substr(n, 1, length(n) - 1)] = 1; else keep[n] = 1 }
  /^--include-/ {
    name = $2; ok = ($0 ~ /header: .*\/(llama|jseek_chat|jseek_fit)\.h$/) || (name in keep)
    for (p in prefix) if (index(name, p) == 1) ok = 1
    if (ok) print $1, $2
  }
' "$tmp/all.txt" | sort -u >"$here/includes.txt"
awk '{ print $2 }' "$here/includes.txt" | sort -u >"$tmp/found"
missing=$(comm -23 "$tmp/wanted-exact" "$tmp/found")
[ -z "$missing" ] || die "ggml-symbols.txt names symbols the headers do not declare: $missing"

# 3. Generate. No -l: the runtime loads the libraries itself (from the native cache) before first use.
rm -rf "$here/java/dev/jseek/bindings/llama"
"$jextract" "${includes[@]}" --output "$here/java" -t dev.jseek.bindings.llama \
  --header-class-name llama_h @"$here/includes.txt" "$here/jseek.h"
printf 'generate: %s symbols, %s files in %s\n' "$(wc -l <"$here/includes.txt")" \
  "$(find "$here/java/dev/jseek/bindings/llama" -name '*.java' | wc -l)" "$here/java/dev/jseek/bindings/llama" >&2
