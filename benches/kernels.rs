//! Per-kernel timings at the model's shapes: `cargo bench --bench kernels [-- FILTER]`.
//! Each kernel is recorded REPS times into one submission, after a warm-up, so the figure is
//! GPU time per dispatch (plus the adapter's per-dispatch overhead), not submission latency.

use std::time::Instant;

use gan_wgpu::gpu::{Dispatch, Gpu, GpuOptions, Tensor};
use gan_wgpu::ops::activation::Activation;
use gan_wgpu::ops::adam::{self, AdamHyper};
use gan_wgpu::ops::matmul::{Layout, SgdUpdate, VARIANTS, matmul_with, weight_gradient_sgd_with};
use gan_wgpu::ops::maxout::UnitDropout;
use gan_wgpu::ops::random::{Clock, Stream};
use gan_wgpu::ops::sgd::{self, SgdHyper};
use gan_wgpu::ops::{batchnorm, bce, dropout, maxout, random, reduce};

const REPS: usize = 20;

fn time(gpu: &Gpu, op: &Dispatch) -> f64 {
    gpu.seconds_per_dispatch(op, 1);
    gpu.seconds_per_dispatch(op, REPS)
}

/// Prints one row: time per dispatch, and GFLOP/s or GB/s of the work it does. The dispatch is
/// built only for selected rows, so that a filter skips their compiles too.
fn row(gpu: &Gpu, name: &str, op: impl FnOnce() -> Dispatch, flops: f64, bytes: f64) {
    if !selected(name) {
        return;
    }
    let started = Instant::now();
    let op = op();
    let build = started.elapsed().as_secs_f64();
    let t = time(gpu, &op);
    let rate = if flops > 0.0 {
        format!("{:8.2} GFLOP/s", flops / t / 1e9)
    } else {
        format!("{:8.2} GB/s   ", bytes / t / 1e9)
    };
    println!("{name:<56} {:>10.1} µs  {rate}  {:>8.1} ms", t * 1e6, build * 1e3);
}

/// `cargo bench --bench kernels -- matmul` runs only the rows whose name contains "matmul".
fn selected(name: &str) -> bool {
    std::env::args().skip(1).filter(|a| !a.starts_with("--")).all(|filter| name.contains(&filter))
}

fn filled(gpu: &Gpu, shape: &[usize]) -> Tensor {
    let n: usize = shape.iter().product();
    Tensor::from_slice(gpu, shape, &(0..n).map(|i| ((i * 7919) % 1000) as f32 / 1000.0).collect::<Vec<_>>())
}

