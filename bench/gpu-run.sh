# Sourced by bench/gpu run (and bench/gpu receive): the checks on the GPU machine (see bench/GPU.md). Nothing is
# compiled there: the payload (bench/gpu prepare) carries jseek, a Java runtime, our CPU build with its tools and
# jseek's shim, and the CUDA module our pin's CI published, in parts sent by successive calls. Each step runs in a
# subshell with its own time limit and log, so one that fails or runs out of time leaves the others' results; the
# summary and the logs in $OUT are rewritten after every step, so a run stopped at the tool's limit still brings
# them back. Expects $root, $payload, $mode (run or receive), say() and die() from bench/gpu.

dry=no native_given="" cuda_libs=${JSEEK_CUDA_LIBS:-} budget=480 work="" with_big=yes big_shape=v2-lite
while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) dry=yes ;;
    --native) native_given=$(cd "${2:?--native needs a directory}" && pwd) || die "--native $2 is not a directory."; shift ;;
    --cuda-libs) cuda_libs=$(cd "${2:?--cuda-libs needs a directory}" && pwd) || die "--cuda-libs $2 is not a directory."; shift ;;
    --budget) budget=${2:?--budget needs seconds}; shift ;;
    --work) work=${2:?--work needs a directory}; shift ;;
    --big-shape)
      case "${2:-}" in tiny | v2-lite) big_shape=$2 ;; *) die "--big-shape must be v2-lite or tiny, not '${2:-}'." ;; esac
      shift ;;
    --models)
      case "${2:-}" in tiny) with_big=no ;; tiny,v2-lite | v2-lite,tiny) with_big=yes ;; *) die "--models must be tiny or tiny,v2-lite, not '${2:-}'." ;; esac
      shift ;;
    *) die "unknown option '$1' for $mode; see the usage at the top of bench/gpu." ;;
  esac
  shift
done
[[ "$budget" =~ ^[0-9]+$ ]] || die "--budget must be a number of seconds, not '$budget'."
if [ "$dry" = yes ]; then
  out=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/jseek-gpu-out.XXXXXX")}
  work=${work:-$(mktemp -d "${TMPDIR:-/tmp}/jseek-gpu-work.XXXXXX")}
elif [ "$mode" = receive ]; then
  out=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/jseek-gpu-out.XXXXXX")}
  work=${work:-$root/bench/target/gpu-work}
else
  [ -n "${OUT:-}" ] || die "set OUT to the folder the results go to (the device tool sets it)."
  out=$OUT
  work=${work:-$root/bench/target/gpu-work}
fi
mkdir -p "$out" "$work/parts"
work=$(cd "$work" && pwd)

# ---- receiving the payload's parts --------------------------------------------------------------------------------

