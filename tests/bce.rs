//! bce.wgsl against the CPU reference, PyTorch's clamping, and finite differences.

mod common;

use common::*;
use gan_wgpu::gpu::Tensor;
use gan_wgpu::ops::bce::{bce, reference};
use gan_wgpu::ops::random::Clock;

fn gpu_bce(prob: &[f32], target: &[f32]) -> Option<(f32, Vec<f32>)> {
    let gpu = gpu()?;
    let n = prob.len();
    let (tp, tt, tg, tl) =
        (upload(gpu, &[n], prob), upload(gpu, &[n], target), Tensor::zeros(gpu, &[n]), Tensor::zeros(gpu, &[1]));
    let op = bce(gpu, &tp, &tt, &tg, &Clock::new(gpu, 0), &tl);
    gpu.run(|pass| op.record(pass));
    Some((download(gpu, &tl)[0], download(gpu, &tg)))
}

#[test]
fn loss_and_gradient_match_reference() {
    let mut rng = rng(10);
    for n in [1, 64, 100, 128, 257, 1000] {
        let prob = random_vec(&mut rng, n, 0.01, 0.99);
        // Soft labels in [0.9, 1] for the first half, zeros after: what D is trained on.
        let target: Vec<f32> = (0..n).map(|i| if i < n / 2 { 0.9 + 0.1 * prob[n - 1 - i] } else { 0.0 }).collect();
        let Some((loss, grad)) = gpu_bce(&prob, &target) else {
            return;
        };
        let (want_loss, want_grad) = reference::bce(&prob, &target);
        assert_close(&format!("loss n={n}"), &[loss], &[want_loss], 1e-5, 1e-5);
        assert_close(&format!("grad n={n}"), &grad, &want_grad, 1e-6, 1e-5);
    }
}

#[test]
fn saturated_probabilities_are_clamped_like_pytorch() {
    // log(0) is clamped to -100: BCE(0, 1) = BCE(1, 0) = 100, and nothing is NaN or infinite.
    let prob = [0.0, 1.0, 0.0, 1.0];
    let target = [1.0, 0.0, 0.0, 1.0];
    let (want_loss, want_grad) = reference::bce(&prob, &target);
    assert_eq!(want_loss, 50.0);
    let Some((loss, grad)) = gpu_bce(&prob, &target) else {
        return;
    };
    assert_eq!(loss, 50.0);
    assert!(grad.iter().all(|g| g.is_finite()), "gradient {grad:?}");
    assert_close("saturated grad", &grad, &want_grad, 0.0, 1e-6);
}

#[test]
fn gradient_matches_finite_differences() {
    let mut rng = rng(11);
    let prob = random_vec(&mut rng, 20, 0.05, 0.95);
    let target = random_vec(&mut rng, 20, 0.0, 1.0);
    let (_, grad) = reference::bce(&prob, &target);
    let coords: Vec<usize> = (0..20).collect();
    let numeric = numeric_gradient(|p| reference::bce(p, &target).0 as f64, &prob, &coords, 1e-3);
    assert_gradient("bce", &grad, &numeric, &coords, 5e-3);
}

#[test]
fn losses_land_in_the_clock_slot() {
    let Some(gpu) = gpu() else { return };
    let (prob, target) = ([0.25f32, 0.75], [1.0f32, 0.0]);
    let (tp, tt, tg, history) =
        (upload(gpu, &[2], &prob), upload(gpu, &[2], &target), Tensor::zeros(gpu, &[2]), Tensor::zeros(gpu, &[4]));
    let clock = Clock::new(gpu, 5);
    let ops =
        [bce(gpu, &tp, &tt, &tg, &clock, &history), clock.advance(gpu), bce(gpu, &tp, &tt, &tg, &clock, &history)];
    gpu.run(|pass| ops.iter().for_each(|op| op.record(pass)));
    // -ln(0.25) averaged over both: steps 5 and 6 write slots 1 and 2 of 4.
    let loss = -(0.25f32).ln();
    assert_close("history", &download(gpu, &history), &[0.0, loss, loss, 0.0], 1e-6, 1e-6);
}

#[test]
fn probabilities_outside_zero_one_make_the_loss_nan() {
    for bad in [f32::NAN, 1.5, -0.25] {
        let prob = [0.5, bad, 0.25];
        let target = [1.0, 0.0, 1.0];
        assert!(reference::bce(&prob, &target).0.is_nan());
        let Some((loss, _)) = gpu_bce(&prob, &target) else { return };
        assert!(loss.is_nan(), "prob {bad}: loss {loss}");
    }
}
