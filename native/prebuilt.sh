#!/usr/bin/env bash
# Makes a cache entry from llama.cpp built by our pin's own CI (native/prebuilt.properties) and prints its directory
# on stdout; progress and diagnostics go to stderr. A second run with nothing changed returns at once.
#
# Usage: prebuilt.sh vulkan|cuda|cuda12   the CPU build (build.sh) plus one prebuilt GPU module: no CUDA or Vulkan
#                                         compile. Under its own key (…-cpu+rpc+<backend>-prebuilt-<hash>).
#        prebuilt.sh cpu                  the prebuilt CPU set, with only jseek's shim compiled (against the pinned
#                                         headers, which build.sh --source fetches): no llama.cpp compile. Key
#                                         …-cpu-prebuilt-<hash>. JSEEK_NATIVE=prebuilt makes build.sh answer with it.
#
# With GGML_BACKEND_DL libggml loads every backend module from its own directory, so a GPU entry is a copy of the CPU
# entry plus libggml-<backend>.so. A package is fetched with `npm pack` (as build.sh fetches the source) into
# $cache/prebuilt and checked against the registry's sha512 integrity written in prebuilt.properties before anything
# is taken from it.
#
# Environment: JSEEK_CACHE as build.sh; JSEEK_PLATFORM (cpu only) the platform to fetch for, e.g. linux-arm64 on an
# x86-64 machine, with CC/CXX naming a cross compiler for the shim (docs/BUILDING.md).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
say() { printf 'jseek-native: %s\n' "$*" >&2; }
die() { printf 'jseek-native: error: %s\n' "$*" >&2; exit 1; }
prop() { sed -n "s/^$1=//p" "$here/prebuilt.properties"; }
need() { command -v "$1" >/dev/null 2>&1 || die "$1 is not installed; $2"; }

[ $# -eq 1 ] || die "usage: prebuilt.sh cpu|vulkan|cuda|cuda12"
backend=$1
os=$(uname -s | tr '[:upper:]' '[:lower:]')
arch=$(uname -m)
case "$arch" in aarch64) arch=arm64 ;; amd64) arch=x86_64 ;; esac
platform=${JSEEK_PLATFORM:-$os-$arch}
cache=${JSEEK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/jseek}
version=$(sed -n 's/^llama.version=//p' "$here/llama.cpp.properties")

if [ "$backend" = cpu ]; then
  package=$(prop "cpu.$platform.package")
  [ -n "$package" ] || die "our pin's CI publishes no CPU build for $platform; build from source (native/build.sh)."
  integrity=$(prop "cpu.$platform.integrity") file=$(prop "cpu.$platform.file") needs=$(prop cpu.needs)
else
  package=$(prop "$backend.package")
  [ -n "$package" ] || die "no prebuilt module named '$backend'; native/prebuilt.properties lists cpu, vulkan, cuda and cuda12."
  integrity=$(prop "$backend.integrity") file=$(prop "$backend.file") needs=$(prop "$backend.needs")
  [ -z "${JSEEK_PLATFORM:-}" ] || [ "$JSEEK_PLATFORM" = linux-x86_64 ] || die "JSEEK_PLATFORM is for the CPU set only."
  [ "$os-$arch" = linux-x86_64 ] ||
    die "the prebuilt $backend module is for Linux x86-64 only; build from source on $(uname -s)/$(uname -m) (native/build.sh)."
fi

