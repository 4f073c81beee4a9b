# Sourced by cli/launcher.sh and cli/image/build.sh: find_java25 prints the path of a Java 25 or newer (JAVA_HOME,
# PATH, /usr/lib/jvm, macOS's JavaVirtualMachines, SDKMAN), or fails.
# The JDK's release file answers without starting a JVM (each candidate tried that way cost ~70 ms of start-up);
# a java without one is asked directly.
java_major() {
  local home; home=$(dirname "$(dirname "$(readlink -f "$1")")")
  if [ -r "$home/release" ] && grep -q '^JAVA_VERSION=' "$home/release"; then
    sed -n 's/^JAVA_VERSION="\{0,1\}\([0-9]*\).*/\1/p' "$home/release"
  else
    "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p'
  fi
}
find_java25() {
  local candidates=() c
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME/bin/java")
  command -v java >/dev/null 2>&1 && candidates+=("$(command -v java)")
  for c in /usr/lib/jvm/*/bin/java /Library/Java/JavaVirtualMachines/*/Contents/Home/bin/java \
           "$HOME"/.sdkman/candidates/java/*/bin/java; do
    [ -x "$c" ] && candidates+=("$c")
  done
  for c in "${candidates[@]}"; do
    local v; v=$(java_major "$c" || true)
    if [ -n "$v" ] && [ "${v%%.*}" -ge 25 ] 2>/dev/null; then echo "$c"; return 0; fi
  done
  return 1
}
