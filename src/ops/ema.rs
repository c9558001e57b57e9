//! An exponential moving average of parameters (`shaders/ema/`: the kernel and its two binding modules): the
//! weights a GAN samples from when it keeps an average of its generator.

use crate::gpu::{Access, Dispatch, ELEMENTWISE_WORKGROUP, Gpu, KernelSpec, Tensor, grid_1d};
use crate::ops::random::Clock;
use crate::shaders;

#[repr(C)]
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    quads: u32,
    decay: f32,
    from_step: u32,
}

/// average = decay · average + (1 − decay) · param from step `from_step` of `clock` on; before it, and
/// with decay 0, a copy of `param`.
pub fn update(gpu: &Gpu, decay: f32, from_step: u32, clock: &Clock, param: &Tensor, average: &Tensor) -> Dispatch {
    assert_eq!(param.len(), average.len(), "ema: param and average differ in size");
    assert!((0.0..1.0).contains(&decay), "ema: decay {decay} is outside [0, 1)");
    const ACCESS: [Access; 4] = [Access::Texels, Access::OldValues, Access::ReadWrite, Access::Read];
    let spec = KernelSpec::new(&shaders::EMA, "update", &ACCESS);
    let quads = param.len().div_ceil(4);
    let params = Params { quads: quads as u32, decay, from_step };
    gpu.dispatch(
        &spec,
        &params,
        &[param.buffer(), average.buffer(), average.buffer(), clock.0.buffer()],
        grid_1d(quads, ELEMENTWISE_WORKGROUP),
    )
}

pub mod reference {
    /// The decay that the update at `step` uses: 0 (a copy) before `from_step`.
    pub fn decay_at(decay: f32, from_step: u32, step: u32) -> f32 {
        if step >= from_step { decay } else { 0.0 }
    }

    pub fn update(decay: f32, param: &[f32], average: &mut [f32]) {
        for (a, &p) in average.iter_mut().zip(param) {
            *a = decay * *a + (1.0 - decay) * p;
        }
    }
}
