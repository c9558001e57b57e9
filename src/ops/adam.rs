//! Adam with bias correction (`shaders/adam/`: the kernel and its two binding modules), with PyTorch's
//! semantics.

use crate::gpu::{Access, Dispatch, ELEMENTWISE_WORKGROUP, Gpu, KernelSpec, Tensor, grid_1d};
use crate::shaders;

/// The optimizer's hyper-parameters and step count, kept on the GPU (`Hyper` in the shader).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct AdamHyper {
    pub lr: f32,
    pub beta1: f32,
    pub beta2: f32,
    pub eps: f32,
    pub weight_decay: f32,
    /// Updates made so far; [`tick`] advances it before each step's updates.
    pub step: u32,
}

/// One Adam update of `param` from `grad`, with moment estimates `m` and `v`.
pub fn update(gpu: &Gpu, hyper: &Tensor<AdamHyper>, param: &Tensor, grad: &Tensor, m: &Tensor, v: &Tensor) -> Dispatch {
    assert!(
        [grad.len(), m.len(), v.len()].iter().all(|&n| n == param.len()),
        "adam: param, grad, m and v differ in size"
    );
    use Access::{OldValues, Read, ReadWrite, Texels};
    let spec = KernelSpec::new(
        &shaders::ADAM,
        "update",
        &[Read, OldValues, Texels, OldValues, OldValues, ReadWrite, ReadWrite, ReadWrite],
    );
    let buffers =
        [hyper.buffer(), param.buffer(), grad.buffer(), m.buffer(), v.buffer(), param.buffer(), m.buffer(), v.buffer()];
    // Four values per invocation (the kernel's vec4s).
    let quads = param.len().div_ceil(4);
    gpu.dispatch(&spec, &(quads as u32), &buffers, grid_1d(quads, ELEMENTWISE_WORKGROUP))
}

/// Advances the step count t by one.
pub fn tick(gpu: &Gpu, hyper: &Tensor<AdamHyper>) -> Dispatch {
    let spec = KernelSpec::new(&shaders::ADAM, "tick", &[Access::ReadWrite]);
    gpu.dispatch(&spec, &0u32, &[hyper.buffer()], [1, 1, 1])
}

pub mod reference {
    use super::AdamHyper;

    /// One update with step count `h.step` (already advanced).
    pub fn update(h: &AdamHyper, param: &mut [f32], grad: &[f32], m: &mut [f32], v: &mut [f32]) {
        let t = h.step as f32;
        let step_size = h.lr / (1.0 - h.beta1.powf(t));
        let bias_correction2_sqrt = (1.0 - h.beta2.powf(t)).sqrt();
        for i in 0..param.len() {
            let g = grad[i] + h.weight_decay * param[i];
            m[i] += (1.0 - h.beta1) * (g - m[i]);
            v[i] = h.beta2 * v[i] + (1.0 - h.beta2) * g * g;
            param[i] -= step_size * m[i] / (v[i].sqrt() / bias_correction2_sqrt + h.eps);
        }
    }
}