# Moves the parts this call carried (bench/target/gpu-payload/N/) into $work/parts, where a warm machine keeps them
# for the next call; parts of an older payload are dropped. Prints what is there and what is still missing.
receive_parts() {
  local dir id have missing=() i n
  for dir in "$payload"/*/; do
    [ -f "$dir/payload.properties" ] || continue
    id=$(sed -n 's/^created=//p' "$dir/payload.properties")
    have=$(sed -n 's/^created=//p' "$work/parts/payload.properties" 2>/dev/null || true)
    if [ "$id" != "$have" ]; then
      [ -z "$have" ] || say "dropping the parts of the payload made $have: this one was made $id"
      rm -rf "$work/parts" && mkdir -p "$work/parts"
      cp "$dir/payload.properties" "$work/parts/"
    fi
    for f in "$dir"*; do
      case "$(basename "$f")" in payload.properties) ;; *) cp "$f" "$work/parts/" ;; esac
    done
  done
  [ -f "$work/parts/payload.properties" ] || die "no part of a payload is here: carry bench/target/gpu-payload/1 (made by bench/gpu prepare)."
  n=$(sed -n 's/^parts=//p' "$work/parts/payload.properties")
  for ((i = 0; i < n; i++)); do
    f=$(printf 'cuda.xz.%02d' "$i")
    [ -f "$work/parts/$f" ] || missing+=("$((i + 1))")
  done
  [ -f "$work/parts/native.tar.xz" ] || missing=(1 "${missing[@]}")
  missing=($(printf '%s\n' "${missing[@]}" | sort -un))
  echo "${missing[*]}"
}

if [ "$mode" = receive ]; then
  missing=$(receive_parts)
  n=$(sed -n 's/^parts=//p' "$work/parts/payload.properties")
  if [ -z "$missing" ]; then
    say "all $n parts are here ($work/parts): bench/gpu run next"
  else
    say "here: $(ls "$work/parts" | tr '\n' ' '); still to send: part(s) $missing of $n"
  fi
  exit 0
fi

logs="$work/logs" report="$work/report" state="$work/state" models="$work/models"
rm -rf "$logs" "$report" && mkdir -p "$logs" "$report" "$state" "$models" "$work/bin"
# a warm machine's second run keeps the unpacked payload and the models, nothing else
rm -f "$state"/*.note "$state"/bench-* "$state"/placement-* "$state"/devices.txt "$state"/big-gen.* "$state"/ld-path
: >"$out/steps.tsv"
start=$SECONDS
jobs=$(nproc)
java="$work/jre/bin/java"
native="$work/native"
[ -n "$native_given" ] && native=$native_given
tiny="$models/tiny-deepseek.gguf"
big="$models/$big_shape-shape-q4_k_m.gguf"
big_f16="$models/$big_shape-shape-f16.gguf"
quantize="$native/llama-quantize"
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
exec "$java" -cp "\$(ls "$work"/jseek/lib/jseek-models-*.jar)" dev.jseek.models.TinyDeepSeek --vocab "$native/vocab/ggml-vocab-deepseek-llm.gguf" "\$@"
EOS
chmod +x "$work/bin/jseek" "$work/bin/tiny-deepseek"
export PATH="$work/bin:$PATH"
# The module has no SASS for Hopper (sm_90): the driver compiles its compute_90 PTX at first use and caches the result.
# A cache in the work directory survives a warm machine's second run; the default 256 MiB limit could evict.
export CUDA_CACHE_PATH="$work/nv-cache" CUDA_CACHE_MAXSIZE=4294967296
fragment() { cat >>"$report/$(printf '%02d' "$step_no")-$step_name.md"; }

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
  nvcc --version 2>/dev/null | tail -2 || true
  nvidia-smi --query-gpu=name,memory.total,driver_version,compute_cap --format=csv,noheader || true
  nvidia-smi || true
  cat "$work/parts/payload.properties" 2>/dev/null || true
}

# tar's -J needs the xz program; where a machine lacks it, Python's tarfile reads .tar.xz itself
untar() { if command -v xz >/dev/null 2>&1; then tar -C "$1" -xJf "$2"; else python3 -m tarfile -e "$2" "$1"; fi; }
unxz_to() { if command -v xz >/dev/null 2>&1; then xz -dc; else python3 -c 'import lzma,sys; sys.stdout.buffer.write(lzma.decompress(sys.stdin.buffer.read()))'; fi >"$1"; }
pprop() { sed -n "s/^$1=//p" "$work/parts/payload.properties"; }

# The parts this call carried join those earlier calls left; then, once all are there, the Java runtime, the jars
# and the native directory are unpacked and the module is put together and checked against its sha256.
unpack() {
  local missing; missing=$(receive_parts)
  [ -z "$missing" ] || { note "part(s) $missing of $(pprop parts) never reached this machine: send them with bench/gpu receive first (back to back: the machine keeps them only while warm)"; return 1; }
  if cmp -s "$work/parts/payload.properties" "$work/payload.properties"; then
    note "already unpacked (a warm machine's second run)"
  else
    local f
    for f in "$work"/parts/*.tar.xz "$work"/parts/cuda.xz.*; do
      [ "$(sha256sum "$f" | cut -d' ' -f1)" = "$(pprop "sha256.$(basename "$f")")" ] || { note "$(basename "$f") is damaged (sha256)"; return 1; }
    done
    rm -rf "$work/jre" "$work/jseek" "$work/native" "$work/payload.properties"
    mkdir -p "$work/jseek" "$work/native"
    untar "$work" "$work/parts/jre.tar.xz"
    untar "$work/jseek" "$work/parts/jseek.tar.xz"
    untar "$work/native" "$work/parts/native.tar.xz"
    cat "$work"/parts/cuda.xz.* | unxz_to "$work/native/libggml-cuda.so"
    [ "$(sha256sum "$work/native/libggml-cuda.so" | cut -d' ' -f1)" = "$(pprop module.sha256)" ] ||
      { note "libggml-cuda.so put together from the parts does not have its sha256"; return 1; }
    cp "$work/parts/payload.properties" "$work/"
  fi
  "$java" -version
  note "$("$java" -version 2>&1 | head -1); libggml-cuda.so $(du -h "$work/native/libggml-cuda.so" | cut -f1), $(pprop prebuilt.cuda | cut -d' ' -f1)"
}

# What the module needs besides the driver: the CUDA 13 runtime and cuBLAS (prebuilt.cuda.needs). Where the loader
# does not find them, the toolkit's and pip's folders on this machine are searched (this image keeps cuBLAS in
# PyTorch's environment); --cuda-libs names a folder first.
cuda_libs_step() {
  local lib dir dirs=() missing=()
  [ -z "$cuda_libs" ] || dirs+=("$cuda_libs")
  for lib in libcuda.so.1 libcudart.so.13 libcublas.so.13 libcublasLt.so.13; do
    if [ -n "$cuda_libs" ] && [ -e "$cuda_libs/$lib" ]; then echo "$lib: $cuda_libs (--cuda-libs)"; continue; fi
    if ldconfig -p 2>/dev/null | grep -q "[[:space:]]$lib "; then echo "$lib: $(ldconfig -p | grep -m1 "[[:space:]]$lib " | sed 's/.*=> //') (the loader's cache)"; continue; fi
    dir=$(find /usr/local/cuda/lib64 /usr/local/cuda/targets /usr/local/nvidia /usr/local/lib /usr/lib /opt -name "$lib" \
      -not -path '*/stubs/*' -print -quit 2>/dev/null | xargs -r dirname || true)
    if [ -n "$dir" ]; then echo "$lib: $dir (found)"; dirs+=("$dir"); else echo "$lib: not found"; missing+=("$lib"); fi
  done
  printf '%s\n' "${dirs[@]}" | awk 'NF && !seen[$0]++' | paste -sd: - >"$state/ld-path"
  echo "LD_LIBRARY_PATH additions: $(cat "$state/ld-path")"
  if [ ${#missing[@]} -gt 0 ]; then
    note "missing: ${missing[*]} (CUDA will say it is unavailable and run on the CPU)"
    [ "$dry" = yes ] || return 1
  else
    note "all found${dirs:+; added to LD_LIBRARY_PATH: $(cat "$state/ld-path")}"
  fi
}

tiny_model() {
  [ -f "$tiny" ] || lim tiny-deepseek --out "$tiny"
  note "$(stat -c %s "$tiny") bytes"
}

# The V2-Lite shape (15.7 B parameters, 31 GB of F16, as bench/run makes it) is written and quantized to Q4_K_M in the
# background, at low priority, while the tiny-model checks run. --big-shape tiny runs the same chain on the tiny
# shape: the dry run's way to rehearse it.
big_start() {
  [ "$with_big" = yes ] || skip "--models tiny"
  if [ -f "$big" ]; then note "already there from an earlier run"; return 0; fi
  [ -x "$quantize" ] || skip "no llama-quantize in $native"
  if [ "$big_shape" = v2-lite ]; then
    [ "$dry" = no ] || skip "dry run: the 31 GB model is not written here (--big-shape tiny rehearses the same steps)"
    local free_gb; free_gb=$(df -BG --output=avail "$models" | tail -1 | tr -dc 0-9)
    [ "$free_gb" -ge 45 ] || skip "only ${free_gb} GB of disk free; the F16 and Q4_K_M files need 45"
  fi
  note "$big_shape shape started in the background"
}

# The first use of the module on a GPU without SASS for it (Hopper: only compute_90 PTX) makes the driver compile the
# kernels it loads; timed here, once, so that the checks after it measure jseek and llama.cpp, not the JIT.
warm_up() {
  [ -f "$native/libggml-cuda.so" ] || skip "no CUDA module"
  local t0=$SECONDS
  lim "$native/llama-simple" -m "$tiny" -n 8 -ngl 99 "Hello" >"$logs/warm-up.out" 2>&1 || { tail -5 "$logs/warm-up.out"; return 1; }
  local first=$((SECONDS - t0)); t0=$SECONDS
  lim "$native/llama-simple" -m "$tiny" -n 8 -ngl 99 "Hello" >>"$logs/warm-up.out" 2>&1 || true
  note "first llama-simple -ngl 99 ${first} s (driver JIT of the PTX, if any), second $((SECONDS - t0)) s; cache $(du -sh "$CUDA_CACHE_PATH" 2>/dev/null | cut -f1)"
}

version_devices() {
  [ -f "$native/libllama.so" ] || skip "no libraries"
  { echo '```'; echo '$ jseek --version'; lim jseek --version; echo '$ jseek devices'; lim jseek devices; echo '```'; } >"$state/devices.txt" 2>&1 || true
  cat "$state/devices.txt"
  { echo "## jseek --version and jseek devices"; echo; cat "$state/devices.txt"; echo; } | fragment
  # a device line, not the notice that CUDA is built but unavailable
  grep -q '^CUDA0 ' "$state/devices.txt" || { note "no CUDA device listed: $(grep -m1 'unavailable here' "$state/devices.txt" || true)"; [ "$dry" = yes ]; }
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

# The V2-Lite shape written by the generator, then quantized to Q4_K_M with our build's llama-quantize (as bench/run
# does), both at low priority in the background (big_start above).
big_chain() {
  nice -n 10 tiny-deepseek --shape "$big_shape" --out "$big_f16" &
  echo $! >"$state/big-gen.child"
  wait $! || { echo "the generator failed"; return 1; }
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
      echo "**DRY RUN on a machine without a GPU: the payload's libraries, CUDA module included, were unpacked and the"
      echo "checks below ran with them on the CPU (the module cannot start here: see cuda-libs and devices; -ngl 99 falls"
      echo "back to the CPU). These are not GPU numbers.**"
      echo
    fi
    echo "- Run: $(date -u +%Y-%m-%dT%H:%M:%SZ), $((SECONDS - start)) s of a ${budget} s budget"
    echo "- GPU: $(nvidia-smi --query-gpu=name,memory.total,driver_version,compute_cap --format=csv,noheader 2>/dev/null | head -1 || true)"
    echo "- Machine: $(nproc) cores, $(free -g | awk '/^Mem/ { print $2 " GiB RAM" }')"
    echo "- llama.cpp $(pprop llama.version): our CPU build ($(pprop native.entry)) and the prebuilt CUDA module $(pprop prebuilt.cuda | cut -d' ' -f1) (sha256 $(pprop module.sha256 | cut -c1-16)…); nothing compiled on this machine"
    echo "- jseek $(pprop jseek.commit), $(pprop java.version) (jlink)"
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
step cuda-libs 60 cuda_libs_step
# the steps after this one run with the folders it found (each step is a subshell: set here, in the parent)
[ -s "$state/ld-path" ] && export LD_LIBRARY_PATH="$(cat "$state/ld-path")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
step tiny-model 60 tiny_model
step big-model-start 10 big_start
if [ "$(tail -1 "$out/steps.tsv" | cut -f2)" = ok ] && [ ! -f "$big" ]; then
  # outlives its step on purpose: the tiny-model checks run meanwhile; big_model waits for it
  (set -e; big_chain) >"$logs/big-model-background.log" 2>&1 &
  echo $! >"$state/big-gen.pid"
fi
step devices 60 version_devices
step warm-up 150 warm_up
step parity 120 parity
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
