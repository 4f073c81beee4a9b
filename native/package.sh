#!/usr/bin/env bash
# Stages the runtime's part of a native build (a cache entry made by build.sh or prebuilt.sh) for a natives jar:
#   OUT/META-INF/jseek/natives/CLASSIFIER/<libraries> + natives.properties
# Only what the runtime loads goes in: libllama, libllama-common, libggml-base, libggml, the backend modules
# (CPU variants, RPC, CUDA, Vulkan, Metal) and jseek's own libjseek-shim and libjseek-common. The reference tools,
# their libraries (llama-server, mtmd, ...) and the vocab files stay out. A jar holds no symlinks, so each versioned
# library is stored once under its soname (libllama.so.0: the name the others' NEEDED entries ask for, found by
# their $ORIGIN rpath) and the development name (libllama.so, which the runtime loads) becomes a `link.` line that
# the runtime recreates as a symlink on extraction. The manifest lists every file with its sha256 and size, and
# for a prebuilt GPU module the npm package and integrity it came from and what the user's machine must provide.
#
# Usage: package.sh CLASSIFIER OUT_DIR [ENTRY_DIR]
#   CLASSIFIER  PLATFORM (the CPU set), PLATFORM-vulkan or PLATFORM-cuda (the CPU set plus that GPU module);
#               PLATFORM is linux-x86_64, linux-arm64, darwin-arm64, ...; linux-arm64 on another machine is the
#               set our pin's CI published for it, with the shim cross-compiled (see below)
#   ENTRY_DIR   the build to package. Default for the CPU set: the one build.sh makes or finds (JSEEK_CUDA=off,
#               so a GPU machine's default never leaks in). For a GPU set: the entry prebuilt.sh makes from the
#               module our pin's CI published (no GPU compile); with JSEEK_CUDA_FROM=source, the -cuda set is the
#               newest complete CUDA build compiled by JSEEK_CUDA=on native/build.sh (an hour or more, so never
#               started from here).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
die() { printf 'jseek-natives: error: %s\n' "$*" >&2; exit 1; }
[ $# -eq 2 ] || [ $# -eq 3 ] || die "usage: package.sh CLASSIFIER OUT_DIR [ENTRY_DIR]"
classifier=$1 out=$2
[ "$classifier" != unsupported ] || die "jseek has no natives classifier for $(uname -s)/$(uname -m); add one to the root pom's platform profiles."
gpu=""
case "$classifier" in *-cuda) gpu=cuda ;; *-vulkan) gpu=vulkan ;; esac
cpu_entry=$(JSEEK_CUDA=off bash "$here/build.sh") || die "native/build.sh failed (see above)."
entry=${3:-$cpu_entry}
# Another platform's CPU set, made here: the set our pin's CI published for it, with jseek's shim cross-compiled
# (prebuilt.sh cpu with JSEEK_PLATFORM); linux-arm64 with Debian's aarch64 toolchain (g++-aarch64-linux-gnu).
here_platform=$(sed -n 's/^os=//p' "$cpu_entry/build.properties")-$(sed -n 's/^arch=//p' "$cpu_entry/build.properties")
if [ -z "$gpu" ] && [ $# -eq 2 ] && [ "$classifier" != "$here_platform" ]; then
  case "$classifier" in
    linux-arm64) cross=aarch64-linux-gnu ;;
    *) die "the $classifier set cannot be made on $here_platform; build it on a $classifier machine." ;;
  esac
  command -v "$cross-g++" >/dev/null 2>&1 ||
    die "$cross-g++ is not installed; it cross-compiles jseek's shim for $classifier (Debian: apt-get install g++-$cross)."
  entry=$(JSEEK_PLATFORM=$classifier CC=$cross-gcc CXX=$cross-g++ bash "$here/prebuilt.sh" cpu) ||
    die "native/prebuilt.sh cpu for $classifier failed (see above)."
