//! random.wgsl and dropout.wgsl: the GPU draws exactly what the CPU reference draws, the draws
//! have the right statistics, and the clock moves them on.

mod common;

use common::*;
use gan_wgpu::gpu::Tensor;
use gan_wgpu::ops::random::{Clock, Stream, normal, uniform};
use gan_wgpu::ops::{dropout, random};
use gan_wgpu::rng::RngKey;

const N: usize = 100_003;

fn mean_var(v: &[f32]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().map(|&x| x as f64).sum::<f64>() / n;
    (mean, v.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / n)
}

#[test]
fn uniform_fill_equals_reference_exactly_and_is_uniform() {
    let Some(gpu) = gpu() else { return };
    let (clock, out) = (Clock::new(gpu, 42), Tensor::zeros(gpu, &[N]));
    let stream = Stream { seed: 7, id: 3 };
    let op = uniform(gpu, &clock, stream, 0.9, 1.0, &out);
    gpu.run(|pass| op.record(pass));
    let got = download(gpu, &out);
    let key = RngKey { seed: 7, stream: 3, step: 42 };
    assert_eq!(got, random::reference::uniform(key, N, 0.9, 1.0), "GPU and CPU uniform draws differ");
    assert!(got.iter().all(|&v| (0.9..1.0).contains(&v)), "uniform draw outside [0.9, 1)");
    let (mean, var) = mean_var(&got);
    // Uniform(0.9, 1): mean 0.95, variance 0.01/12; tolerances are several standard errors.
    assert!((mean - 0.95).abs() < 0.0005, "uniform mean {mean}");
    assert!((var - 0.01 / 12.0).abs() < 0.00002, "uniform variance {var}");
}

#[test]
fn normal_fill_matches_reference_and_is_normal() {
    let Some(gpu) = gpu() else { return };
    let (clock, out) = (Clock::new(gpu, 0), Tensor::zeros(gpu, &[N]));
    let op = normal(gpu, &clock, Stream { seed: 1, id: 0 }, 0.0, 1.0, &out);
    gpu.run(|pass| op.record(pass));
    let got = download(gpu, &out);
    // Same bits; log, sqrt and cos may differ from the CPU's in the last place.
    let want = random::reference::normal(RngKey { seed: 1, stream: 0, step: 0 }, N, 0.0, 1.0);
    assert_close("normal draw", &got, &want, 1e-5, 1e-5);
    let (mean, var) = mean_var(&got);
    assert!(mean.abs() < 0.015, "normal mean {mean}");
    assert!((var - 1.0).abs() < 0.02, "normal variance {var}");
    let beyond_two_sigma = got.iter().filter(|v| v.abs() > 2.0).count() as f64 / N as f64;
    assert!((beyond_two_sigma - 0.0455).abs() < 0.004, "share beyond 2σ: {beyond_two_sigma}");
}

#[test]
fn clock_advances_and_changes_the_draw() {
    let Some(gpu) = gpu() else { return };
    let (clock, first, second) = (Clock::new(gpu, 5), Tensor::zeros(gpu, &[1000]), Tensor::zeros(gpu, &[1000]));
    let stream = Stream { seed: 9, id: 1 };
    let ops = [
        uniform(gpu, &clock, stream, 0.0, 1.0, &first),
        clock.advance(gpu),
        uniform(gpu, &clock, stream, 0.0, 1.0, &second),
    ];
    gpu.run(|pass| ops.iter().for_each(|op| op.record(pass)));
    assert_eq!(download(gpu, &clock.0), [6]);
    assert_eq!(
        download(gpu, &second),
        random::reference::uniform(RngKey { seed: 9, stream: 1, step: 6 }, 1000, 0.0, 1.0)
    );
    assert_ne!(download(gpu, &first), download(gpu, &second), "a new step must draw new numbers");
}

#[test]
fn streams_are_independent() {
    let a = random::reference::uniform(RngKey { seed: 1, stream: 0, step: 0 }, N, 0.0, 1.0);
    let b = random::reference::uniform(RngKey { seed: 1, stream: 1, step: 0 }, N, 0.0, 1.0);
    let (ma, va) = mean_var(&a);
    let (mb, vb) = mean_var(&b);
    let cov = a.iter().zip(&b).map(|(&x, &y)| (x as f64 - ma) * (y as f64 - mb)).sum::<f64>() / N as f64;
    let corr = cov / (va * vb).sqrt();
    assert!(corr.abs() < 0.01, "streams 0 and 1 correlate: {corr}");
}

