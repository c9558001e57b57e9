#!/usr/bin/env bash
# Training throughput of gan-wgpu against the reference PyTorch script, on this machine.
#
#   bash benches/versus-pytorch.sh [--runs 3] [--preset seed] [--batch 64] [--steps 30]
#                                  [--torch-steps 300] [--python python3] [--device cpu]
#                                  [--bench-binary PATH]
#
# Runs `cargo bench --bench train` (our steps, data on the GPU) and ../shared/bench/seed_torch.py
# (PyTorch, `--maxout paper`: the same work as our `seed` preset) one after the other, --runs times,
# and prints every figure, the medians and the ratio ours / PyTorch. --python must have torch and
# numpy (`python3 -m venv v && v/bin/pip install torch numpy`); --device cuda compares on a GPU.
# --bench-binary runs a training bench built before (benches/gpu-machine.sh --prepare) instead of
# cargo, on a machine without Rust.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=3 preset=seed batch=64 steps=30 torch_steps=300 python=python3 device=cpu bench_binary=
script=../shared/bench/seed_torch.py data=../shared/data/mnist
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs=$2 ;;
        --preset) preset=$2 ;;
        --batch) batch=$2 ;;
        --steps) steps=$2 ;;
        --torch-steps) torch_steps=$2 ;;
        --python) python=$2 ;;
        --device) device=$2 ;;
        --script) script=$2 ;;
        --data) data=$2 ;;
        --bench-binary) bench_binary=$2 ;;
        *) echo "unknown option $1 (see the top of $0)" >&2; exit 2 ;;
    esac
    shift 2
done
[ -f "$script" ] || { echo "no reference script at $script (--script PATH)" >&2; exit 1; }
"$python" -c 'import torch, numpy' 2>/dev/null \
    || { echo "$python cannot import torch and numpy; pass --python with a venv that has them" >&2; exit 1; }

if [ -n "$bench_binary" ]; then
    [ -x "$bench_binary" ] || { echo "no training bench at $bench_binary (--bench-binary PATH)" >&2; exit 1; }
    bench() { "$bench_binary" "$@"; }
else
    cargo bench --bench train --no-run --quiet
    bench() { cargo bench --quiet --bench train -- "$@"; }
fi
ours=() theirs=()
for run in $(seq "$runs"); do
    out=$(bench --preset "$preset" --batch "$batch" --steps "$steps" --warmup 3)
    [ "$run" = 1 ] && echo "$out" | sed -n '1,2p'
    ours+=("$(echo "$out" | sed -n 's/^samples\/s: //p')")
    json=$("$python" "$script" --data "$data" --steps "$torch_steps" --maxout paper --batch "$batch" --device "$device")
    theirs+=("$(echo "$json" | "$python" -c 'import json, sys; print(round(json.load(sys.stdin)["samples_per_s"], 1))')")
    echo "run $run: gan-wgpu ${ours[-1]} samples/s, PyTorch ($device) ${theirs[-1]} samples/s"
done
"$python" - "${ours[*]}" "${theirs[*]}" <<'PY'
import statistics, sys
ours, theirs = ([float(v) for v in arg.split()] for arg in sys.argv[1:])
a, b = statistics.median(ours), statistics.median(theirs)
print(f"median: gan-wgpu {a:.1f} samples/s, PyTorch {b:.1f} samples/s, ratio ours/PyTorch {a / b:.3f}")
PY
