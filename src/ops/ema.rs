//! An exponential moving average of parameters (`shaders/ema/`: the kernel and its two binding modules): the
//! weights a GAN samples from when it keeps an average of its generator.

use crate::gpu::{Access, Dispatch, ELEMENTWISE_WORKGROUP, Gpu, KernelSpec, Tensor, grid_1d};
use crate::shaders;

#[repr(C)]
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    quads: u32,
    decay: f32,
}

/// average = decay · average + (1 − decay) · param; decay 0 copies `param`.
pub fn update(gpu: &Gpu, decay: f32, param: &Tensor, average: &Tensor) -> Dispatch {
    assert_eq!(param.len(), average.len(), "ema: param and average differ in size");
    assert!((0.0..1.0).contains(&decay), "ema: decay {decay} is outside [0, 1)");
    let spec = KernelSpec::new(&shaders::EMA, "update", &[Access::Texels, Access::OldValues, Access::ReadWrite]);
    let quads = param.len().div_ceil(4);
    let params = Params { quads: quads as u32, decay };
    gpu.dispatch(
        &spec,
        &params,
        &[param.buffer(), average.buffer(), average.buffer()],
        grid_1d(quads, ELEMENTWISE_WORKGROUP),
    )
}

pub mod reference {
    pub fn update(decay: f32, param: &[f32], average: &mut [f32]) {
        for (a, &p) in average.iter_mut().zip(param) {
            *a = decay * *a + (1.0 - decay) * p;
        }
    }
}
