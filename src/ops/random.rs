//! Random fills on the GPU (`shaders/random.wgsl`) and the step counter that keys every draw.

use crate::gpu::{Access, Dispatch, ELEMENTWISE_WORKGROUP, Gpu, KernelSpec, Tensor, grid_1d};
use crate::shaders;

/// The GPU-side step counter read by the random and dropout kernels: one `u32`.
#[derive(Clone, Debug)]
pub struct Clock(pub Tensor<u32>);

impl Clock {
    pub fn new(gpu: &Gpu, step: u32) -> Self {
        Self(Tensor::from_slice(gpu, &[1], &[step]))
    }

    /// Moves the counter on by one, in queue order: record once per training step.
    pub fn advance(&self, gpu: &Gpu) -> Dispatch {
        let spec = KernelSpec::new(&shaders::RANDOM, "advance", &[Access::ReadWrite]);
        gpu.dispatch(&spec, &0u32, &[self.0.buffer()], [1, 1, 1])
    }
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    n: u32,
    seed: u32,
    stream: u32,
    _pad: u32,
    a: f32,
    b: f32,
}

/// A stream of random numbers: the run's seed and what they are for.
#[derive(Clone, Copy, Debug)]
pub struct Stream {
    pub seed: u32,
    pub id: u32,
}

fn fill(gpu: &Gpu, entry: &'static str, clock: &Clock, stream: Stream, a: f32, b: f32, out: &Tensor) -> Dispatch {
    let spec = KernelSpec::new(&shaders::RANDOM, entry, &[Access::Read, Access::ReadWrite]);
    let params = Params { n: out.len() as u32, seed: stream.seed, stream: stream.id, _pad: 0, a, b };
    gpu.dispatch(&spec, &params, &[clock.0.buffer(), out.buffer()], grid_1d(out.len(), ELEMENTWISE_WORKGROUP))
}

/// Fills `out` with values uniform in [lo, hi).
pub fn uniform(gpu: &Gpu, clock: &Clock, stream: Stream, lo: f32, hi: f32, out: &Tensor) -> Dispatch {
    fill(gpu, "fill_uniform", clock, stream, lo, hi, out)
}

/// Fills `out` with normal(mean, std) values.
pub fn normal(gpu: &Gpu, clock: &Clock, stream: Stream, mean: f32, std: f32, out: &Tensor) -> Dispatch {
    fill(gpu, "fill_normal", clock, stream, mean, std, out)
}

pub mod reference {
    use crate::rng::RngKey;

    pub fn uniform(key: RngKey, n: usize, lo: f32, hi: f32) -> Vec<f32> {
        (0..n).map(|i| key.uniform(i, lo, hi)).collect()
    }

    pub fn normal(key: RngKey, n: usize, mean: f32, std: f32) -> Vec<f32> {
        (0..n).map(|i| key.normal(i, mean, std)).collect()
    }
}
