# Sourced by cli/jseek and bench/run: finds a Java 25, rebuilds the jars when sources changed, builds the
# native libraries (cached), and leaves $java, $jar, $native and $jvm_opts set. Expects $root and die().
source "$root/cli/java25.sh"
java=$(find_java25) || die "jseek needs Java 25 or newer and found none (JAVA_HOME, PATH, /usr/lib/jvm); install a JDK 25 (e.g. Temurin 25) and set JAVA_HOME to it."

jar="$root/cli/target/jseek.jar"
# tests are not in the jar, so a changed test does not make it stale
stale=$(find "$root"/bindings "$root"/models "$root"/src "$root"/cli "$root"/pom.xml -newer "$jar" \
  \( -name '*.java' -o -name pom.xml -o -name '*.properties' \) -not -path '*/target/*' -not -path '*/test/*' 2>/dev/null | head -n 1 || true)
# JSEEK_NATIVE_DIR names the libraries to run with (docs/BUILDING.md: a build of one's own llama.cpp checkout), and
# then this script builds none. Otherwise llama.cpp first: the Java build packs its libraries into the natives jar,
# and would build them unannounced (so a Java rebuild still runs native/build.sh, cached: milliseconds).
native=
if [ -n "${JSEEK_NATIVE_DIR:-}" ]; then
  [ -f "$JSEEK_NATIVE_DIR/libllama.so" ] || [ -f "$JSEEK_NATIVE_DIR/libllama.dylib" ] ||
    die "JSEEK_NATIVE_DIR=$JSEEK_NATIVE_DIR holds no libllama; point it at the directory native/build.sh printed, or unset it."
  native=$(cd "$JSEEK_NATIVE_DIR" && pwd)
fi
if [ -z "${JSEEK_NATIVE_DIR:-}" ] || [ ! -f "$jar" ] || [ -n "$stale" ]; then
  built=$(bash "$root/native/build.sh") || die "the native build failed (see above)."
  [ -n "$native" ] || native=$built
fi
if [ ! -f "$jar" ] || [ -n "$stale" ]; then
  echo "jseek: building the Java code (first run after a change; about a minute)..." >&2
  (cd "$root" && JAVA_HOME="${java%/bin/java}" ./mvnw -q -B -DskipTests package >&2) ||
    die "the Java build failed; run ./mvnw -DskipTests package to see why."
  touch "$jar" # Maven leaves an up-to-date jar's time alone; the check above must not fire again
fi
# The serial GC with a small young generation: Java does little per token here (native code does the work), and
# G1's default young generation and card tables cost ~50 MiB of resident memory for nothing.
# (cli/image/jseek, the image's launcher, starts the JVM with the same options.)
# shellcheck disable=SC2206 # JSEEK_JAVA_OPTS is split on spaces on purpose
jvm_opts=(--enable-native-access=ALL-UNNAMED -XX:+UseSerialGC -Xmn8m ${JSEEK_JAVA_OPTS:-})
