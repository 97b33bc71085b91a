#!/usr/bin/env bash
# One device call that measures `xtask bench-gpu` and the PyTorch anchor on the same GPU, then prints the
# ratios (ours / torch tokens/s). Machines and runs vary by up to 25% (the platform notes), so only a ratio
# from one call means anything.
#
# Prepare here, from the repository root (the GPU machine has no Rust toolchain and no network):
#
#   cargo build --release -p xtask --features cuda
#   mkdir -p gpu && cp target/release/xtask gpu/xtask && strip gpu/xtask && gzip -9f gpu/xtask
#   cp <platform notes>/anchors/torch_anchor.py gpu/torch_anchor.py   # the PyTorch + peft anchor script
#   grep -qxF 'gpu/' .git/info/exclude || echo 'gpu/' >> .git/info/exclude
#
# Stripped, xtask is about 71 MiB (polars and plotters come with it), over the 64 MiB a call carries;
# gzipped it is about 19 MiB, and this script unpacks gpu/xtask.gz (a plain gpu/xtask is used if present).
# `gpu/` must be ignored (hence .git/info/exclude) and passed in the device tool's `carry`, e.g.
#   run(command="bash tools/gpu_bench.sh", carry=["gpu"], timeout_s=600)
# Everything lands in $OUT: nvidia-smi.txt, ours-<shape>.json (+ .log), smi_mem_<shape>.csv (nvidia-smi
# memory.used samples during our run of that shape), torch.json (the anchor's stdout), torch_anchor.json
# (the anchor writes it into $OUT itself when it finishes), torch.log, ratios.txt.
#
# Our first run also does the numerical check (`--parity`): the transformers fixtures in f32 (bound 1e-3) and
# in bf16 (logits within 2e-2, or 1.5x transformers' own bf16 error where larger: 0.03-0.09 on these fixtures,
# see crates/model/tests/fixtures/bf16_baseline.json), recorded in ours-qwen2.5-0.5b.json under "parity". Weights are bf16 (DTYPE), the
# trained parameters f32, as the anchor's bf16 model with its f32 steering vector and LoRA.
#
# Each step has its own timeout, so one failure or overrun still leaves the others' output. The defaults
# fit one 600 s call; override with the environment variables below. Ours runs 0.5B, then the anchor, then
# 14B last (its bf16 weights are about 29.5 GB, drawn on the device).
set -u

GPU_DIR=${GPU_DIR:-gpu}
OUT=${OUT:-out}
SHAPES=${SHAPES:-"qwen2.5-0.5b qwen2.5-14b"}
T_OURS_SMALL=${T_OURS_SMALL:-120}   # seconds for our qwen2.5-0.5b run
T_OURS_BIG=${T_OURS_BIG:-240}       # seconds for our qwen2.5-14b run
T_TORCH=${T_TORCH:-190}             # seconds for the whole anchor (both shapes)
STEPS=${STEPS:-10}                  # the anchor times 10 steps after 3 warm-up steps
WARMUP=${WARMUP:-3}
BIG_STEPS=${BIG_STEPS:-5}           # fewer for 14B, to stay inside one call
BIG_WARMUP=${BIG_WARMUP:-2}
DTYPE=${DTYPE:-bf16}                # the weights' dtype (bf16 or f32)

mkdir -p "$OUT"
export OUT
XTASK="$GPU_DIR/xtask"
if [ ! -x "$XTASK" ] && [ -f "$GPU_DIR/xtask.gz" ]; then
  XTASK="${TMPDIR:-/tmp}/emlab-xtask"
  gunzip -c "$GPU_DIR/xtask.gz" > "$XTASK" && chmod +x "$XTASK"
fi
if [ ! -x "$XTASK" ] || [ ! -f "$GPU_DIR/torch_anchor.py" ]; then
  echo "gpu_bench.sh: $GPU_DIR/xtask(.gz) or $GPU_DIR/torch_anchor.py is missing; prepare $GPU_DIR/ (see the top of this script) and carry it" >&2
  exit 2
fi

nvidia-smi > "$OUT/nvidia-smi.txt" 2>&1
head -20 "$OUT/nvidia-smi.txt"

# Runs our benchmark for one shape while sampling the GPU's used memory every 200 ms.
ours() {
  local shape=$1 limit=$2 steps=$3 warmup=$4 extra=${5:-}
  nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 200 > "$OUT/smi_mem_$shape.csv" 2>/dev/null &
  local sampler=$!
  echo "== ours: $shape (limit ${limit}s, $steps steps after $warmup warm-up)"
  # shellcheck disable=SC2086  # extra is zero or one word
  timeout "$limit" "$XTASK" bench-gpu --device cuda --dtype "$DTYPE" --shapes "$shape" --steps "$steps" \
    --warmup "$warmup" $extra --out "$OUT/ours-$shape.json" > "$OUT/ours-$shape.log" 2>&1
  echo "exit status $?"
  kill "$sampler" 2>/dev/null
  wait "$sampler" 2>/dev/null
  tail -16 "$OUT/ours-$shape.log"
}

for shape in $SHAPES; do
  [ "$shape" = qwen2.5-0.5b ] && ours "$shape" "$T_OURS_SMALL" "$STEPS" "$WARMUP" --parity
done

echo "== torch anchor: $SHAPES (limit ${T_TORCH}s)"
# shellcheck disable=SC2086  # SHAPES is a list of words
timeout "$T_TORCH" python3 "$GPU_DIR/torch_anchor.py" $SHAPES > "$OUT/torch.json" 2> "$OUT/torch.log"
echo "exit status $?"
tail -3 "$OUT/torch.log"

for shape in $SHAPES; do
  [ "$shape" != qwen2.5-0.5b ] && ours "$shape" "$T_OURS_BIG" "$BIG_STEPS" "$BIG_WARMUP"
done

# The anchor's own file is complete when it finished; otherwise its stdout has the shapes it did finish.
torch_file="$OUT/torch.json"
[ -s "$OUT/torch_anchor.json" ] && torch_file="$OUT/torch_anchor.json"
python3 tools/bench_ratios.py "$OUT"/ours-*.json "$torch_file" > "$OUT/ratios.txt" 2>&1
cat "$OUT/ratios.txt"
