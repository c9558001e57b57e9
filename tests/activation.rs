//! activation.wgsl against the CPU reference and finite differences.

mod common;

use common::*;
use gan_wgpu::gpu::Tensor;
use gan_wgpu::ops::activation::{Activation, backward, forward, reference};

const ALL: [Activation; 5] = [
    Activation::Identity,
    Activation::Relu,
    Activation::LeakyRelu { slope: 0.2 },
    Activation::Sigmoid,
    Activation::Tanh,
];

#[test]
fn forward_and_backward_match_reference() {
    let Some(gpu) = gpu() else { return };
    let mut rng = rng(1);
    for n in [1, 3, 255, 257, 64 * 784] {
        // Include large magnitudes: sigmoid and tanh must saturate, not overflow.
        let mut x = random_vec(&mut rng, n, -4.0, 4.0);
        x[0] = -200.0;
        let dy = random_vec(&mut rng, n, -1.0, 1.0);
        for act in ALL {
            let (tx, ty, tdy, tdx) =
                (upload(gpu, &[n], &x), Tensor::zeros(gpu, &[n]), upload(gpu, &[n], &dy), Tensor::zeros(gpu, &[n]));
            let ops = [forward(gpu, act, &tx, &ty), backward(gpu, act, &ty, &tdy, &tdx)];
            gpu.run(|pass| ops.iter().for_each(|op| op.record(pass)));
            let y = reference::forward(act, &x);
            assert_close(&format!("{act:?} forward, n={n}"), &download(gpu, &ty), &y, 1e-6, 1e-5);
            let dx = reference::backward(act, &y, &dy);
            assert_close(&format!("{act:?} backward, n={n}"), &download(gpu, &tdx), &dx, 1e-6, 1e-5);
        }
    }
}

#[test]
fn backward_matches_finite_differences() {
    let mut rng = rng(2);
    // Keep away from ReLU's kink, where the derivative is not defined.
    let x: Vec<f32> =
        random_vec(&mut rng, 50, -3.0, 3.0).into_iter().map(|v| if v.abs() < 0.05 { 0.5 } else { v }).collect();
    let r = random_vec(&mut rng, 50, -1.0, 1.0);
    let coords: Vec<usize> = (0..50).collect();
    for act in ALL {
        let analytic = reference::backward(act, &reference::forward(act, &x), &r);
        let numeric = numeric_gradient(|x| dot(&r, &reference::forward(act, x)), &x, &coords, 1e-2);
        assert_gradient(&format!("{act:?}"), &analytic, &numeric, &coords, 2e-3);
    }
}

/// Kernels read their inputs from texel copies that one command buffer shares between dispatches:
/// a copy must be remade once a dispatch has written its buffer. y = σ(x), then x = σ(y), then
/// z = σ(x) in one submission: z is σ(σ(σ(x₀))), not σ(x₀) from a stale copy of x.
#[test]
fn texel_copies_follow_writes_within_a_submission() {
    let Some(gpu) = gpu() else { return };
    let n = 5000;
    let x0 = random_vec(&mut rng(7), n, -3.0, 3.0);
    let (x, y, z) = (upload(gpu, &[n], &x0), Tensor::zeros(gpu, &[n]), Tensor::zeros(gpu, &[n]));
    let act = Activation::Sigmoid;
    let ops = [forward(gpu, act, &x, &y), forward(gpu, act, &y, &x), forward(gpu, act, &x, &z)];
    gpu.run(|pass| ops.iter().for_each(|op| op.record(pass)));
    let expected = reference::forward(act, &reference::forward(act, &reference::forward(act, &x0)));
    assert_close("σ(σ(σ(x)))", &download(gpu, &z), &expected, 1e-6, 1e-5);
}
