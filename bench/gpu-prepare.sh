# Sourced by bench/gpu prepare: builds the payload that travels to the GPU machine beside the working tree. Nothing
# is compiled there: the libraries are native/prebuilt.sh's CUDA entry (our CPU build and tools, jseek's shim, and the
# CUDA module our pin's CI published). That module is 159 MB, more than one call of the device tool may carry
# (64 MiB with the working tree), so the payload is cut into parts, each a folder carried by one call:
#   bench/target/gpu-payload/1/  payload.properties, jre.tar.xz, jseek.tar.xz, native.tar.xz, cuda.xz.00
#   bench/target/gpu-payload/N/  payload.properties, cuda.xz.NN (the rest of the xz-compressed module)
# The machine keeps what a call left in bench/target/gpu-work while it stays warm (30 s after a call), so parts are
# sent by back-to-back calls of `bench/gpu receive` and the last one by `bench/gpu run` (bench/GPU.md).
# Expects $root, $payload, $limit_mib, say() and die() from bench/gpu.

check_only=no
case "${1:-}" in
  --check-size) check_only=yes ;;
  "") ;;
  *) die "unknown option '$1' for prepare; use --check-size or nothing." ;;
esac

# What travels besides the payload: tracked and untracked-not-ignored files, and a shared/ folder in the checkout.
tree_bytes() {
  local bytes
  bytes=$(cd "$root" && git ls-files -co --exclude-standard -z | du -cb --files0-from=- 2>/dev/null | tail -1 | cut -f1)
  [ -d "$root/shared" ] && bytes=$((bytes + $(du -sb "$root/shared" | cut -f1)))
  echo "$bytes"
}

mib() { awk -v b="$1" 'BEGIN { printf "%.2f MiB", b / 1048576 }'; }

