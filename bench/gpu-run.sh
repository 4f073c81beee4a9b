# Sourced by bench/gpu run: the checks on the GPU machine (see bench/GPU.md). Each step runs in a subshell with
# its own time limit and log, so one that fails or runs out of time leaves the others' results; the summary and
# the logs in $OUT are rewritten after every step, so a run stopped at the tool's limit still brings them back.
# Expects $root, $payload, say() and die() from bench/gpu.

dry=no native_given="" cublas=${JSEEK_CUBLAS:-} budget=540 work="" with_big=yes big_shape=v2-lite
while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) dry=yes ;;
    --native) native_given=$(cd "${2:?--native needs a directory}" && pwd) || die "--native $2 is not a directory."; shift ;;
    --cublas) cublas=$(cd "${2:?--cublas needs a directory}" && pwd) || die "--cublas $2 is not a directory."; shift ;;
    --budget) budget=${2:?--budget needs seconds}; shift ;;
    --work) work=${2:?--work needs a directory}; shift ;;
    --big-shape)
      case "${2:-}" in tiny | v2-lite) big_shape=$2 ;; *) die "--big-shape must be v2-lite or tiny, not '${2:-}'." ;; esac
      shift ;;
    --models)
      case "${2:-}" in tiny) with_big=no ;; tiny,v2-lite | v2-lite,tiny) with_big=yes ;; *) die "--models must be tiny or tiny,v2-lite, not '${2:-}'." ;; esac
      shift ;;
    *) die "unknown option '$1' for run; see the usage at the top of bench/gpu." ;;
  esac
  shift
done
[[ "$budget" =~ ^[0-9]+$ ]] || die "--budget must be a number of seconds, not '$budget'."
[ -f "$payload/payload.properties" ] || die "there is no payload in $payload; run bench/gpu prepare here and carry bench/target/gpu-payload."
if [ "$dry" = yes ]; then
  out=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/jseek-gpu-out.XXXXXX")}
  work=${work:-$(mktemp -d "${TMPDIR:-/tmp}/jseek-gpu-work.XXXXXX")}
  if [ -z "$native_given" ]; then
    native_given=$(JSEEK_CUDA=off bash "$root/native/build.sh") || die "the dry run rehearses on native/build.sh's CPU libraries, and that build failed."
  fi
  if [ -z "$cublas" ]; then
    # where native/build.sh puts NVIDIA's cuBLAS wheel when the toolkit has none (this machine's case)
    for d in "${JSEEK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/jseek}"/cuda/cublas-*/nvidia/cu*; do [ -f "$d/include/cublas_v2.h" ] && cublas=$d; done
  fi
else
  [ -n "${OUT:-}" ] || die "set OUT to the folder the results go to (the device tool sets it)."
  out=$OUT
  work=${work:-$root/bench/target/gpu-work}
