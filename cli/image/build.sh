#!/usr/bin/env bash
# Builds the self-contained jseek image from cli/target (run after `./mvnw package`; `./mvnw verify` runs it on
# Linux, then ImageIT: see the image profile in cli/pom.xml) and prints the tarball's path on stdout:
#   cli/target/jseek-VERSION-OS-ARCH.tar.gz, unpacked as jseek-VERSION-OS-ARCH/
#     bin/jseek                        POSIX sh launcher (cli/image/jseek)
#     lib/runtime/                     a jlink'ed Java 25 runtime holding only the modules jseek uses
#     lib/app/jseek.jar, lib/app/lib/  the jars (jseek.jar's manifest names lib/*.jar)
#     lib/native/                      the natives jar's libraries (llama.cpp, the CPU variants, jseek's shim) and
#                                      manifest; the demo model's tokenizer
#     lib/jseek.aot                    the JDK 25 AOT cache (JEP 483/514/515) of a training run on the demo model
#     share/man/man1/, share/bash-completion/completions/jseek   --help as man pages; bash/zsh completion
# Progress goes to stderr. Linux only for now.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
say() { printf 'jseek-image: %s\n' "$*" >&2; }
die() { printf 'jseek-image: error: %s\n' "$*" >&2; exit 1; }

[ "$(uname -s)" = Linux ] || die "the image is built on Linux only so far ($(uname -s) here); run jseek with cli/jseek."
source "$root/cli/java25.sh"
java=$(find_java25) || die "no Java 25 found (JAVA_HOME, PATH, /usr/lib/jvm); install a JDK 25 and set JAVA_HOME to it."
jdk=${java%/bin/java}
[ -x "$jdk/bin/jlink" ] || die "$jdk has no jlink (a JRE?); set JAVA_HOME to a full JDK 25."

target=$root/cli/target
[ -f "$target/jseek.jar" ] || die "$target/jseek.jar is missing; run ./mvnw -DskipTests package first."
version=$(sed -n 's/^jseek.version=//p' "$target/classes/dev/jseek/cli/jseek.properties")
# the natives come from the natives jar, the artifact users get on Maven's class path (native/package.sh chose what
# goes in and checked that nothing it needs is missing); the build entry gives only the demo model's tokenizer
platform=$(uname -s | tr '[:upper:]' '[:lower:]')-$(uname -m | sed 's/^aarch64$/arm64/; s/^amd64$/x86_64/')
natives_jar=$root/native/target/jseek-natives-$version-$platform.jar
[ -f "$natives_jar" ] || die "$natives_jar is missing; run ./mvnw -DskipTests package first (it packs the natives jar)."
native=$(bash "$root/native/build.sh") || die "the native build failed (see above)."
name=jseek-$version-$platform
stage=$target/image/$name
tarball=$target/$name.tar.gz
rm -rf "$target/image" "$tarball"
mkdir -p "$stage/bin" "$stage/lib/app" "$stage/lib/native"
started=$(date +%s)

# --- the Java runtime: what jdeps finds in the jars (the HTTP server, JLine's and Jackson's JDK modules) ---------
# less java.desktop (15 MB of AWT): only JLine's console engine (java.awt.Desktop), which jseek does not use, and
# Jackson's optional java.beans annotations, which it looks up and does without, ask for it.
# jdeps sees only static references. Added here, as a dependency reaches it by reflection:
#   jdk.unsupported  sun.misc.Signal, which JLine looks up to catch SIGINT: without it Ctrl-C while an answer streams
#                    ends `jseek chat` (exit 130) instead of stopping the answer (ImageIT checks it)
# Not needed, checked: TLS for `pull` (SunJSSE, SunEC, SunJCE and the CA certificates are all in java.base since
# JDK 22; jdk.crypto.ec is an empty module, jdk.crypto.cryptoki only serves a configured PKCS#11 token; ImageIT pulls
# over https with an EC certificate); jdk.charsets (on Linux java.base holds every charset a locale can name, EUC-JP,
# KOI8-R, GB18030, Big5 …: a java.base-only runtime printed in EUC-JP; the module adds IBM, Mac and ISO-2022 ones);
# jdk.localedata (jseek formats with Locale.ROOT: other locales' month names and digits only); jdk.zipfs (nothing
# opens a zip file system: the natives jar is read through its class loader); jdk.naming.dns (host names go
# through the system resolver).
modules=$( { "$jdk/bin/jdeps" --print-module-deps --ignore-missing-deps --multi-release 25 \
  --class-path "$target/lib/*" "$target/jseek.jar" | tr , '\n'; echo jdk.unsupported; } |
  grep -vx java.desktop | sort -u | paste -sd ,)
say "jlink: $modules"
# zip-0: the tarball's gzip compresses the module image better than jlink's own zip-6 does (47 MB against 52 MB for
# the whole tarball, measured in bench/IMAGE.md), at 22 MB more on disk
"$jdk/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files --compress=zip-0 \
  --output "$stage/lib/runtime"

# --- the jars, in the layout jseek.jar's manifest Class-Path expects ---------------------------------------------
cp "$target/jseek.jar" "$stage/lib/app/"
cp -r "$target/lib" "$stage/lib/app/lib"

# --- the natives: the natives jar's set for this platform, laid out as the runtime extracts it -------------------
# (NativesJar: each library under the name in the jar, and the manifest's link.NAME=TARGET lines as symbolic links,
# libllama.so -> libllama.so.0; a jar holds no links). The manifest's sha256 lines are checked here, as on extraction.
unpacked=$target/image-natives
rm -rf "$unpacked" && mkdir -p "$unpacked"
(cd "$unpacked" && "$jdk/bin/jar" -xf "$natives_jar" "META-INF/jseek/natives/$platform/")
set_dir=$unpacked/META-INF/jseek/natives/$platform
[ -f "$set_dir/natives.properties" ] || die "$natives_jar holds no natives for $platform."
while IFS='=' read -r key value; do
  case $key in
    sha256.*) file=${key#sha256.}
              [ "$(sha256sum "$set_dir/$file" | cut -d' ' -f1)" = "$value" ] || die "$natives_jar: $file does not match its sha256."
              install -m 755 "$set_dir/$file" "$stage/lib/native/$file" ;;
    link.*) ln -s "$value" "$stage/lib/native/${key#link.}" ;;
  esac
done <"$set_dir/natives.properties"
cp "$set_dir/natives.properties" "$stage/lib/native/"
rm -rf "$unpacked"
# the demo model (`jseek run` without --model) is generated from llama.cpp's DeepSeek tokenizer
mkdir -p "$stage/lib/native/vocab"
cp "$native/vocab/ggml-vocab-deepseek-llm.gguf" "$stage/lib/native/vocab/"

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
