# Sourced by bench/gpu prepare: builds the payload that travels to the GPU machine beside the working tree (which
# already holds jseek's scripts and native/shim sources). Everything is xz-compressed; the machine has xz and tar.
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
  [ -f "$payload/payload.properties" ] || die "there is no payload in $payload; run bench/gpu prepare first."
  local total=0 f b
  for f in "$payload"/*; do
    b=$(stat -c %s "$f")
    total=$((total + b))
    printf '  %-28s %12s\n' "$(basename "$f")" "$(mib "$b")" >&2
  done
  local tree; tree=$(tree_bytes)
  printf '  %-28s %12s\n' "payload" "$(mib "$total")" "working tree (git ls-files)" "$(mib "$tree")" \
    "together" "$(mib $((total + tree)))" >&2
  [ $((total + tree)) -lt $((limit_mib * 1048576)) ] ||
    die "the payload and the working tree come to $(mib $((total + tree))), over the ${limit_mib} MiB that may travel; trim the payload (bench/gpu-prepare.sh)."
  say "under ${limit_mib} MiB: carry bench/target/gpu-payload"
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

src=$(bash "$root/native/build.sh" --source) || die "native/build.sh --source could not provide the llama.cpp source."
version=$(sed -n 's/^llama.version=//p' "$root/native/llama.cpp.properties")
stage=$(mktemp -d "${TMPDIR:-/tmp}/jseek-gpu-payload.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/out"

# 1. llama.cpp without what a CUDA + CPU + RPC build of the libraries and tools never reads: git history, docs,
#    model files, tests, Python, the web UI and server, and the other backends' directories (ggml adds a backend's
#    directory only when that backend is on). Configure is checked by bench/gpu run --dry-run.
say "trimming llama.cpp $version from $src"
excludes=(./.git ./.github ./.devops ./docs ./media ./models ./tests ./gguf-py ./conversion ./benches ./requirements
  ./skills ./app ./ci ./scripts ./tools/ui ./tools/server ./tools/cli)
for b in sycl vulkan opencl hexagon metal cann webgpu openvino et virtgpu zdnn zendnn musa hip blas; do
  excludes+=("./ggml/src/ggml-$b")
done
tar -C "$src" --anchored "${excludes[@]/#/--exclude=}" --transform 's,^\.,llama.cpp,' -cf - . |
  xz -9 -T0 >"$stage/out/llama.cpp.tar.xz"
# the tiny models' tokenizer (TinyDeepSeek reads it; jseek's demo model looks for it in the native dir's vocab/)
tar -C "$src/models" -cf - ggml-vocab-deepseek-llm.gguf | xz -9 -T0 >"$stage/out/vocab.tar.xz"

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

{
  echo "llama.version=$version"
  echo "jseek.commit=$(git -C "$root" rev-parse HEAD)$(git -C "$root" diff --quiet HEAD -- . 2>/dev/null || echo -dirty)"
  echo "java.version=$("$stage/jre/bin/java" -version 2>&1 | head -1)"
  echo "java.modules=$modules"
  echo "created=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  (cd "$stage/out" && sha256sum ./*.tar.xz | sed 's,^\([0-9a-f]*\)  \./\(.*\),sha256.\2=\1,')
} >"$stage/out/payload.properties"
rm -rf "$payload" && mkdir -p "$(dirname "$payload")" && mv "$stage/out" "$payload"
say "payload: $payload"
check_size