fi
mkdir -p "$out" "$work"
work=$(cd "$work" && pwd)
logs="$work/logs" report="$work/report" state="$work/state" models="$work/models"
rm -rf "$logs" "$report" && mkdir -p "$logs" "$report" "$state" "$models" "$work/bin"
# a warm machine's second run keeps the build (state/arch, state/build-seconds) and the models, nothing else
rm -f "$state"/*.note "$state"/bench-* "$state"/placement-* "$state"/devices.txt "$state"/big-gen.*
: >"$out/steps.tsv"
start=$SECONDS
jobs=$(nproc)
java="$work/jre/bin/java"
native="$work/native"
[ -n "$native_given" ] && native=$native_given
tiny="$models/tiny-deepseek.gguf"
big="$models/$big_shape-shape-q4_k_m.gguf"
big_f16="$models/$big_shape-shape-f16.gguf"
quantize="$work/build/bin/llama-quantize"
[ -n "$native_given" ] && quantize="$native_given/llama-quantize"
reserve=20 # seconds kept for the last summary

left() { echo $((budget - (SECONDS - start))); }
# Runs a command with what is left of the current step's time (and of the whole budget): 124 when it runs out.
lim() {
  local t=$((step_deadline - SECONDS)) g=$(($(left) - reserve))
  [ "$g" -lt "$t" ] && t=$g
  [ "$t" -gt 0 ] || { echo "no time left for: $*" >&2; return 124; }
  timeout -k 10 "$t" "$@"
}
# jseek and the model generator as commands (lim runs them under timeout), with cli/jseek's JVM options
cat >"$work/bin/jseek" <<EOS
#!/bin/sh
exec "$java" --enable-native-access=ALL-UNNAMED -XX:+UseSerialGC -Xmn8m -Djseek.native.dir="$native" -jar "$work/jseek/jseek.jar" "\$@"
EOS
cat >"$work/bin/tiny-deepseek" <<EOS
#!/bin/sh
exec "$java" -cp "\$(ls "$work"/jseek/lib/jseek-models-*.jar)" dev.jseek.models.TinyDeepSeek --vocab "$work/vocab/ggml-vocab-deepseek-llm.gguf" "\$@"
EOS
chmod +x "$work/bin/jseek" "$work/bin/tiny-deepseek"
export PATH="$work/bin:$PATH"
# CUDA images keep nvcc in /usr/local/cuda/bin, not always on a plain shell's PATH
command -v nvcc >/dev/null 2>&1 || { [ -x /usr/local/cuda/bin/nvcc ] && export PATH="$PATH:/usr/local/cuda/bin"; } || true
fragment() { cat >>"$report/$(printf '%02d' "$step_no")-$step_name.md"; }
# Shows a command as it would be run (the dry run's way of saying what the GPU machine does).
would() { printf '  would run: %s\n' "$*"; }

step_no=0
# step NAME LIMIT_SECONDS FUNCTION: runs FUNCTION in a subshell with set -e, output to logs/NAME.log
step() {
  local name=$1 limit=$2 fn=$3 t0=$SECONDS rc
  step_no=$((step_no + 1)) step_name=$name
  step_deadline=$((SECONDS + limit))
  say "[$(printf '%3d' $((SECONDS - start)))s] $name (at most ${limit}s)"
  set +e
  (set -e; "$fn") >"$logs/$name.log" 2>&1
  rc=$?
  set -e
  local status=ok
  case $rc in 0) ;; 124 | 137) status=timeout ;; 3) status=skipped ;; *) status="failed ($rc)" ;; esac
  local note; note=$(cat "$state/$name.note" 2>/dev/null || true)
  [ "$status" = ok ] || note="${note:-$(tail -n 3 "$logs/$name.log" | tr '\n|' '  ' | cut -c1-200)}"
  printf '%s\t%s\t%s\t%s\n' "$name" "$status" $((SECONDS - t0)) "$note" >>"$out/steps.tsv"
  say "      $status in $((SECONDS - t0))s${note:+: $note}"
  write_summary
}
note() { printf '%s' "$*" >"$state/$step_name.note"; }
skip() { note "$*"; exit 3; }

# ---- steps ----------------------------------------------------------------------------------------------------

env_info() {
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  uname -a
  echo "cores: $(nproc)"
  free -g | sed -n 2p
  df -h "$work" | tail -1
  cmake --version | head -1 || true
  command -v ninja >/dev/null && echo "ninja $(ninja --version)"
  nvcc --version | tail -2 || true
  nvidia-smi --query-gpu=name,memory.total,driver_version,compute_cap --format=csv,noheader || true
  nvidia-smi || true
  cat "$payload/payload.properties"
}

# tar's -J needs the xz program; where a machine lacks it, Python's tarfile reads .tar.xz itself
untar() { if command -v xz >/dev/null 2>&1; then tar -C "$1" -xJf "$2"; else python3 -m tarfile -e "$2" "$1"; fi; }

unpack() {
  if cmp -s "$payload/payload.properties" "$work/payload.properties"; then
    note "already unpacked (a warm machine's second run)"
  else
    rm -rf "$work/llama.cpp" "$work/jre" "$work/jseek" "$work/vocab" "$work/payload.properties"
    mkdir -p "$work/jseek" "$work/vocab"
    untar "$work" "$payload/llama.cpp.tar.xz"
    untar "$work" "$payload/jre.tar.xz"
    untar "$work/jseek" "$payload/jseek.tar.xz"
    untar "$work/vocab" "$payload/vocab.tar.xz"
    cp "$payload/payload.properties" "$work/"
  fi
  "$java" -version
  note "$("$java" -version 2>&1 | head -1)"
}

tiny_model() {
  [ -f "$tiny" ] || lim tiny-deepseek --out "$tiny"
  note "$(stat -c %s "$tiny") bytes"
}

# The V2-Lite shape (15.7 B parameters, 31 GB of F16, as bench/run makes it) is written while llama.cpp compiles,
# at low priority, and quantized to Q4_K_M once llama-quantize is built (big_chain). --big-shape tiny runs the same
# chain on the tiny shape: the dry run's way to rehearse it.
big_start() {
  [ "$with_big" = yes ] || skip "--models tiny"
  if [ -f "$big" ]; then note "already there from an earlier run"; return 0; fi
  if [ "$big_shape" = v2-lite ]; then
    if [ "$dry" = yes ]; then
      would nice -n 10 tiny-deepseek --shape v2-lite --out "$big_f16" "(in the background, while llama.cpp compiles)"
      would llama-quantize "$big_f16" "$big" Q4_K_M "$jobs" "(once the build has made it)"
      skip "dry run: the 31 GB model is not written here (--big-shape tiny rehearses the same steps)"
    fi
    local free_gb; free_gb=$(df -BG --output=avail "$models" | tail -1 | tr -dc 0-9)
    [ "$free_gb" -ge 45 ] || skip "only ${free_gb} GB of disk free; the F16 and Q4_K_M files need 45"
  fi
  note "$big_shape shape started in the background"
}

# This CPU's instruction sets as ggml's options. GGML_NATIVE would find them itself, but this release refuses it
# with GGML_BACKEND_DL; and GGML_CPU_ALL_VARIANTS (what jseek ships) compiles the CPU backend 14 times, minutes of
# the budget. Named explicitly, the one CPU module also records them, and ggml checks them when it loads it.
cpu_flags() {
  local have name option
  have=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2) "
  for name in sse4_2:SSE42 avx:AVX avx2:AVX2 fma:FMA f16c:F16C bmi2:BMI2 avx_vnni:AVX_VNNI avx512f:AVX512 \
              avx512vbmi:AVX512_VBMI avx512_vnni:AVX512_VNNI avx512_bf16:AVX512_BF16; do
    option=${name#*:} name=${name%%:*}
    # GGML_AVX512 compiles with F, CD, VL, DQ and BW
    [ "$option" = AVX512 ] && name="avx512f avx512cd avx512vl avx512dq avx512bw"
    local all=ON n
    for n in $name; do [[ "$have" == *" $n "* ]] || all=OFF; done
    printf -- '-DGGML_%s=%s\n' "$option" "$all"
  done
}

configure() {
  local flags=(-DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_SERVER=OFF
    -DLLAMA_BUILD_APP=OFF -DLLAMA_BUILD_EXAMPLES=ON -DLLAMA_BUILD_TOOLS=ON -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF
    -DGGML_RPC=ON -DCMAKE_BUILD_RPATH_USE_ORIGIN=ON -DGGML_BACKEND_DL=ON -DGGML_CPU_ALL_VARIANTS=OFF -DGGML_NATIVE=OFF
    $(cpu_flags) -DGGML_CUDA=ON -Wno-dev)
  command -v ninja >/dev/null 2>&1 && flags+=(-G Ninja)
  if [ -n "$cublas" ]; then
    # a toolkit without cuBLAS (NVIDIA's wheel, as native/build.sh fetches it): name the libraries and headers
    local lib lt
    lib=$(ls "$cublas"/lib/libcublas.so* | head -1) lt=$(ls "$cublas"/lib/libcublasLt.so* | head -1)
    flags+=("-DCUDA_cublas_LIBRARY=$lib" "-DCUDA_cublasLt_LIBRARY=$lt" "-DCMAKE_CUDA_FLAGS=-I$cublas/include"
      "-DCMAKE_CXX_FLAGS=-I$cublas/include")
  fi
  local cuda_home; cuda_home=$(cd "$(dirname "$(command -v nvcc)")/.." && pwd)
  # as native/build.sh: without a libcuda to link (driver or stub), ggml's ordinary memory pool instead of VMM
  if ! ls "$cuda_home"/lib64/stubs/libcuda.so "$cuda_home"/targets/*/lib/stubs/libcuda.so >/dev/null 2>&1 &&
     ! ldconfig -p 2>/dev/null | grep -q 'libcuda\.so '; then
    flags+=(-DGGML_CUDA_NO_VMM=ON)
  fi
  if [ -f "$state/arch" ] && [ -f "$work/build/CMakeCache.txt" ] && [ "$(printf '%s\n' "${flags[@]}")" = "$(cat "$state/cmake-flags" 2>/dev/null)" ]; then
    note "configured by an earlier run: CUDA architectures $(cat "$state/arch")"
    return 0
  fi
  rm -f "$state/arch" "$state/build-seconds"
  printf '%s\n' "${flags[@]}" >"$state/cmake-flags"
  local arch
  for arch in native 90; do
    rm -rf "$work/build"
    echo "== cmake -S $work/llama.cpp -B $work/build ${flags[*]} -DCMAKE_CUDA_ARCHITECTURES=$arch"
    if lim cmake -S "$work/llama.cpp" -B "$work/build" "${flags[@]}" "-DCMAKE_CUDA_ARCHITECTURES=$arch"; then
      echo "$arch" >"$state/arch"
      note "CUDA architectures: $arch$([ "$arch" = 90 ] && echo ' (native detection failed: see the log)')"
      return 0
    fi
    echo "== configure with architectures '$arch' failed"
  done
  return 1
}