# Downloads the package once into $cache/prebuilt and checks it; prints the tarball's path.
fetch() {
  need npm "it downloads the prebuilt $backend build from the npm registry (Debian: apt-get install npm)."
  need node "it checks the download's sha512 (Debian: apt-get install nodejs)."
  mkdir -p "$cache/prebuilt"
  local tarball tmp got
  tarball="$cache/prebuilt/$(printf '%s' "$package" | sed 's|^@||; s|/|-|; s|@|-|').tgz"
  if [ ! -f "$tarball" ] || [ "$(verify "$tarball")" != "$integrity" ]; then
    tmp=$(mktemp -d "$cache/prebuilt/.download.XXXXXX")
    say "downloading the prebuilt $backend build from the npm registry ($package)"
    (cd "$tmp" && npm pack --silent "$package" >/dev/null) || { rm -rf "$tmp"; die "npm pack $package failed; check access to the npm registry, or build from source (docs/BUILDING.md)."; }
    got=$(verify "$tmp"/*.tgz)
    [ "$got" = "$integrity" ] || { rm -rf "$tmp"; die "$package has integrity $got, expected $integrity (native/prebuilt.properties): the download is corrupt or was tampered with; retry, or build from source."; }
    mv "$tmp"/*.tgz "$tarball"
    rm -rf "$tmp"
  fi
  echo "$tarball"
}
verify() { # FILE: the registry's integrity string of FILE
  node -e 'const c=require("crypto"),f=require("fs");process.stdout.write("sha512-"+c.createHash("sha512").update(f.readFileSync(process.argv[1])).digest("base64"))' "$1"
}
short_hash() { printf '%s' "$integrity" | sha256sum | cut -c1-8; }
# Moves a finished entry into place; where another run (a test run beside a build, say) finished the same entry
# first, that one stays and this copy goes.
install_entry() {
  touch "$1/.complete"
  chmod 0755 "$1"
  if [ -f "$out/.complete" ]; then rm -rf "$1"; else rm -rf "$out" && mv "$1" "$out"; fi
}

# ---- the CPU set ------------------------------------------------------------------------------------------------
if [ "$backend" = cpu ]; then
  out="$cache/native/llama.cpp-$version-$platform-cpu-prebuilt-$(short_hash)"
  # shellcheck source=native/shim.sh
  source "$here/shim.sh"
  src=$(env -u JSEEK_NATIVE bash "$here/build.sh" --source) || die "the pinned llama.cpp source (for its headers) could not be fetched (see above)."
  if [ -f "$out/.complete" ]; then jseek_build_shim "$out" "$src" "${platform%%-*}"; echo "$out"; exit 0; fi
  start=$SECONDS
  tarball=$(fetch)
  mkdir -p "$cache/native"
  tmp=$(mktemp -d "$out.XXXXXX")
  mkdir -p "$tmp/vocab"
  tar -xzf "$tarball" -C "$tmp" --strip-components=$(($(tr -cd / <<<"$file" | wc -c) + 1)) --wildcards "$file/lib*.so" ||
    die "$tarball has no $file/lib*.so; native/prebuilt.properties does not match the package."
  # the names the runtime and the shim's linker ask for: libllama.so for libllama.v0.5.0.so, and so on
  for lib in "$tmp"/lib*.v*.so; do
    [ -e "$lib" ] || continue
    name=$(basename "$lib")
    ln -s "$name" "$tmp/${name%%.v*}.so"
  done
  for lib in libllama.so libllama-common.so libggml.so libggml-base.so; do
    [ -e "$tmp/$lib" ] || die "$package has no $lib (nor a versioned name for it); native/prebuilt.properties does not match the package."
  done
  say "compiling jseek's shim against the pinned headers"
  shim_start=$SECONDS
  jseek_build_shim "$tmp" "$src" "${platform%%-*}"
  shim_seconds=$((SECONDS - shim_start))
  cp "$src"/models/ggml-vocab-deepseek-*.gguf "$src"/models/ggml-vocab-qwen2.gguf "$src"/models/ggml-vocab-llama-bpe.gguf "$tmp/vocab/"
  {
    echo "version=$version"
    echo "source=$src"
    echo "backends=cpu"
    echo "os=${platform%%-*}"
    echo "arch=${platform#*-}"
    echo "flags=prebuilt"
    echo "prebuilt.cpu=$package $integrity"
    echo "prebuilt.cpu.needs=$needs"
    echo "shim.seconds=$shim_seconds"
  } >"$tmp/build.properties"
  install_entry "$tmp"
  say "done in $((SECONDS - start)) s (the shim $shim_seconds s): $out, from $package; needs $needs"
  echo "$out"
  exit 0
fi

# ---- a GPU module beside the CPU build ---------------------------------------------------------------------------
module_name=$(basename "$file")
cpu=$(JSEEK_CUDA=off "$here/build.sh") || die "the CPU build that the $backend entry extends failed (see above)."
set_name=$(sed -n 's/^backends=//p' "$cpu/build.properties")
tag=$backend
[ "$backend" = cuda12 ] && tag=cuda
key="$(basename "$cpu" | sed "s/-$set_name-/-$set_name+$tag-/")-prebuilt-$(short_hash)"
[ "$backend" = cuda12 ] && key="${key/-prebuilt-/-prebuilt12-}"
out="$cache/native/$key"

# jseek's own libraries are refreshed in the CPU entry by build.sh; keep the GPU entry's copies equal to them.
sync_own_libs() {
  local lib
  for lib in "$cpu"/libjseek-*.so; do
    cmp -s "$lib" "$1/$(basename "$lib")" || cp -a "$lib" "$1/"
  done
}
if [ -f "$out/.complete" ]; then sync_own_libs "$out"; echo "$out"; exit 0; fi

tarball=$(fetch)
tmp=$(mktemp -d "$out.XXXXXX")
cp -a "$cpu"/. "$tmp"/
rm -f "$tmp/.complete"
tar -xzf "$tarball" -O "$file" >"$tmp/$module_name" || die "$tarball has no $file; native/prebuilt.properties does not match the package."
chmod 0755 "$tmp/$module_name"
{
  grep -v '^backends=' "$cpu/build.properties"
  echo "backends=$set_name+$tag"
  echo "prebuilt.$tag=$package $integrity"
  echo "prebuilt.$tag.needs=$needs"
} >"$tmp/build.properties"
install_entry "$tmp"
say "done: $out ($module_name $(du -h "$out/$module_name" | cut -f1), from $package; needs $needs)"
echo "$out"
