#!/usr/bin/env bash
# Builds the self-contained jseek image from cli/target (run after `./mvnw package`; `./mvnw verify` runs it on
# Linux, then ImageIT: see the image profile in cli/pom.xml) and prints the tarball's path on stdout:
#   cli/target/jseek-VERSION-OS-ARCH.tar.gz, unpacked as jseek-VERSION-OS-ARCH/
#     bin/jseek                        POSIX sh launcher (cli/image/jseek)
#     lib/runtime/                     a jlink'ed Java 25 runtime holding only the modules jseek uses
#     lib/app/jseek.jar, lib/app/lib/  the jars (jseek.jar's manifest names lib/*.jar)
#     lib/native/                      the llama.cpp libraries jseek loads, the CPU variants, the demo model's tokenizer
#     lib/jseek.aot                    the JDK 25 AOT cache (JEP 483/514/515) of a training run on the demo model
#     share/man/man1/, share/bash-completion/completions/jseek   --help as man pages; bash/zsh completion
# Progress goes to stderr. Linux only for now: the natives are copied by their ELF sonames.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
say() { printf 'jseek-image: %s\n' "$*" >&2; }
die() { printf 'jseek-image: error: %s\n' "$*" >&2; exit 1; }

[ "$(uname -s)" = Linux ] || die "the image is built on Linux only so far ($(uname -s) here); run jseek with cli/jseek."
command -v readelf >/dev/null 2>&1 || die "readelf is not installed; install binutils (it reads the libraries' sonames)."
source "$root/cli/java25.sh"
java=$(find_java25) || die "no Java 25 found (JAVA_HOME, PATH, /usr/lib/jvm); install a JDK 25 and set JAVA_HOME to it."
jdk=${java%/bin/java}
[ -x "$jdk/bin/jlink" ] || die "$jdk has no jlink (a JRE?); set JAVA_HOME to a full JDK 25."

target=$root/cli/target
[ -f "$target/jseek.jar" ] || die "$target/jseek.jar is missing; run ./mvnw -DskipTests package first."
version=$(sed -n 's/^jseek.version=//p' "$target/classes/dev/jseek/cli/jseek.properties")
native=$(bash "$root/native/build.sh") || die "the native build failed (see above)."
os=$(sed -n 's/^os=//p' "$native/build.properties")
arch=$(sed -n 's/^arch=//p' "$native/build.properties")
name=jseek-$version-$os-$arch
stage=$target/image/$name
tarball=$target/$name.tar.gz
rm -rf "$target/image" "$tarball"
mkdir -p "$stage/bin" "$stage/lib/app" "$stage/lib/native"
started=$(date +%s)

# --- the Java runtime: what jdeps finds in the jars (the HTTP server, JLine's and Jackson's JDK modules) ---------
# less java.desktop (15 MB of AWT): only JLine's console engine (java.awt.Desktop), which jseek does not use, and
# Jackson's optional java.beans annotations, which it looks up and does without, ask for it.
modules=$("$jdk/bin/jdeps" --print-module-deps --ignore-missing-deps --multi-release 25 \
  --class-path "$target/lib/*" "$target/jseek.jar" | tr , '\n' | grep -vx java.desktop | paste -sd ,)
say "jlink: $modules"
# zip-0: the tarball's gzip compresses the module image better than jlink's own zip-6 does (47 MB against 52 MB for
# the whole tarball, measured in bench/IMAGE.md), at 22 MB more on disk
"$jdk/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files --compress=zip-0 \
  --output "$stage/lib/runtime"

# --- the jars, in the layout jseek.jar's manifest Class-Path expects ---------------------------------------------
cp "$target/jseek.jar" "$stage/lib/app/"
cp -r "$target/lib" "$stage/lib/app/lib"

# --- the natives: the libraries jseek loads and what they need from the entry, one file per soname -------------
# (libX.so -> libX.so.0 -> libX.so.0.25.1 in the build: the file goes in as libX.so.0, the name the dynamic linker
# looks for, with libX.so, the name jseek loads, linking to it.) llama.cpp's tools and their libraries stay out.
copy_lib() { # NAME: a file or symbolic link in the entry
  local name=$1 soname
  [ -e "$stage/lib/native/$name" ] && return 0
  soname=$(readelf -d "$native/$name" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
  if [ -n "$soname" ] && [ "$soname" != "$name" ]; then
    copy_lib "$soname"
    ln -s "$soname" "$stage/lib/native/$name"
  else
    cp -L "$native/$name" "$stage/lib/native/$name"
  fi
  local needed
  for needed in $(readelf -d "$native/$name" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    if [ -e "$native/$needed" ]; then copy_lib "$needed"; fi
  done
}
shopt -s nullglob
for lib in "$native"/libggml*.so "$native"/libllama.so "$native"/libllama-common.so \
           "$native"/libjseek-shim.so "$native"/libjseek-common.so; do
  copy_lib "${lib##*/}"
done
# the demo model (`jseek run` without --model) is generated from llama.cpp's DeepSeek tokenizer
mkdir -p "$stage/lib/native/vocab"
cp "$native/vocab/ggml-vocab-deepseek-llm.gguf" "$stage/lib/native/vocab/"
cp "$native/build.properties" "$stage/lib/native/"

# --- the launcher, completion and man pages ---------------------------------------------------------------------
install -m 755 "$root/cli/image/jseek" "$stage/bin/jseek"
"$stage/lib/runtime/bin/java" --enable-native-access=ALL-UNNAMED -Djseek.native.dir="$stage/lib/native" \
  -cp "$stage/lib/app/jseek.jar" dev.jseek.cli.ReferenceFiles "$stage/share"

# --- the AOT cache: a training run of the README's first command on the demo model ------------------------------
# A first run generates the demo model in a scratch cache; the second one, the training run, is what every later
# start looks like. The cache records the jars' paths here; a JVM started from the image unpacked anywhere else
# still uses it, as the jars keep their places relative to each other (JDK 25 matches the paths after their longest
# common prefix; ImageIT checks it). One that cannot use it (other JVM options) says so and starts without it.
work=$target/image-training
rm -rf "$work" && mkdir -p "$work/home"
train() { env -i PATH=/usr/bin:/bin HOME="$work/home" JSEEK_CACHE="$work/cache" "$@"; }
train "$stage/bin/jseek" run -n 1 "Hello" >/dev/null 2>"$work/first.log" ||
  die "the image's first run failed: $(cat "$work/first.log")"
train JSEEK_JAVA_OPTS="-XX:AOTCacheOutput=$stage/lib/jseek.aot -Xlog:aot=warning" \
  "$stage/bin/jseek" run -n 16 "Why is the sea salty?" >/dev/null 2>"$work/training.log" ||
  die "the training run failed: $(cat "$work/training.log")"
[ -f "$stage/lib/jseek.aot" ] || die "the training run wrote no AOT cache: $(cat "$work/training.log")"

tar -C "$target/image" --owner=0 --group=0 --numeric-owner -czf "$tarball" "$name"
say "$tarball: $(du -h "$tarball" | cut -f1) ($(du -sh "$stage" | cut -f1) unpacked), built in $(($(date +%s) - started)) s"
echo "$tarball"
