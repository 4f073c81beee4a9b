# jseek's own C and C++ (native/shim), built into a directory of llama.cpp libraries and rebuilt when their source
# changes. Sourced by build.sh (its own builds) and prebuilt.sh (the prebuilt CPU set), which provide die().
#  - libjseek-shim: the abort flag and the ggml abort hook (plain C);
#  - libjseek-common: a C ABI over the pinned release's common library (jseek_chat: Jinja templates, tool-call
#    parsing, JSON-Schema grammars; jseek_fit: memory measured by a no_alloc load), compiled against that
#    release's headers and linked to its libllama-common.
# CC and CXX choose the compilers (a cross compiler for another architecture, say).

# jseek_build_shim DIR SRC OS: DIR holds the libraries, SRC the pinned source (its headers), OS linux or darwin
jseek_build_shim() {
  local dir=$1 src=$2 os=$3 shim lib chat ext
  shim="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/shim"
  ext=$(case "$os" in darwin) echo dylib ;; *) echo so ;; esac)
  lib="$dir/libjseek-shim.$ext"
  if [ ! -f "$lib" ] || [ "$shim/jseek_abort.c" -nt "$lib" ]; then
    local cc=${CC:-cc}
    command -v "$cc" >/dev/null 2>&1 || cc=gcc
    "$cc" -O2 -shared -fPIC -o "$lib.tmp" "$shim/jseek_abort.c" || die "cannot compile native/shim/jseek_abort.c with $cc."
    mv "$lib.tmp" "$lib"
  fi
  chat="$dir/libjseek-common.$ext"
  local part stale=no
  for part in jseek_chat.cpp jseek_chat.h jseek_fit.cpp jseek_fit.h; do [ "$shim/$part" -nt "$chat" ] && stale=yes; done
  if [ ! -f "$chat" ] || [ "$stale" = yes ]; then
    [ -f "$src/common/chat.h" ] || die "$chat is missing and the llama.cpp source ($src) is not there to build it; delete $dir and build again."
    local cxx=${CXX:-c++}
    command -v "$cxx" >/dev/null 2>&1 || cxx=g++
    local rpath='$ORIGIN'
    [ "$os" = darwin ] && rpath='@loader_path'
    "$cxx" -std=c++17 -O2 -shared -fPIC -I"$src/common" -I"$src/include" -I"$src/ggml/include" -I"$src/vendor" \
      -o "$chat.tmp" "$shim/jseek_chat.cpp" "$shim/jseek_fit.cpp" -L"$dir" -lllama-common -lllama -lggml \
      -lggml-base -Wl,-rpath,"$rpath" || die "cannot compile native/shim/jseek_chat.cpp and jseek_fit.cpp with $cxx."
    mv "$chat.tmp" "$chat"
  fi
}