# the targets jseek loads, the tools it is compared with, and libllama-common for jseek's shim
targets=(llama ggml ggml-base ggml-cpu ggml-cuda ggml-rpc llama-common llama-simple llama-bench llama-batched
  llama-quantize llama-completion)

check_targets() {
  local have missing=()
  if [ -f "$work/build/build.ninja" ]; then have=$(ninja -C "$work/build" -t targets all); else have=$(make -C "$work/build" help); fi
  for t in "${targets[@]}"; do grep -qE "(^|[ /])$t(:|\$| )" <<<"$have" || missing+=("$t"); done
  [ ${#missing[@]} -eq 0 ] || { echo "targets missing from the configured build: ${missing[*]}"; return 1; }
  echo "all targets configured: ${targets[*]}"
}

build() {
  [ -f "$state/arch" ] || skip "not configured"
  check_targets
  if [ "$dry" = yes ]; then
    if [ -f "$work/build/build.ninja" ]; then
      # every input of every build step is there (ninja stops at a missing one), and one CUDA file compiles with
      # the flags and cuBLAS headers the whole backend uses
      ninja -C "$work/build" -n "${targets[@]}" | tail -1
      lim ninja -C "$work/build" ggml/src/ggml-cuda/CMakeFiles/ggml-cuda.dir/arange.cu.o
      note "dry run: configured with CUDA on; all inputs present ($(ninja -C "$work/build" -n "${targets[@]}" | tail -1 | sed 's/^\[\([0-9/]*\)\].*/\1/') steps), one CUDA file compiled for sm_$(cat "$state/arch"); the rest not compiled"
    else
      note "dry run: configured with CUDA on, not compiled"
    fi
    would cmake --build "$work/build" -j "$jobs" --target "${targets[@]}"
    exit 3
  fi
  local t0=$SECONDS keep=()
  # one target that fails to compile must not stop the others (a missing tool fails only its own check)
  [ -f "$work/build/build.ninja" ] && keep=(-- -k 0)
  lim cmake --build "$work/build" -j "$jobs" --target "${targets[@]}" "${keep[@]}"
  echo $((SECONDS - t0)) >"$state/build-seconds"
  note "$((SECONDS - t0)) s with $jobs jobs; libggml-cuda $(du -h "$work/build/bin/libggml-cuda.so" | cut -f1)"
}

# jseek's own C and C++ (native/shim), compiled as native/build.sh's build_shim does, against this source's headers
shim() {
  local dir=$1 src="$work/llama.cpp" sh="$root/native/shim"
  lim cc -O2 -shared -fPIC -o "$dir/libjseek-shim.so" "$sh/jseek_abort.c"
  lim c++ -std=c++17 -O2 -shared -fPIC -I"$src/common" -I"$src/include" -I"$src/ggml/include" -I"$src/vendor" \
    -o "$dir/libjseek-common.so" "$sh/jseek_chat.cpp" "$sh/jseek_fit.cpp" -L"$dir" -lllama-common -lllama -lggml \
    -lggml-base -Wl,-rpath,'$ORIGIN'
}

native_dir() {
  if [ "$dry" = yes ]; then
    # the shim against the trimmed source's headers, linked to the CPU libraries the rehearsal uses
    local tmp; tmp=$(mktemp -d "$work/shim.XXXXXX")
    cp -a "$native"/libllama-common.so* "$native"/libllama.so* "$native"/libggml.so* "$native"/libggml-base.so* "$tmp"/
    shim "$tmp"
    would cp -a "$work/build/bin/." "$work/native/" "&& compile native/shim into it && cp vocab"
    note "shim compiled against the trimmed source; rehearsing with $native"
    return 0
  fi
  [ -z "$native_given" ] || { note "the libraries in $native_given (--native)"; return 0; }
  [ -f "$work/build/bin/libggml-cuda.so" ] || skip "no libggml-cuda.so: the build did not finish"
  rm -rf "$native.tmp" && mkdir -p "$native.tmp/vocab"
  cp -a "$work/build/bin/." "$native.tmp/"
  cp "$work/vocab/ggml-vocab-deepseek-llm.gguf" "$native.tmp/vocab/"
  shim "$native.tmp"
  rm -rf "$native" && mv "$native.tmp" "$native"
  note "$(ls "$native" | tr '\n' ' ')"
}

version_devices() {
  [ -f "$native/libllama.so" ] || skip "no libraries"
  { echo '```'; echo '$ jseek --version'; lim jseek --version; echo '$ jseek devices'; lim jseek devices; echo '```'; } >"$state/devices.txt" 2>&1 || true
  cat "$state/devices.txt"
  { echo "## jseek --version and jseek devices"; echo; cat "$state/devices.txt"; echo; } | fragment
  grep -q CUDA "$state/devices.txt" || { note "no CUDA device listed"; [ "$dry" = yes ]; }
}

prompts=("The quick brown fox jumps over the lazy dog" "深度求索的模型会思考吗？" "Whales 🐳 and dolphins 🐬 sing")

# LlamaSimpleParityTest's check, fully offloaded: llama-simple prints the prompt's pieces, 32 greedy tokens and a
# newline; jseek run --raw --preset greedy prints the 32 tokens and a newline. llama-simple writes a token's bytes
# as they are, a broken UTF-8 sequence too; jseek (and the test, reading llama-simple's output as UTF-8) writes
# U+FFFD for one, so llama-simple's bytes are decoded that way (Python's "replace" follows the same Unicode
# practice as Java's decoder), then compared exactly.
utf8() { if command -v python3 >/dev/null 2>&1; then python3 -c 'import sys; sys.stdout.buffer.write(sys.stdin.buffer.read().decode("utf-8", "replace").encode())'; else cat; fi; }

parity() {
  [ -f "$native/libllama.so" ] || skip "no libraries"
  local i p same=0 rows=""
  for i in "${!prompts[@]}"; do
    p=${prompts[$i]}
    lim "$native/llama-simple" -m "$tiny" -n 32 -ngl 99 "$p" 2>"$logs/parity-$i.simple.log" | utf8 >"$logs/parity-$i.simple" || true
    lim jseek run -m "$tiny" --raw --preset greedy -n 32 -ngl 99 "$p" >"$logs/parity-$i.jseek" 2>"$logs/parity-$i.jseek.log" || true
    local n plen verdict=different
    n=$(stat -c %s "$logs/parity-$i.jseek") plen=$(printf %s "$p" | wc -c)
    if [ "$n" -gt 1 ] && tail -c "$n" "$logs/parity-$i.simple" | cmp -s - "$logs/parity-$i.jseek" &&
       [ "$(head -c -"$n" "$logs/parity-$i.simple" | tail -c "$plen")" = "$p" ]; then
      verdict=identical same=$((same + 1))
    fi
    local offload; offload=$(grep -o 'offloaded [0-9]*/[0-9]* layers to GPU' "$logs/parity-$i.simple.log" | head -1 || true)
    rows+="| $p | $verdict | ${offload:-?} | $(tr '\n|' ' /' <"$logs/parity-$i.jseek" | cut -c1-60) |"$'\n'
  done
  {
    echo "## Greedy output: jseek run vs llama-simple, fully offloaded (tiny model, 32 tokens)"
    echo
    echo "| prompt | jseek vs llama-simple | llama-simple's offload | jseek's text (start) |"
    echo "|---|---|---|---|"
    printf '%s' "$rows"
    echo
    echo '```'
    echo "llama-simple -m tiny-deepseek.gguf -n 32 -ngl 99 PROMPT"
    echo "jseek run -m tiny-deepseek.gguf --raw --preset greedy -n 32 -ngl 99 PROMPT"
    echo '```'
    echo
  } | fragment
  note "$same of ${#prompts[@]} prompts identical"
  [ "$same" -eq "${#prompts[@]}" ]
}

# tensors placed by --cpu-moe, from llama.cpp's own log lines (jseek --verbose passes them through)
placement() { sed -n 's/.*tensor \([^ ]*\) (.*buffer type overridden to \(.*\)$/\1 \2/p' "$1" | sort -u; }
buffers() { grep -o '[A-Za-z0-9_]* model buffer size = *[0-9.]* MiB' "$1" | tr -s ' ' | paste -sd';' - || true; }

cpu_moe() {
  [ -f "$native/libllama.so" ] || skip "no libraries"
  local run=(run -m "$tiny" --raw --preset greedy -n 4 -ngl 99 --verbose)
  lim jseek "${run[@]}" --cpu-moe "Hello" >"$logs/cpumoe-jseek.out" 2>"$logs/cpumoe-jseek.log" || true
  lim jseek "${run[@]}" "Hello" >"$logs/nocpumoe-jseek.out" 2>"$logs/nocpumoe-jseek.log" || true
  lim "$native/llama-completion" -m "$tiny" -ngl 99 --cpu-moe -n 4 -p Hello -no-cnv --temp 0 -v \
    >"$logs/cpumoe-llama.out" 2>"$logs/cpumoe-llama.log" </dev/null || true
  lim jseek fit "$tiny" >"$logs/fit.out" 2>&1 || true
  placement "$logs/cpumoe-jseek.log" >"$state/placement-jseek"
  placement "$logs/cpumoe-llama.log" >"$state/placement-llama"
  local nj nl agree=no
  nj=$(wc -l <"$state/placement-jseek") nl=$(wc -l <"$state/placement-llama")
  [ "$nj" -gt 0 ] && cmp -s "$state/placement-jseek" "$state/placement-llama" && agree=yes
  {
    echo "## --cpu-moe: where the expert tensors went (tiny model, -ngl 99)"
    echo
    echo "| run | tensors overridden to the CPU | model buffers |"
    echo "|---|---|---|"
    echo "| jseek run --cpu-moe | $nj ($(cut -d' ' -f2 "$state/placement-jseek" | sort -u | paste -sd, -)) | $(buffers "$logs/cpumoe-jseek.log") |"
    echo "| llama-completion --cpu-moe | $nl ($(cut -d' ' -f2 "$state/placement-llama" | sort -u | paste -sd, -)) | $(buffers "$logs/cpumoe-llama.log") |"
    echo "| jseek run (no --cpu-moe) | $(placement "$logs/nocpumoe-jseek.log" | wc -l) | $(buffers "$logs/nocpumoe-jseek.log") |"
    echo
    echo "Same tensors, same placement on both sides: **$agree**. Tensors: $(cut -d' ' -f1 "$state/placement-jseek" | paste -sd' ' -)"
    echo
    echo '```'
    echo '$ jseek fit tiny-deepseek.gguf'
    cat "$logs/fit.out"
    echo '```'
    echo
  } | fragment
  note "$nj tensors to the CPU in jseek, $nl in llama.cpp; same: $agree"
  [ "$agree" = yes ]
}

# ---- jseek bench vs llama-bench --------------------------------------------------------------------------------

# "TEST avg_ts" per result, from either tool's JSON (one key per line in both)
bench_values() {
  awk 'match($0, /"n_prompt" *: *[0-9]+/) { v = substr($0, RSTART, RLENGTH); sub(/.*: */, "", v); p = v + 0 }
       match($0, /"n_gen" *: *[0-9]+/) { v = substr($0, RSTART, RLENGTH); sub(/.*: */, "", v); g = v + 0 }
       match($0, /"avg_ts" *: *[0-9.eE+-]+/) { v = substr($0, RSTART, RLENGTH); sub(/.*: */, "", v); print (p > 0 ? "pp" p : "tg" g), v + 0 }' "$1"
}

# Interleaved process pairs, the side that goes first alternating; stops early when the next pair would not fit.
bench_pairs() {
  local label=$1 model=$2 max=$3 i t0 took=0
  shift 3
  local args=(-m "$model" "$@" -ngl 99 -t "$jobs" -o json)
  [ $((step_deadline - SECONDS)) -ge 20 ] || skip "too little time left"
  echo "jseek bench ${args[*]}" | sed "s|$models/||" >"$state/bench-$label.cmd"
  for ((i = 1; i <= max; i++)); do
    if [ "$i" -gt 1 ] && [ $((step_deadline - SECONDS)) -lt $((took * 3 / 2 + 5)) ]; then
      echo "stopping after $((i - 1)) pairs: the next would not fit"
      break
    fi
    t0=$SECONDS
    local sides=(jseek llama); [ $((i % 2)) -eq 0 ] && sides=(llama jseek)
    for s in "${sides[@]}"; do
      if [ "$s" = jseek ]; then
        lim jseek bench "${args[@]}" >"$logs/bench-$label-jseek-$i.json" 2>"$logs/bench-$label-jseek-$i.log" || true
      else
        lim "$native/llama-bench" "${args[@]}" >"$logs/bench-$label-llama-$i.json" 2>"$logs/bench-$label-llama-$i.log" || true
      fi
    done
    took=$((SECONDS - t0))
    echo "pair $i: $took s"
  done
  bench_table "$label" "$(basename "$model")"
}

# one row per test: medians, the paired ratio (jseek / llama-bench within a pair) and the raw numbers
bench_table() {
  local label=$1 name=$2 f i
  for f in "$logs"/bench-"$label"-jseek-*.json; do
    [ -f "$f" ] || continue
    i=${f##*-}; i=${i%.json}
    bench_values "$f" | sed "s/^/$i jseek /"
    [ -f "$logs/bench-$label-llama-$i.json" ] && bench_values "$logs/bench-$label-llama-$i.json" | sed "s/^/$i llama /"
  done | sort -k3,3 -k1,1n | awk -v model="$name" '
    function median(a, n,   i, j, t) { for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
                                       return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
    function fmt(v) { return v >= 100 ? sprintf("%.0f", v) : sprintf("%.2f", v) }
    { v[$3, $1, $2] = $4; tests[$3] = 1; pairs[$1] = 1 }
    END {
      for (t in tests) {
        nj = nl = nr = 0; rj = rl = ""; lo = 1e99; hi = 0
        for (p = 1; p <= 99; p++) {
          if (!(p in pairs)) continue
          if ((t, p, "jseek") in v) { J[++nj] = v[t, p, "jseek"]; rj = rj " " fmt(v[t, p, "jseek"]) }
          if ((t, p, "llama") in v) { L[++nl] = v[t, p, "llama"]; rl = rl " " fmt(v[t, p, "llama"]) }
          if (((t, p, "jseek") in v) && ((t, p, "llama") in v)) {
            r = v[t, p, "jseek"] / v[t, p, "llama"]; R[++nr] = r; if (r < lo) lo = r; if (r > hi) hi = r
          }
        }
        mj = nj ? median(J, nj) : 0; ml = nl ? median(L, nl) : 0
        printf "| %s | %s | %s | %s | %s | %s | %d | %s | %s |\n", model, t, nj ? fmt(mj) : "–", nl ? fmt(ml) : "–",
          (nj && nl) ? sprintf("%.3f", mj / ml) : "–", nr ? sprintf("%.3f (%.3f–%.3f)", median(R, nr), lo, hi) : "–",
          nr, substr(rj, 2), substr(rl, 2)
      }
    }' | sort -t'|' -k3,3 >"$state/bench-$label.rows"
  cat "$state/bench-$label.rows"
  [ -s "$state/bench-$label.rows" ]
}

bench_sizes() { if [ "$dry" = yes ]; then echo "-p 64 -n 16 -r 1"; else echo "-p 512 -n 128 -r 3"; fi; }

bench_tiny() {
  [ -f "$native/libllama.so" ] || skip "no libraries"
  # shellcheck disable=SC2046
  bench_pairs tiny "$tiny" "$([ "$dry" = yes ] && echo 2 || echo 5)" $(bench_sizes)
  note "$(wc -l <"$state/bench-tiny.rows") tests"
}

# The V2-Lite shape (15.7 B parameters, 31 GB of F16, as bench/run makes it) is written while llama.cpp compiles and
# quantized to Q4_K_M (as bench/run does) while the tiny-model checks run, both at low priority in the background.
big_chain() {
  nice -n 10 tiny-deepseek --shape "$big_shape" --out "$big_f16" &
  echo $! >"$state/big-gen.child"
  wait $! || { echo "the generator failed"; return 1; }
  until [ -f "$state/build.done" ]; do
    [ -f "$state/build.failed" ] && { echo "no llama-quantize: the build failed"; return 1; }
    sleep 2
  done
  nice -n 5 "$quantize" "$big_f16" "$big.tmp" Q4_K_M "$jobs" &
  echo $! >"$state/big-gen.child"
  wait $! || { echo "llama-quantize failed"; return 1; }
  mv "$big.tmp" "$big" && rm -f "$big_f16"
}

big_model() {
  [ "$with_big" = yes ] || skip "--models tiny"
  if [ ! -f "$big" ]; then
    [ -f "$state/big-gen.pid" ] || skip "the $big_shape-shaped model was not started"
    local pid; pid=$(cat "$state/big-gen.pid")
    echo "waiting for the generator and llama-quantize ($pid)"
    while kill -0 "$pid" 2>/dev/null; do
      [ $((step_deadline - SECONDS)) -gt 5 ] || { tail -3 "$logs/big-model-background.log"; skip "not written and quantized in time"; }
      sleep 2
    done
    [ -f "$big" ] || { tail -5 "$logs/big-model-background.log"; return 1; }
  fi
  note "$(du -h "$big" | cut -f1) Q4_K_M"
}

bench_big() {
  [ -f "$big" ] && [ "$with_big" = yes ] || skip "no $big_shape-shaped model"
  # shellcheck disable=SC2046
  bench_pairs "$big_shape-q4" "$big" 3 $(bench_sizes)
  note "$(wc -l <"$state/bench-$big_shape-q4.rows") tests"
}

# ---- the summary ------------------------------------------------------------------------------------------------

write_summary() {
  {
    echo "# jseek on a GPU: bench/gpu run"
    echo
    if [ "$dry" = yes ]; then
      echo "**DRY RUN on a machine without a GPU: llama.cpp was configured with CUDA but not compiled, and the checks"
      echo "below ran on the CPU libraries in \`$native\` (with -ngl 99 falling back to the CPU). These are not GPU numbers.**"
      echo
    fi
    echo "- Run: $(date -u +%Y-%m-%dT%H:%M:%SZ), $((SECONDS - start)) s of a ${budget} s budget"
    echo "- GPU: $(nvidia-smi --query-gpu=name,memory.total,driver_version,compute_cap --format=csv,noheader 2>/dev/null | head -1 || true)"
    echo "- Machine: $(nproc) cores, $(free -g | awk '/^Mem/ { print $2 " GiB RAM" }'); $(nvcc --version 2>/dev/null | sed -n 's/.*release \([0-9.]*\).*/CUDA \1/p'), $(cmake --version | head -1)"
    echo "- llama.cpp $(sed -n 's/^llama.version=//p' "$payload/payload.properties") (trimmed source), CUDA architectures: $(cat "$state/arch" 2>/dev/null || echo -), build: $(cat "$state/build-seconds" 2>/dev/null || echo -) s with $jobs jobs"
    echo "- jseek $(sed -n 's/^jseek.commit=//p' "$payload/payload.properties"), $(sed -n 's/^java.version=//p' "$payload/payload.properties") (jlink)"
    echo
    echo "| step | result | seconds | note |"
    echo "|---|---|---|---|"
    awk -F'\t' '{ gsub(/\|/, "/", $4); printf "| %s | %s | %s | %s |\n", $1, $2, $3, $4 }' "$out/steps.tsv"
    echo
    cat "$report"/*.md 2>/dev/null || true
    if ls "$state"/bench-*.rows >/dev/null 2>&1; then
      echo "## jseek bench vs llama-bench (-ngl 99, $jobs threads; t/s)"
      echo
      echo "| model | test | jseek median | llama-bench median | ratio of medians | paired ratio: median (min–max) | pairs | raw jseek | raw llama-bench |"
      echo "|---|---|---|---|---|---|---|---|---|"
      cat "$state"/bench-*.rows
      echo
      echo "Each pair is one jseek bench and one llama-bench process, seconds apart, the side that goes first"
      echo "alternating; each process reports the mean of its repetitions. Commands:"
      echo
      echo '```'
      cat "$state"/bench-*.cmd
      echo "llama-bench (the same arguments)"
      echo '```'
    fi
  } >"$out/summary.md"
  tar -C "$work" -czf "$out/logs.tar.gz" logs state 2>/dev/null || true
}

# ---- the run ----------------------------------------------------------------------------------------------------

say "work: $work; results: $out; budget: ${budget}s$([ "$dry" = yes ] && echo '; DRY RUN')"
step env 30 env_info
step unpack 120 unpack
step tiny-model 60 tiny_model
step big-model-start 10 big_start
rm -f "$state/build.done" "$state/build.failed"
if [ "$(tail -1 "$out/steps.tsv" | cut -f2)" = ok ] && [ ! -f "$big" ]; then
  # outlives its step on purpose: the build and the tiny-model checks run meanwhile; big_model waits for it
  (set -e; big_chain) >"$logs/big-model-background.log" 2>&1 &
  echo $! >"$state/big-gen.pid"
fi
if [ "$dry" = yes ] || [ -z "$native_given" ]; then
  step configure 180 configure
  step build $(($(left) - 150)) build
fi
if [ -x "$quantize" ] && { [ -n "$native_given" ] || [ -f "$work/build/bin/libggml-cuda.so" ]; }; then touch "$state/build.done"; else touch "$state/build.failed"; fi
step native 240 native_dir
step devices 60 version_devices
step parity 150 parity
step cpu-moe 120 cpu_moe
# the largest model first: the tiny one's bench is short and takes what is left
step big-model $(($(left) - 90)) big_model
step bench-big $(($(left) - 60 - reserve)) bench_big
step bench-tiny $(($(left) - reserve)) bench_tiny
if [ -f "$state/big-gen.pid" ] && kill -0 "$(cat "$state/big-gen.pid")" 2>/dev/null; then
  # the generator or llama-quantize we started, still running when time ran out
  kill "$(cat "$state/big-gen.child")" 2>/dev/null || true
fi
write_summary
say "done in $((SECONDS - start)) s: $out/summary.md"
cat "$out/summary.md"