fn main() {
    let gpu = Gpu::new_blocking().unwrap_or_else(|e| panic!("{e}"));
    println!("adapter: {}\n", gpu.adapter);
    // "build": creating the dispatch, which compiles its pipeline the first time one is needed.
    println!("{:<56} {:>13}  {:>15}  {:>11}", "kernel", "time", "rate", "build");

    // Matmuls of the seed preset (batch 64) and the paper preset (batch 100), each in the three layouts.
    for (m, k, n, what) in [
        (64, 100, 256, "G 100→256"),
        (64, 256, 512, "G 256→512"),
        (64, 512, 784, "G 512→784"),
        (64, 784, 1536, "D 784→512·3"),
        (64, 512, 768, "D 512→256·3"),
        (100, 784, 1200, "D 784→240·5 (paper)"),
        (100, 1200, 1200, "G 1200→1200 (paper)"),
        (128, 784, 512, "128×784×512 (scale reference)"),
    ] {
        let flops = 2.0 * (m * n * k) as f64;
        let (x, w, b, y) =
            (filled(&gpu, &[m, k]), filled(&gpu, &[k, n]), filled(&gpu, &[n]), Tensor::zeros(&gpu, &[m, n]));
        let (dx, dw) = (Tensor::zeros(&gpu, &[m, k]), Tensor::zeros(&gpu, &[k, n]));
        // The weight's SGD update, apart (to add to Xᵀ·dY) and in the weight gradient's epilogue.
        let hyper = SgdHyper { lr: 0.1, momentum: 0.5, weight_decay: 0.0, lr_decay: 1.0, lr_min: 0.0 };
        let hyper = Tensor::from_slice(&gpu, &[1], &[hyper]);
        let velocity = Tensor::zeros(&gpu, &[k, n]);
        let sgd = SgdUpdate { hyper: &hyper, param: &w, velocity: &velocity };
        // Read: the weight, its gradient and velocity; written: the weight and its velocity.
        let bytes = (5 * k * n * 4) as f64;
        row(&gpu, &format!("sgd update {what} {k}×{n}"), || sgd::update(&gpu, &hyper, &w, &dw, &velocity), 0.0, bytes);
        for variant in VARIANTS {
            let name = variant.name();
            let plain = || matmul_with(&gpu, variant, Layout::Plain, &x, &w, Some(&b), Activation::Relu, &y);
            row(&gpu, &format!("matmul {name} {what} X·W+b, ReLU"), plain, flops, 0.0);
            let input_gradient =
                || matmul_with(&gpu, variant, Layout::TransposeB, &y, &w, None, Activation::Identity, &dx);
            row(&gpu, &format!("matmul {name} {what} dY·Wᵀ"), input_gradient, flops, 0.0);
            let weight_gradient =
                || matmul_with(&gpu, variant, Layout::TransposeA, &x, &y, None, Activation::Identity, &dw);
            row(&gpu, &format!("matmul {name} {what} Xᵀ·dY"), weight_gradient, flops, 0.0);
            let with_update = || weight_gradient_sgd_with(&gpu, variant, &x, &y, &dw, sgd);
            row(&gpu, &format!("matmul {name} {what} Xᵀ·dY + SGD update"), with_update, flops, 0.0);
        }
    }

    // The element-wise kernels and the updates in place with each way of reading their inputs (see
    // gpu::kernel::ELEMENTWISE and UPDATES).
    for reads in ["texels", "storage"] {
        let forced = [("elementwise", reads), ("updates", reads)].into_iter().collect();
        let options = GpuOptions { kernels: forced, ..GpuOptions::from_env().unwrap_or_else(|e| panic!("{e}")) };
        let device = Gpu::open_blocking(options).unwrap_or_else(|e| panic!("{e}"));
        elementwise(&device, reads);
    }
}