#[test]
fn dropout_equals_reference_exactly_and_keeps_the_right_share() {
    let Some(gpu) = gpu() else { return };
    let mut rng = rng(6);
    for keep in [0.5, 0.8] {
        let x = random_vec(&mut rng, N, 0.5, 1.5);
        let dy = random_vec(&mut rng, N, -1.0, 1.0);
        let clock = Clock::new(gpu, 3);
        let stream = Stream { seed: 11, id: 2 };
        let (tx, ty, tdy, tdx) =
            (upload(gpu, &[N], &x), Tensor::zeros(gpu, &[N]), upload(gpu, &[N], &dy), Tensor::zeros(gpu, &[N]));
        let ops = [
            dropout::apply(gpu, &clock, stream, keep, 0, &tx, &ty),
            dropout::apply(gpu, &clock, stream, keep, 0, &tdy, &tdx),
        ];
        gpu.run(|pass| ops.iter().for_each(|op| op.record(pass)));
        let key = RngKey { seed: 11, stream: 2, step: 3 };
        let y = download(gpu, &ty);
        assert_eq!(y, dropout::reference::apply(key, keep, 0, &x), "dropout forward, keep {keep}");
        let dx = download(gpu, &tdx);
        assert_eq!(dx, dropout::reference::apply(key, keep, 0, &dy), "dropout backward, keep {keep}");
        // Backward drops exactly where forward dropped (x is never 0 here).
        assert!(y.iter().zip(&dx).all(|(&y, &d)| (y == 0.0) == (d == 0.0)), "forward and backward masks differ");
        let kept = y.iter().filter(|&&v| v != 0.0).count() as f64 / N as f64;
        assert!((kept - keep as f64).abs() < 0.005, "kept {kept}, expected {keep}");
        // Inverted dropout keeps the expectation: E[y] = E[x] = 1.
        let (mean, _) = mean_var(&y);
        assert!((mean - 1.0).abs() < 0.01, "dropout output mean {mean}");
    }
}

#[test]
fn dropout_with_an_offset_drops_what_the_whole_batch_dropped_there() {
    // A pass over the last rows of a batch, offset by the rows before them, draws the batch's masks
    // for those rows: how G's update sees the fakes with the masks of D's own update.
    let Some(gpu) = gpu() else { return };
    let (rows, cols, from) = (10, 37, 6);
    let x = random_vec(&mut rng(8), rows * cols, 0.5, 1.5);
    let clock = Clock::new(gpu, 5);
    let stream = Stream { seed: 3, id: 7 };
    let tail = &x[from * cols..];
    let (tx, ty) = (upload(gpu, &[rows, cols], &x), Tensor::zeros(gpu, &[rows, cols]));
    let (ttail, tout) = (upload(gpu, &[rows - from, cols], tail), Tensor::zeros(gpu, &[rows - from, cols]));
    let offset = (from * cols) as u32;
    let ops = [
        dropout::apply(gpu, &clock, stream, 0.5, 0, &tx, &ty),
        dropout::apply(gpu, &clock, stream, 0.5, offset, &ttail, &tout),
    ];
    gpu.run(|pass| ops.iter().for_each(|op| op.record(pass)));
    let (whole, part) = (download(gpu, &ty), download(gpu, &tout));
    assert_eq!(part, whole[from * cols..], "the offset pass differs from the batch's rows {from}..");
    let key = RngKey { seed: 3, stream: 7, step: 5 };
    assert_eq!(part, dropout::reference::apply(key, 0.5, offset, tail), "offset dropout against the reference");
    assert_ne!(part, dropout::reference::apply(key, 0.5, 0, tail), "the offset changed nothing");
}

#[test]
fn dropout_backward_kernel_matches_finite_differences_of_the_forward_kernel() {
    // Both sides on the GPU: the backward pass (the same kernel on dL/dy) against central differences
    // of the forward kernel's output, so neither side is the CPU reference.
    let Some(gpu) = gpu() else { return };
    let clock = Clock::new(gpu, 2);
    let stream = Stream { seed: 4, id: 9 };
    let mut rng = rng(17);
    let n = 40;
    let x = random_vec(&mut rng, n, -1.0, 1.0);
    let r = random_vec(&mut rng, n, -1.0, 1.0);
    let on_gpu = |input: &[f32]| {
        let (tin, tout) = (upload(gpu, &[n], input), Tensor::zeros(gpu, &[n]));
        let op = dropout::apply(gpu, &clock, stream, 0.5, 0, &tin, &tout);
        gpu.run(|pass| op.record(pass));
        download(gpu, &tout)
    };
    let analytic = on_gpu(&r);
    let coords: Vec<usize> = (0..n).collect();
    let numeric = numeric_gradient(|x| dot(&r, &on_gpu(x)), &x, &coords, 1e-2);
    assert_gradient("dropout", &analytic, &numeric, &coords, 1e-3);
    assert!(analytic.contains(&0.0) && analytic.iter().any(|&g| g != 0.0), "some dropped, some kept");
}
