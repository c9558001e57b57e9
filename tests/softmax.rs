//! softmax.wgsl against the CPU reference and finite differences.

mod common;

use common::*;
use gan_wgpu::gpu::Tensor;
use gan_wgpu::ops::random::Clock;
use gan_wgpu::ops::softmax::{cross_entropy, reference, softmax};

/// One-hot rows for pseudo-random labels.
fn one_hot(rows: usize, classes: usize) -> Vec<f32> {
    (0..rows * classes).map(|i| if i % classes == (i / classes * 7 + 3) % classes { 1.0 } else { 0.0 }).collect()
}

#[test]
fn softmax_matches_reference() {
    let mut rng = rng(20);
    for (rows, classes) in [(1, 10), (7, 3), (100, 10), (300, 10), (5, 1)] {
        let Some(gpu) = gpu() else { return };
        let logits = random_vec(&mut rng, rows * classes, -8.0, 8.0);
        let (tl, tp) = (upload(gpu, &[rows, classes], &logits), Tensor::zeros(gpu, &[rows, classes]));
        let op = softmax(gpu, &tl, &tp);
        gpu.run(|pass| op.record(pass));
        let got = download(gpu, &tp);
        assert_close(&format!("softmax {rows}×{classes}"), &got, &reference::softmax(&logits, classes), 1e-6, 1e-5);
        for row in got.chunks(classes) {
            assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-5, "a row sums to {}", row.iter().sum::<f32>());
        }
    }
}

fn gpu_cross_entropy(logits: &[f32], targets: &[f32], classes: usize) -> Option<(f32, Vec<f32>)> {
    let gpu = gpu()?;
    let shape = [logits.len() / classes, classes];
    let (tl, tt, tg, losses) = (
        upload(gpu, &shape, logits),
        upload(gpu, &shape, targets),
        Tensor::zeros(gpu, &shape),
        Tensor::zeros(gpu, &[4]),
    );
    // Step 6 writes slot 6 mod 4 = 2.
    let op = cross_entropy(gpu, &tl, &tt, &tg, &Clock::new(gpu, 6), &losses);
    gpu.run(|pass| op.record(pass));
    let history = download(gpu, &losses);
    assert_eq!([history[0], history[1], history[3]], [0.0; 3], "only slot 2 is written");
    Some((history[2], download(gpu, &tg)))
}

#[test]
fn cross_entropy_matches_reference() {
    let mut rng = rng(21);
    for (rows, classes) in [(1, 10), (64, 10), (100, 10), (257, 10), (33, 5)] {
        let logits = random_vec(&mut rng, rows * classes, -6.0, 6.0);
        let targets = one_hot(rows, classes);
        let Some((loss, grad)) = gpu_cross_entropy(&logits, &targets, classes) else { return };
        let (want_loss, want_grad) = reference::cross_entropy(&logits, &targets, classes);
        assert_close(&format!("loss {rows}×{classes}"), &[loss], &[want_loss], 1e-5, 1e-5);
        assert_close(&format!("grad {rows}×{classes}"), &grad, &want_grad, 1e-7, 1e-4);
    }
}

#[test]
fn large_logits_do_not_overflow() {
    // exp(1000) overflows f32; shifting by the row's maximum keeps everything finite.
    let logits = [1000.0, 990.0, -1000.0, 0.0, 500.0, 1000.0];
    let targets = [1.0, 0.0, 0.0, 0.0, 0.0, 1.0];
    let Some((loss, grad)) = gpu_cross_entropy(&logits, &targets, 3) else { return };
    let (want_loss, want_grad) = reference::cross_entropy(&logits, &targets, 3);
    assert!(loss.is_finite() && grad.iter().all(|g| g.is_finite()), "loss {loss}, grad {grad:?}");
    assert_close("large loss", &[loss], &[want_loss], 1e-4, 1e-5);
    assert_close("large grad", &grad, &want_grad, 1e-6, 1e-5);
}

#[test]
fn gradient_matches_finite_differences() {
    let mut rng = rng(22);
    let (rows, classes) = (6, 10);
    let logits = random_vec(&mut rng, rows * classes, -3.0, 3.0);
    let targets = one_hot(rows, classes);
    let Some((_, grad)) = gpu_cross_entropy(&logits, &targets, classes) else { return };
    let loss = |x: &[f32]| reference::cross_entropy(x, &targets, classes).0 as f64;
    let coords = sample_coords(&mut rng, rows * classes, 12);
    assert_gradient("cross-entropy", &grad, &numeric_gradient(loss, &logits, &coords, 1e-2), &coords, 2e-3);
}