/// Rows for the kernels other than matmul, their names ending in `[reads]`.
fn elementwise(gpu: &Gpu, reads: &str) {
    let named = |name: &str| format!("{name} [{reads}]");
    let f32s = |n: usize| (n * 4) as f64;
    let (rows, units, k) = (64, 512, 3);
    let (z, u, arg) = (
        filled(gpu, &[rows, units * k]),
        Tensor::zeros(gpu, &[rows, units]),
        Tensor::<u32>::zeros(gpu, &[rows, units]),
    );
    row(
        gpu,
        &named("maxout forward 64×512×3"),
        || maxout::forward(gpu, &z, &u, &arg),
        0.0,
        f32s(rows * units * (k + 2)),
    );
    row(
        gpu,
        &named("maxout backward 64×512×3"),
        || maxout::backward(gpu, &u, &arg, &z),
        0.0,
        f32s(rows * units * (k + 2)),
    );

    // The paper's D layer, its maxout and dropout as two kernels each way and as one (maxout_dropout).
    let (rows, units, k) = (100, 240, 5);
    let (z, u, arg, dropped) = (
        filled(gpu, &[rows, units * k]),
        Tensor::zeros(gpu, &[rows, units]),
        Tensor::<u32>::zeros(gpu, &[rows, units]),
        Tensor::zeros(gpu, &[rows, units]),
    );
    let (clock, unit_dropout) =
        (Clock::new(gpu, 0), UnitDropout { stream: Stream { seed: 0, id: 0 }, keep: 0.5, offset: 0 });
    let UnitDropout { stream, keep, offset } = unit_dropout;
    let moved = f32s(rows * units * (k + 2));
    row(gpu, &named("maxout forward 100×240×5"), || maxout::forward(gpu, &z, &u, &arg), 0.0, moved);
    row(
        gpu,
        &named("dropout 100×240"),
        || dropout::apply(gpu, &clock, stream, keep, offset, &u, &dropped),
        0.0,
        f32s(2 * rows * units),
    );
    row(
        gpu,
        &named("maxout+dropout forward 100×240×5, one kernel"),
        || maxout::forward_dropout(gpu, &clock, unit_dropout, &z, &u, &arg, &dropped),
        0.0,
        moved,
    );
    row(gpu, &named("maxout backward 100×240×5"), || maxout::backward(gpu, &u, &arg, &z), 0.0, moved);
    row(
        gpu,
        &named("dropout+maxout backward 100×240×5, one kernel"),
        || maxout::backward_dropout(gpu, &clock, unit_dropout, &dropped, &arg, &u, &z),
        0.0,
        moved,
    );

    let n = 64 * 784;
    let (x, y, dy) = (filled(gpu, &[n]), Tensor::zeros(gpu, &[n]), filled(gpu, &[n]));
    for act in [Activation::Relu, Activation::Sigmoid, Activation::Tanh] {
        row(
            gpu,
            &named(&format!("activation {act:?} forward 64×784")),
            || gan_wgpu::ops::activation::forward(gpu, act, &x, &y),
            0.0,
            f32s(2 * n),
        );
        row(
            gpu,
            &named(&format!("activation {act:?} backward 64×784")),
            || gan_wgpu::ops::activation::backward(gpu, act, &x, &dy, &y),
            0.0,
            f32s(3 * n),
        );
    }
    let clock = Clock::new(gpu, 0);
    let stream = Stream { seed: 0, id: 0 };
    row(gpu, &named("dropout 64×784"), || dropout::apply(gpu, &clock, stream, 0.8, 0, &x, &y), 0.0, f32s(2 * n));
    row(
        gpu,
        &named("random normal 64×100"),
        || random::normal(gpu, &clock, stream, 0.0, 1.0, &Tensor::zeros(gpu, &[64, 100])),
        0.0,
        f32s(6400),
    );
    row(gpu, &named("random uniform 64×784"), || random::uniform(gpu, &clock, stream, 0.0, 1.0, &y), 0.0, f32s(n));

    let (rows, features) = (64, 512);
    let shape = [rows, features];
    let (bx, g, beta, by) =
        (filled(gpu, &shape), filled(gpu, &[features]), filled(gpu, &[features]), Tensor::zeros(gpu, &shape));
    let (stats, running, dg, db) = (
        Tensor::zeros(gpu, &[2 * features]),
        filled(gpu, &[2 * features]),
        Tensor::zeros(gpu, &[features]),
        Tensor::zeros(gpu, &[features]),
    );
    row(
        gpu,
        &named("batchnorm forward (train) 64×512"),
        || batchnorm::forward_train(gpu, &bx, &g, &beta, &by, &stats, &running),
        0.0,
        f32s(4 * rows * features),
    );
    let bdx = Tensor::zeros(gpu, &shape);
    row(
        gpu,
        &named("batchnorm backward 64×512"),
        || batchnorm::backward(gpu, &bx, &g, &stats, &by, &bdx, &dg, &db),
        0.0,
        f32s(5 * rows * features),
    );
    row(
        gpu,
        &named("column sums 64×784"),
        || reduce::column_sums(gpu, &filled(gpu, &[64, 784]), &Tensor::zeros(gpu, &[784])),
        0.0,
        f32s(n),
    );

    let (p, t, grad, loss) =
        (filled(gpu, &[128]), filled(gpu, &[128]), Tensor::zeros(gpu, &[128]), Tensor::zeros(gpu, &[1]));
    row(gpu, &named("bce 128"), || bce::bce(gpu, &p, &t, &grad, &clock, &loss), 0.0, f32s(3 * 128));

    let params = 784 * 1536;
    let (w, gw, m, v) =
        (filled(gpu, &[params]), filled(gpu, &[params]), Tensor::zeros(gpu, &[params]), Tensor::zeros(gpu, &[params]));
    let sh = Tensor::from_slice(
        gpu,
        &[1],
        &[SgdHyper { lr: 1e-9, momentum: 0.9, weight_decay: 0.0, lr_decay: 1.0, lr_min: 0.0 }],
    );
    let ah = Tensor::from_slice(
        gpu,
        &[1],
        &[AdamHyper { lr: 1e-9, beta1: 0.5, beta2: 0.999, eps: 1e-8, weight_decay: 0.0, step: 1 }],
    );
    row(gpu, &named("sgd update 784×1536"), || sgd::update(gpu, &sh, &w, &gw, &m), 0.0, f32s(5 * params));
    row(gpu, &named("adam update 784×1536"), || adam::update(gpu, &ah, &w, &gw, &m, &v), 0.0, f32s(7 * params));
}