fi
if [ -n "$gpu" ] && [ $# -eq 2 ]; then
  if [ "$gpu" = cuda ] && [ "${JSEEK_CUDA_FROM:-prebuilt}" = source ]; then
    cache=${JSEEK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/jseek}
    version=$(sed -n 's/^llama.version=//p' "$here/llama.cpp.properties")
    # shellcheck disable=SC2012 # newest first; the names hold no spaces
    entry=$(ls -dt "$cache/native/llama.cpp-$version-${classifier%-cuda}-"*+cuda-*/.complete 2>/dev/null |
      grep -v -- '-prebuilt' | head -n 1 | xargs -r dirname || true)
    [ -n "$entry" ] || die "there is no CUDA build of llama.cpp $version compiled in $cache/native; make one with JSEEK_CUDA=on native/build.sh (long), or package the prebuilt module (leave JSEEK_CUDA_FROM unset)."
    # build.sh refreshes jseek's own libraries in an entry whenever it runs for it: a CUDA build not refreshed since
    # the shim changed would ship the old one
    for lib in libjseek-shim.so libjseek-common.so; do
      cmp -s "$entry/$lib" "$cpu_entry/$lib" ||
        die "$entry/$lib is older than the CPU build's; run JSEEK_CUDA=on native/build.sh to bring it up to date, then package again."
    done
  else
    entry=$(bash "$here/prebuilt.sh" "$gpu") || die "native/prebuilt.sh $gpu failed (see above)."
  fi
fi
[ -f "$entry/.complete" ] || die "$entry is not a complete native build; run native/build.sh first."
prop() { sed -n "s/^$1=//p" "$entry/build.properties"; }
os=$(prop os) arch=$(prop arch) backends=$(prop backends)
[[ "$classifier" == "$os-$arch"* ]] || die "the build in $entry is for $os-$arch, not for the classifier $classifier."
[ -z "$gpu" ] || [[ "$backends" == *"+$gpu"* ]] || die "the build in $entry has no ${gpu} backend ($backends), so it cannot be $classifier."
[ -n "$gpu" ] || [[ "$backends" != *+cuda* && "$backends" != *+vulkan* ]] || die "the build in $entry has a GPU backend ($backends); the $classifier set is the CPU build."
case "$os" in
  linux) ext=so; soname() { readelf -d "$1" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p'; }
         needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; } ;;
  darwin) ext=dylib; soname() { otool -D "$1" | tail -n +2 | xargs basename 2>/dev/null || true; }
          needed() { otool -L "$1" | tail -n +2 | awk '{print $1}' | sed -n 's|^@rpath/||p'; } ;;
  *) die "packaging natives for $os is not supported." ;;
esac
command -v readelf >/dev/null 2>&1 || [ "$os" != linux ] || die "readelf is not installed (Debian: apt-get install binutils)."

dir="$out/META-INF/jseek/natives/$classifier"
mkdir -p "$dir"
manifest=$(mktemp)
trap 'rm -f "$manifest"' EXIT
{
  echo "# jseek natives: llama.cpp's libraries for one platform and backend set (native/package.sh)"
  echo "classifier=$classifier"
  echo "llama.version=$(prop version)"
  echo "platform=$os-$arch"
  echo "backends=$backends"
  echo "build.key=$(basename "$entry")"
  # where a prebuilt module came from and what it needs (prebuilt.sh's lines)
  grep '^prebuilt\.' "$entry/build.properties" || true
} >"$manifest"

sha() { if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1"; else shasum -a 256 "$1"; fi | cut -d' ' -f1; }
shipped=()
add_file() { # SRC NAME
  # an unchanged file keeps its time, so that the jar plugin sees nothing new and does not zip 30 MB again
  cmp -s "$1" "$dir/$2" 2>/dev/null || { cp "$1" "$dir/$2" && chmod 0755 "$dir/$2"; }
  shipped+=("$2")
  echo "sha256.$2=$(sha "$dir/$2")" >>"$manifest"
  echo "size.$2=$(wc -c <"$dir/$2" | tr -d ' ')" >>"$manifest"
}
# the libraries the runtime loads by name, and what they need
for name in ggml-base ggml llama llama-common jseek-shim jseek-common; do
  lib="$entry/lib$name.$ext"
  [ -e "$lib" ] || die "$lib is missing; run native/build.sh to complete $entry."
  real=$(readlink -f "$lib")
  so=$(soname "$real")
  if [ -n "$so" ] && [ "$so" != "lib$name.$ext" ]; then
    add_file "$real" "$so"
    echo "link.lib$name.$ext=$so" >>"$manifest"
  else
    add_file "$real" "lib$name.$ext"
  fi
done
# backend modules: dlopen'ed by ggml from the same directory, by file name (no soname)
for module in "$entry"/libggml-*."$ext"; do
  name=$(basename "$module")
  case "$name" in libggml-base.*) continue ;; esac
  [ -L "$module" ] && continue
  add_file "$module" "$name"
done

# what an earlier run staged and this one does not ship
for f in "$dir"/*; do
  name=$(basename "$f")
  [[ " ${shipped[*]} natives.properties " == *" $name "* ]] || rm -f "$f"
done
# Every jseek or llama.cpp library a shipped file needs must be shipped too, under the name it is asked for: a file,
# or a link the runtime makes (a prebuilt module asks for libggml-base.so, not for its soname).
for f in "$dir"/lib*; do
  for need in $(needed "$f"); do
    case "$need" in libggml*|libllama*|libjseek*|libmtmd*) [ -f "$dir/$need" ] || grep -q "^link\.$need=" "$manifest" ||
      die "$(basename "$f") needs $need, which is not in the natives set; add it to native/package.sh." ;;
    esac
  done
done
LC_ALL=C sort "$manifest" >"$manifest.sorted"
cmp -s "$manifest.sorted" "$dir/natives.properties" || cp "$manifest.sorted" "$dir/natives.properties"
rm -f "$manifest.sorted"
printf 'jseek-natives: %s: %s files, %s\n' "$classifier" "$(grep -c '^sha256\.' "$dir/natives.properties")" \
  "$(du -sh "$dir" | cut -f1)" >&2
