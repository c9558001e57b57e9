//! Assembling batches on the GPU (`shaders/batch.wgsl`).

use crate::gpu::{Access, Dispatch, ELEMENTWISE_WORKGROUP, Gpu, KernelSpec, Tensor, grid_1d};
use crate::ops::random::Clock;
use crate::shaders;

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    rows: u32,
    cols: u32,
    dst_row: u32,
    batches_per_epoch: u32,
}

/// Packs u8 pixels four to a u32, little-endian, as `gather` reads them.
pub fn pack_pixels(pixels: &[u8]) -> Vec<u32> {
    pixels.chunks(4).map(|c| c.iter().rev().fold(0u32, |word, &b| word << 8 | b as u32)).collect()
}

/// out[dst_row + r] = images[order[b·rows + r]] / 255 for r < rows, where b = clock mod
/// batches_per_epoch and rows = `rows`; each image has `cols` pixels.
pub fn gather(
    gpu: &Gpu,
    clock: &Clock,
    images: &Tensor<u32>,
    order: &Tensor<u32>,
    rows: usize,
    dst_row: usize,
    out: &Tensor,
) -> Dispatch {
    gather_rows(gpu, "gather", clock, images, order, rows, dst_row, out)
}

/// out[r] = one_hot(labels[order[b·rows + r]]) for the same batch b as [`gather`]; out has a
/// column per class.
pub fn gather_one_hot(
    gpu: &Gpu,
    clock: &Clock,
    labels: &Tensor<u32>,
    order: &Tensor<u32>,
    rows: usize,
    out: &Tensor,
) -> Dispatch {
    gather_rows(gpu, "gather_one_hot", clock, labels, order, rows, 0, out)
}

/// The batch `entry` of batch.wgsl copies: `rows` rows of `out`, from `dst_row` on, picked by `order`.
#[allow(clippy::too_many_arguments)]
fn gather_rows(
    gpu: &Gpu,
    entry: &'static str,
    clock: &Clock,
    source: &Tensor<u32>,
    order: &Tensor<u32>,
    rows: usize,
    dst_row: usize,
    out: &Tensor,
) -> Dispatch {
    let cols = out.shape()[1];
    let batches_per_epoch = order.len() / rows;
    assert!(batches_per_epoch > 0, "an epoch of {} images has no batch of {rows}", order.len());
    assert!(dst_row + rows <= out.shape()[0], "{entry}: rows {dst_row}..{} outside {:?}", dst_row + rows, out.shape());
    let params = Params {
        rows: rows as u32,
        cols: cols as u32,
        dst_row: dst_row as u32,
        batches_per_epoch: batches_per_epoch as u32,
    };
    let spec = KernelSpec::new(&shaders::BATCH, entry, &[Access::Read, Access::Read, Access::Read, Access::ReadWrite]);
    let buffers = [clock.0.buffer(), source.buffer(), order.buffer(), out.buffer()];
    gpu.dispatch(&spec, &params, &buffers, grid_1d(rows * cols, ELEMENTWISE_WORKGROUP))
}

/// dst[dst_row..dst_row + src rows] = src.
pub fn copy_rows(gpu: &Gpu, src: &Tensor, dst: &Tensor, dst_row: usize) -> Dispatch {
    let (rows, cols) = (src.shape()[0], src.shape()[1]);
    assert!(
        dst.shape()[1] == cols && dst_row + rows <= dst.shape()[0],
        "copy_rows: {:?} into {:?} at row {dst_row}",
        src.shape(),
        dst.shape()
    );
    let params = Params { rows: rows as u32, cols: cols as u32, dst_row: dst_row as u32, batches_per_epoch: 1 };
    let spec = KernelSpec::new(&shaders::BATCH, "copy_rows", &[Access::Read, Access::ReadWrite]);
    gpu.dispatch(&spec, &params, &[src.buffer(), dst.buffer()], grid_1d(rows * cols, ELEMENTWISE_WORKGROUP))
}

pub mod reference {
    /// The rows of batch `step mod (order.len() / rows)`, as f32 in [0, 1].
    pub fn gather(pixels: &[u8], cols: usize, order: &[u32], rows: usize, step: u32) -> Vec<f32> {
        let batch = step as usize % (order.len() / rows);
        order[batch * rows..(batch + 1) * rows]
            .iter()
            .flat_map(|&image| &pixels[image as usize * cols..(image as usize + 1) * cols])
            .map(|&p| p as f32 * (1.0 / 255.0))
            .collect()
    }

    /// The one-hot labels of the same batch as [`gather`].
    pub fn gather_one_hot(labels: &[u32], classes: usize, order: &[u32], rows: usize, step: u32) -> Vec<f32> {
        let batch = step as usize % (order.len() / rows);
        order[batch * rows..(batch + 1) * rows]
            .iter()
            .flat_map(|&image| (0..classes).map(move |c| if labels[image as usize] as usize == c { 1.0 } else { 0.0 }))
            .collect()
    }
}