check_size() {
  [ -f "$payload/1/payload.properties" ] || die "there is no payload in $payload; run bench/gpu prepare first."
  local tree dir f b total parts
  tree=$(tree_bytes)
  parts=$(sed -n 's/^parts=//p' "$payload/1/payload.properties")
  for dir in "$payload"/*/; do
    total=0
    for f in "$dir"*; do
      b=$(stat -c %s "$f")
      total=$((total + b))
      printf '  %-34s %12s\n' "$(basename "$dir")/$(basename "$f")" "$(mib "$b")" >&2
    done
    printf '  %-34s %12s\n' "part $(basename "$dir") with the working tree" "$(mib $((total + tree)))" >&2
    [ $((total + tree)) -lt $((limit_mib * 1048576)) ] ||
      die "part $(basename "$dir") and the working tree come to $(mib $((total + tree))), over the ${limit_mib} MiB one call may carry; prepare again (the parts are cut to fit the tree as it is now)."
  done
  say "working tree (git ls-files): $(mib "$tree"); $parts parts, each under ${limit_mib} MiB with it. On the GPU machine, back to back:"
  local i
  for ((i = 1; i < parts; i++)); do
    printf '  run(command="bench/gpu receive", carry=["bench/target/gpu-payload/%d"], timeout_s=120)\n' "$i" >&2
  done
  printf '  run(command="bench/gpu run", carry=["bench/target/gpu-payload/%d"], timeout_s=590)\n' "$parts" >&2
}

if [ "$check_only" = yes ]; then check_size; exit 0; fi

java_home=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
[ -x "$java_home/bin/jlink" ] || die "no jlink in $java_home; set JAVA_HOME to a JDK 25 (a JRE has no jlink)."
"$java_home/bin/java" -version 2>&1 | grep -q 'version "25' || die "$java_home is not a Java 25; set JAVA_HOME to a JDK 25."
command -v xz >/dev/null 2>&1 || die "xz is not installed (Debian: apt-get install xz-utils)."

# jseek's jars, rebuilt when a source is newer (as cli/launcher.sh decides)
jar="$root/cli/target/jseek.jar"
stale=$(find "$root"/bindings "$root"/models "$root"/src "$root"/cli "$root"/pom.xml -newer "$jar" \
  \( -name '*.java' -o -name pom.xml -o -name '*.properties' \) -not -path '*/target/*' -not -path '*/test/*' 2>/dev/null | head -n 1 || true)
if [ ! -f "$jar" ] || [ -n "$stale" ]; then
  say "building jseek's jars (./mvnw -o -DskipTests package)"
  (cd "$root" && JAVA_HOME=$java_home ./mvnw -q -o -B -DskipTests package >&2) || die "the Java build failed; run ./mvnw -o -DskipTests package to see why."
  touch "$jar"
fi

version=$(sed -n 's/^llama.version=//p' "$root/native/llama.cpp.properties")
entry=$(bash "$root/native/prebuilt.sh" cuda) || die "native/prebuilt.sh cuda could not make the CUDA entry (see above)."
stage=$(mktemp -d "${TMPDIR:-/tmp}/jseek-gpu-payload.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/out"

# 1. the libraries the runtime loads, jseek's shim, the reference tools the checks compare with and the DeepSeek
#    vocab (the tiny model's tokenizer), from the CUDA entry; the module itself goes apart (below)
say "packing the native directory from $entry"
tools=(llama-simple llama-completion llama-bench llama-quantize llama-batched)
(cd "$entry" && tar -cf - --exclude='libggml-cuda.so' libllama*.so* libggml*.so* libjseek-*.so "${tools[@]}" \
  vocab/ggml-vocab-deepseek-llm.gguf build.properties) | xz -9 -T0 >"$stage/out/native.tar.xz"
# xz gains about a tenth on the module (its device code is mostly compressed already); kept beside the cache entry
# so that a second prepare does not spend the minutes again
module="$entry/libggml-cuda.so"
module_sha=$(sha256sum "$module" | cut -d' ' -f1)
module_xz="$root/bench/target/gpu-cuda-module-${module_sha:0:16}.xz"
if [ ! -f "$module_xz" ]; then
  say "compressing libggml-cuda.so ($(du -h "$module" | cut -f1)) with xz (minutes, once)"
  rm -f "$root"/bench/target/gpu-cuda-module-*.xz
  mkdir -p "$root/bench/target"
  xz -9 -T0 -c "$module" >"$module_xz.tmp" && mv "$module_xz.tmp" "$module_xz"
fi

# 2. a Java 25 runtime with the modules jdeps finds in the jars. Modules stored uncompressed (zip-0) and the whole
#    runtime xz-compressed: 21 MB, where --compress zip-9 leaves xz nothing to gain (35 MB).
lib="$root/cli/target/lib"
modules=$("$java_home/bin/jdeps" --multi-release 25 --ignore-missing-deps --print-module-deps -R -cp "$lib/*" "$jar")
for j in "$lib"/*.jar; do
  # a modular jar whose requirements are not on jdeps' module path reports an error instead: -R above covers it
  m=$("$java_home/bin/jdeps" --multi-release 25 --ignore-missing-deps --print-module-deps -cp "$lib/*" "$j" 2>/dev/null | tail -1 || true)
  [[ "$m" =~ ^[a-z][a-z.,]*$ ]] && modules="$modules,$m"
done
modules=$(tr ',' '\n' <<<"$modules" | sort -u | paste -sd, -)
say "jlink: $modules"
"$java_home/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files --compress zip-0 \
  --output "$stage/jre"
tar -C "$stage" -cf - jre | xz -9 -T0 >"$stage/out/jre.tar.xz"

# 3. the jars, as the launcher runs them (jseek.jar's manifest names lib/*.jar)
tar -C "$root/cli/target" -cf - jseek.jar lib | xz -9 -T0 >"$stage/out/jseek.tar.xz"

# 4. parts: the first holds everything but the module and as much of the module as fits; the others the rest
tree=$(tree_bytes)
room=$((limit_mib * 1048576 - tree - 65536))
first=$(cat "$stage/out"/*.tar.xz | wc -c)
[ "$first" -lt "$room" ] || die "the Java runtime, jars and libraries alone ($(mib "$first")) leave no room in the first part; trim them."
module_bytes=$(stat -c %s "$module_xz")
chunks=()
offset=0 n=0 size=$((room - first))
while [ "$offset" -lt "$module_bytes" ]; do
  name=$(printf 'cuda.xz.%02d' "$n")
  dd if="$module_xz" of="$stage/$name" bs=1M iflag=skip_bytes,count_bytes skip="$offset" count="$size" status=none
  chunks+=("$name")
  offset=$((offset + size)) n=$((n + 1)) size=$room
done
{
  echo "llama.version=$version"
  echo "jseek.commit=$(git -C "$root" rev-parse HEAD)$(git -C "$root" diff --quiet HEAD -- . 2>/dev/null || echo -dirty)"
  echo "java.version=$("$stage/jre/bin/java" -version 2>&1 | head -1)"
  echo "java.modules=$modules"
  echo "native.entry=$(basename "$entry")"
  sed -n 's/^prebuilt\.cuda=/prebuilt.cuda=/p; s/^prebuilt\.cuda\.needs=/prebuilt.cuda.needs=/p' "$entry/build.properties"
  echo "module.sha256=$module_sha"
  echo "module.xz.sha256=$(sha256sum "$module_xz" | cut -d' ' -f1)"
  echo "parts=${#chunks[@]}"
  echo "created=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  (cd "$stage/out" && sha256sum ./*.tar.xz | sed 's,^\([0-9a-f]*\)  \./\(.*\),sha256.\2=\1,')
  (cd "$stage" && sha256sum cuda.xz.* | sed 's,^\([0-9a-f]*\)  \(.*\),sha256.\2=\1,')
} >"$stage/payload.properties"
rm -rf "$payload" && mkdir -p "$payload"
for ((i = 0; i < ${#chunks[@]}; i++)); do
  mkdir -p "$payload/$((i + 1))"
  cp "$stage/payload.properties" "$payload/$((i + 1))/"
  mv "$stage/${chunks[$i]}" "$payload/$((i + 1))/"
done
mv "$stage/out"/*.tar.xz "$payload/1/"
say "payload: $payload"
check_size
