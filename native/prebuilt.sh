#!/usr/bin/env bash
# Makes a cache entry that is the CPU build (build.sh) plus one GPU backend module prebuilt by our pin's own CI
# (native/prebuilt.properties): no CUDA or Vulkan compile. Prints the entry's directory on stdout; progress and
# diagnostics go to stderr. A second run with nothing changed returns at once.
#
# Usage: prebuilt.sh vulkan|cuda|cuda12
#
# With GGML_BACKEND_DL libggml loads every backend module from its own directory, so the entry is a copy of the CPU
# entry plus libggml-<backend>.so, under its own key (…-cpu+rpc+<backend>-prebuilt-<hash>). The package is fetched
# with `npm pack` (as build.sh fetches the source) into $cache/prebuilt and checked against the registry's sha512
# integrity written in prebuilt.properties before anything is taken from it.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
say() { printf 'jseek-native: %s\n' "$*" >&2; }
die() { printf 'jseek-native: error: %s\n' "$*" >&2; exit 1; }
prop() { sed -n "s/^$1=//p" "$here/prebuilt.properties"; }
need() { command -v "$1" >/dev/null 2>&1 || die "$1 is not installed; $2"; }

[ $# -eq 1 ] || die "usage: prebuilt.sh vulkan|cuda|cuda12"
backend=$1
package=$(prop "$backend.package")
[ -n "$package" ] || die "no prebuilt module named '$backend'; native/prebuilt.properties lists vulkan, cuda and cuda12."
integrity=$(prop "$backend.integrity") file=$(prop "$backend.file")
case "$(uname -s)/$(uname -m)" in
  Linux/x86_64) ;;
  *) die "the prebuilt $backend module is for Linux x86-64 only; build from source on $(uname -s)/$(uname -m) (native/build.sh)." ;;
esac
cache=${JSEEK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/jseek}
module_name=$(basename "$file")

cpu=$(JSEEK_CUDA=off "$here/build.sh") || die "the CPU build that the $backend entry extends failed (see above)."
set_name=$(sed -n 's/^backends=//p' "$cpu/build.properties")
tag=$backend
[ "$backend" = cuda12 ] && tag=cuda
key="$(basename "$cpu" | sed "s/-$set_name-/-$set_name+$tag-/")-prebuilt-$(printf '%s' "$integrity" | sha256sum | cut -c1-8)"
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

need npm "it downloads the prebuilt $backend module from the npm registry (Debian: apt-get install npm)."
need node "it checks the download's sha512 (Debian: apt-get install nodejs)."
mkdir -p "$cache/prebuilt"
tarball="$cache/prebuilt/$(printf '%s' "$package" | sed 's|^@||; s|/|-|; s|@|-|').tgz"
verify() { # FILE: the registry's integrity string of FILE
  node -e 'const c=require("crypto"),f=require("fs");process.stdout.write("sha512-"+c.createHash("sha512").update(f.readFileSync(process.argv[1])).digest("base64"))' "$1"
}
if [ ! -f "$tarball" ] || [ "$(verify "$tarball")" != "$integrity" ]; then
  tmp=$(mktemp -d "$cache/prebuilt/.download.XXXXXX")
  say "downloading the prebuilt $backend module from the npm registry ($package)"
  (cd "$tmp" && npm pack --silent "$package" >/dev/null) || { rm -rf "$tmp"; die "npm pack $package failed; check access to the npm registry, or build the backend from source (docs/BUILDING.md)."; }
  got=$(verify "$tmp"/*.tgz)
  [ "$got" = "$integrity" ] || { rm -rf "$tmp"; die "$package has integrity $got, expected $integrity (native/prebuilt.properties): the download is corrupt or was tampered with; retry, or build from source."; }
  mv "$tmp"/*.tgz "$tarball"
  rm -rf "$tmp"
fi

rm -rf "$out.tmp" && mkdir -p "$out.tmp"
cp -a "$cpu"/. "$out.tmp"/
rm -f "$out.tmp/.complete"
tar -xzf "$tarball" -O "$file" >"$out.tmp/$module_name" || die "$tarball has no $file; native/prebuilt.properties does not match the package."
chmod 0755 "$out.tmp/$module_name"
{
  grep -v '^backends=' "$cpu/build.properties"
  echo "backends=$set_name+$tag"
  echo "prebuilt.$tag=$package $integrity"
  echo "prebuilt.$tag.needs=$(prop "$backend.needs")"
} >"$out.tmp/build.properties"
touch "$out.tmp/.complete"
rm -rf "$out" && mv "$out.tmp" "$out"
say "done: $out ($module_name $(du -h "$out/$module_name" | cut -f1), from $package; needs $(prop "$backend.needs"))"
echo "$out"
