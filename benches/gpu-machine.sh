#!/usr/bin/env bash
# The performance issue's measurements on a machine with a real GPU, in one go, with binaries built
# elsewhere (such a machine may have no Rust and no network).
#
#   bash benches/gpu-machine.sh --prepare DIR        # here: build and gather what the run needs in DIR
#   bash benches/gpu-machine.sh --run DIR [--out OUT] [--python python3] [--runs 3]   # there
#
# --prepare builds the release binaries and the two benches, and puts them (stripped, xz-compressed)
# and the reference PyTorch script into DIR (about 12 MB; MNIST is the checkout's data/mnist). --run,
# on the GPU machine, prints and keeps in OUT (default: a new folder under /tmp; log.txt and
# kernels.json): the adapters; the kernel choices of a first default-preset run (`train --limit 2000
# --epochs 1`: the autotune's time on an empty tune cache and each candidate's time per product); the
# training bench for `seed` (batch 64) and the default preset (also with maxout and dropout forced
# fused and apart); `bench kernels` for matmul and for maxout and dropout at D's layer; and `seed`
# against the reference PyTorch script on the same GPU (`--device cuda`, where python has torch with
# CUDA), the ratio of the medians. A step that fails is reported and the others still run.
set -uo pipefail
cd "$(dirname "$0")/.."

mode= dir= out= python=python3 runs=3
BINARIES=(train gan-wgpu bench-train bench-kernels)
while [ $# -gt 0 ]; do
    case "$1" in
        --prepare | --run) mode=$1 dir=${2:?"$1 takes a folder"} ;;
        --out) out=$2 ;;
        --python) python=$2 ;;
        --runs) runs=$2 ;;
        *) echo "unknown option $1 (see the top of $0)" >&2; exit 2 ;;
    esac
    shift 2
done

prepare() {
    set -e
    local script=../shared/bench/seed_torch.py
    [ -f "$script" ] || { echo "no $script beside the checkout" >&2; exit 1; }
    cargo build --release --quiet --bin train --bin gan-wgpu
    # The bench executables' paths, from cargo's own report of what it built.
    local benches
    benches=$(cargo bench --no-run --quiet --message-format=json --bench train --bench kernels \
        | python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and "bench" in m["target"]["kind"]:
        print(m["target"]["name"], m["executable"])')
    mkdir -p "$dir"
    install target/release/train target/release/gan-wgpu "$dir/"
    while read -r name path; do install "$path" "$dir/bench-$name"; done <<<"$benches"
    for binary in "${BINARIES[@]}"; do
        [ -x "$dir/$binary" ] || { echo "cargo built no $binary" >&2; exit 1; }
        # Stripped and compressed: a quarter of their size, as the copy to such a machine may be limited.
        strip "$dir/$binary"
        xz -f -T0 "$dir/$binary"
    done
    install -m 644 "$script" "$dir/"
    du -sh "$dir"
}

# Runs a step and says how long it took; a failure is noted and the run goes on.
step() {
    local name=$1 started
    shift
    echo "== $name: $*"
    started=$(date +%s%N)
    "$@" || echo "!! $name failed (exit $?)"
    echo "-- $name: $(( ($(date +%s%N) - started) / 1000000 )) ms"
}

run() {
    out=${out:-$(mktemp -d /tmp/gpu-machine.XXXXXX)}
    mkdir -p "$out"
    # OUT keeps only the log and the choices; the binaries and the first run's files go elsewhere.
    local bin work
    bin=$(mktemp -d /tmp/gpu-machine-bin.XXXXXX) work=$(mktemp -d /tmp/gpu-machine-run.XXXXXX)
    for binary in "${BINARIES[@]}"; do
        [ -f "$dir/$binary.xz" ] || { echo "no $dir/$binary.xz: run --prepare $dir first" >&2; exit 1; }
        xz -dc "$dir/$binary.xz" >"$bin/$binary" && chmod +x "$bin/$binary" || exit 1
    done
    # MNIST as vendored in this checkout; the kernel choices measured afresh into OUT.
    export MNIST_DIR=$PWD/data/mnist GAN_WGPU_TUNE_CACHE=$out/kernels.json
    rm -f "$GAN_WGPU_TUNE_CACHE"
    {
        date -u
        command -v nvidia-smi >/dev/null && step "GPU" nvidia-smi -L
        step "adapters" "$bin/gan-wgpu" adapters
        step "first run, tune cache empty" "$bin/train" --limit 2000 --epochs 1 --eval-every 1 --quiet --out "$work/first-run"
        step "kernel choices" "$bin/gan-wgpu" adapters
        step "bench train, seed" "$bin/bench-train" --preset seed --batch 64 --steps 100 --warmup 5
        step "bench train, default preset" "$bin/bench-train" --preset paper-code-ema --steps 100 --warmup 5
        step "bench kernels, matmul" "$bin/bench-kernels" matmul
        for fusion in fused separate; do
            step "bench train, default preset, maxout-dropout=$fusion" env GAN_WGPU_KERNELS=maxout-dropout=$fusion \
                "$bin/bench-train" --preset paper-code-ema --steps 100 --warmup 5
        done
        step "bench kernels, maxout and dropout at D's layer" "$bin/bench-kernels" "100×240"
        if "$python" -c 'import torch, numpy, sys; sys.exit(not torch.cuda.is_available())' 2>/dev/null; then
            step "seed against PyTorch on CUDA" bash benches/versus-pytorch.sh --runs "$runs" --steps 100 \
                --torch-steps 1000 --python "$python" --device cuda --script "$dir/seed_torch.py" \
                --data "$MNIST_DIR" --bench-binary "$bin/bench-train"
        else
            echo "!! $python has no torch with CUDA: no PyTorch figures"
        fi
        date -u
    } 2>&1 | tee "$out/log.txt"
    rm -rf "$bin" "$work"
    echo "log and kernels.json in $out"
}

case "$mode" in
    --prepare) prepare ;;
    --run) run ;;
    *) echo "usage: $0 --prepare DIR | --run DIR [--out OUT] [--python python3] [--runs 3]" >&2; exit 2 ;;
esac
