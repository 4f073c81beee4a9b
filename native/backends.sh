# Which ggml backends a platform gets. Sourced by build.sh and unit-tested from Java (BackendChoiceTest),
# so the decision for machines we cannot run here (macOS, CUDA) is still checked.

# jseek_backends OS ARCH CUDA_WANTED(on|off|auto) CUDA_PRESENT(yes|no)
# prints: "<backend set> <cmake flags...>" on one line
jseek_backends() {
  local os=$1 arch=$2 cuda_wanted=$3 cuda_present=$4
  local set="cpu+rpc"
  # One CPU build for the whole family: ggml picks the best kernel variant at run time, so an
  # older CPU never meets an instruction it lacks (no SIGILL).
  local flags="-DGGML_BACKEND_DL=ON -DGGML_CPU_ALL_VARIANTS=ON -DGGML_NATIVE=OFF"
  case "$os/$arch" in
    darwin/arm64) set="$set+metal"; flags="$flags -DGGML_METAL=ON -DGGML_METAL_EMBED_LIBRARY=ON" ;;
    darwin/*)     flags="$flags -DGGML_METAL=OFF" ;;
  esac
  if [ "$cuda_wanted" = on ] || { [ "$cuda_wanted" = auto ] && [ "$cuda_present" = yes ] && [ "$os" = linux ]; }; then
    set="$set+cuda"; flags="$flags -DGGML_CUDA=ON"
  else
    flags="$flags -DGGML_CUDA=OFF"
  fi
  echo "$set $flags"
}

# jseek_variant_targets BUILD_DIR: the backend modules (CPU variants, CUDA, Metal) a configured build offers.
jseek_variant_targets() {
  cmake --build "$1" --target help 2>/dev/null | sed -n 's/^\.\.\. \(ggml-\(cpu\|cuda\|metal\)[^ ]*\).*/\1/p' | sort -u | tr '\n' ' '
}
