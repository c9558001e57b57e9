//! Inverted dropout with masks drawn from the counter-based RNG (`shaders/dropout/`: the kernel and its two
//! binding modules). Forward and backward are the same kernel: the mask is recomputed, never stored.

use crate::gpu::{Access, Dispatch, ELEMENTWISE_WORKGROUP, Gpu, KernelSpec, Tensor, grid_1d};
use crate::ops::random::{Clock, Stream};
use crate::shaders;

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    n: u32,
    seed: u32,
    stream: u32,
    keep: f32,
    scale: f32,
    offset: u32,
}

/// out = input · mask / keep. Forward: input = x; backward: input = dy, with the same stream, clock
/// value and offset as the forward pass. Value i takes mask `offset + i`, so a pass over rows r..
/// of another pass's batch (offset r × columns) drops what that pass dropped there.
pub fn apply(
    gpu: &Gpu,
    clock: &Clock,
    stream: Stream,
    keep: f32,
    offset: u32,
    input: &Tensor,
    out: &Tensor,
) -> Dispatch {
    assert!(keep > 0.0 && keep <= 1.0, "dropout keep probability must be in (0, 1], got {keep}");
    assert_eq!(input.len(), out.len(), "dropout input {:?} and output {:?} differ", input.shape(), out.shape());
    let spec = KernelSpec::new(&shaders::DROPOUT, "main", &[Access::Read, Access::Texels, Access::ReadWrite]);
    let params =
        Params { n: input.len() as u32, seed: stream.seed, stream: stream.id, keep, scale: 1.0 / keep, offset };
    let buffers = [clock.0.buffer(), input.buffer(), out.buffer()];
    // One texel (four values) per invocation.
    gpu.dispatch(&spec, &params, &buffers, grid_1d(input.len().div_ceil(4), ELEMENTWISE_WORKGROUP))
}

pub mod reference {
    use crate::rng::RngKey;

    pub fn apply(key: RngKey, keep: f32, offset: u32, input: &[f32]) -> Vec<f32> {
        let scale = 1.0 / keep;
        let kept = |i: usize| key.keeps(offset as usize + i, keep);
        input.iter().enumerate().map(|(i, &x)| if kept(i) { x * scale } else { 0.0 }).collect()
    }
}
