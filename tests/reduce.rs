//! reduce.wgsl (column sums) against the CPU reference.

mod common;

use common::*;
use gan_wgpu::gpu::Tensor;
use gan_wgpu::ops::reduce::{column_sums, reference};

#[test]
fn column_sums_match_reference() {
    let Some(gpu) = gpu() else { return };
    let mut rng = rng(5);
    for (rows, cols) in [(1, 1), (3, 300), (64, 256), (100, 1200), (128, 1)] {
        let x = random_vec(&mut rng, rows * cols, -1.0, 1.0);
        let (tx, ts) = (upload(gpu, &[rows, cols], &x), Tensor::zeros(gpu, &[cols]));
        let op = column_sums(gpu, &tx, &ts);
        gpu.run(|pass| op.record(pass));
        assert_close(&format!("{rows}×{cols}"), &download(gpu, &ts), &reference::column_sums(&x, cols), 1e-5, 1e-5);
    }
}
