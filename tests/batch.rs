//! batch.wgsl: gathering training batches from packed u8 images, and copying rows.

mod common;

use common::*;
use gan_wgpu::gpu::Tensor;
use gan_wgpu::ops::batch::{copy_rows, gather, pack_pixels, reference};
use gan_wgpu::ops::random::Clock;
use rand::Rng;

#[test]
fn gather_follows_the_order_and_the_clock_exactly() {
    let Some(gpu) = gpu() else { return };
    let mut rng = rng(14);
    let (count, cols, rows) = (23, 12, 4);
    let pixels: Vec<u8> = (0..count * cols).map(|_| rng.random()).collect();
    let order: Vec<u32> = (0..count as u32).rev().collect();
    let images = Tensor::from_slice(gpu, &[pixels.len() / 4], &pack_pixels(&pixels));
    let t_order = Tensor::from_slice(gpu, &[count], &order);
    // 23 images make 5 batches of 4: step 7 takes batch 2; rows land after 3 rows of padding.
    let clock = Clock::new(gpu, 7);
    let out = Tensor::zeros(gpu, &[rows + 3, cols]);
    let op = gather(gpu, &clock, &images, &t_order, rows, 3, &out);
    gpu.run(|pass| op.record(pass));
    let got = download(gpu, &out);
    let want = reference::gather(&pixels, cols, &order, rows, 7);
    assert_eq!(&got[..3 * cols], vec![0.0; 3 * cols].as_slice(), "rows before the offset were written");
    assert_eq!(&got[3 * cols..], want.as_slice());
    // Batch 2 of the reversed order is images 14, 13, 12, 11.
    assert_eq!(
        want[..cols],
        pixels[14 * cols..15 * cols].iter().map(|&p| p as f32 * (1.0 / 255.0)).collect::<Vec<_>>()
    );
}

#[test]
fn copy_rows_places_a_matrix_at_an_offset() {
    let Some(gpu) = gpu() else { return };
    let src = upload(gpu, &[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let dst = upload(gpu, &[4, 3], &[9.0; 12]);
    let op = copy_rows(gpu, &src, &dst, 1);
    gpu.run(|pass| op.record(pass));
    assert_eq!(download(gpu, &dst), [9.0, 9.0, 9.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 9.0, 9.0, 9.0]);
}
