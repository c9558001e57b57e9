//! maxout.wgsl against the CPU reference and finite differences.

mod common;

use common::*;
use gan_wgpu::gpu::Tensor;
use gan_wgpu::ops::maxout::{backward, forward, reference};

#[test]
fn forward_and_backward_match_reference() {
    let Some(gpu) = gpu() else { return };
    let mut rng = rng(3);
    // Odd sizes, and the discriminators' real ones: 512 and 256 units × 3, 240 units × 5.
    for (rows, units, k) in [(1, 1, 1), (3, 7, 2), (64, 512, 3), (64, 256, 3), (100, 240, 5), (5, 3, 4)] {
        let mut z = random_vec(&mut rng, rows * units * k, -1.0, 1.0);
        if k > 1 {
            z[1] = z[0]; // a tie: the first piece wins
        }
        let dy = random_vec(&mut rng, rows * units, -1.0, 1.0);
        let (tz, ty, targ) = (
            upload(gpu, &[rows, units * k], &z),
            Tensor::zeros(gpu, &[rows, units]),
            Tensor::<u32>::zeros(gpu, &[rows, units]),
        );
        let (tdy, tdz) = (upload(gpu, &[rows, units], &dy), Tensor::zeros(gpu, &[rows, units * k]));
        let ops = [forward(gpu, &tz, &ty, &targ), backward(gpu, &tdy, &targ, &tdz)];
        gpu.run(|pass| ops.iter().for_each(|op| op.record(pass)));
        let (y, arg) = reference::forward(&z, k);
        let what = format!("{rows}×{units}×{k}");
        assert_eq!(download(gpu, &ty), y, "{what} units");
        assert_eq!(download(gpu, &targ), arg, "{what} argmax");
        assert_eq!(download(gpu, &tdz), reference::backward(&dy, &arg, k), "{what} backward");
    }
}

#[test]
fn backward_matches_finite_differences() {
    let mut rng = rng(4);
    let (units, k) = (20, 3);
    let z = random_vec(&mut rng, units * k, -1.0, 1.0);
    let r = random_vec(&mut rng, units, -1.0, 1.0);
    let (_, arg) = reference::forward(&z, k);
    let analytic = reference::backward(&r, &arg, k);
    let coords: Vec<usize> = (0..z.len()).collect();
    // A step far below the gaps between pieces, so no winner changes.
    let numeric = numeric_gradient(|z| dot(&r, &reference::forward(z, k).0), &z, &coords, 1e-4);
    assert_gradient("maxout", &analytic, &numeric, &coords, 1e-2);
}
