//! SGD with momentum (`shaders/sgd/`: the kernel and its two binding modules), with PyTorch's semantics.

use crate::gpu::{Access, Dispatch, ELEMENTWISE_WORKGROUP, Gpu, KernelSpec, Tensor, grid_1d};
use crate::shaders;

/// The optimizer's hyper-parameters, kept on the GPU (`Hyper` in the shader).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct SgdHyper {
    pub lr: f32,
    pub momentum: f32,
    pub weight_decay: f32,
    /// lr is divided by this after every step (1: constant).
    pub lr_decay: f32,
    /// ... but never below this.
    pub lr_min: f32,
}

impl SgdHyper {
    /// The position of `momentum` in the GPU buffer, in 32-bit words (the momentum ramp writes it).
    pub const MOMENTUM_WORD: usize = std::mem::offset_of!(SgdHyper, momentum) / 4;
}

/// param -= lr · (momentum · velocity + grad + weight_decay · param), velocity updated.
pub fn update(gpu: &Gpu, hyper: &Tensor<SgdHyper>, param: &Tensor, grad: &Tensor, velocity: &Tensor) -> Dispatch {
    assert!(param.len() == grad.len() && param.len() == velocity.len(), "sgd: param, grad and velocity differ in size");
    let spec = update_spec();
    let buffers = [hyper.buffer(), param.buffer(), grad.buffer(), velocity.buffer(), param.buffer(), velocity.buffer()];
    // Four values per invocation (the kernel's vec4s).
    let quads = param.len().div_ceil(4);
    gpu.dispatch(&spec, &(quads as u32), &buffers, grid_1d(quads, ELEMENTWISE_WORKGROUP))
}

/// The update's kernel; its buffers: hyper-parameters, param, grad, velocity, param, velocity.
pub(crate) fn update_spec() -> KernelSpec {
    KernelSpec::new(
        &shaders::SGD,
        "update",
        &[Access::Read, Access::OldValues, Access::Texels, Access::OldValues, Access::ReadWrite, Access::ReadWrite],
    )
}

/// The learning-rate schedule's step: lr = max(lr / lr_decay, lr_min).
pub fn decay(gpu: &Gpu, hyper: &Tensor<SgdHyper>) -> Dispatch {
    let spec = KernelSpec::new(&shaders::SGD, "decay", &[Access::ReadWrite]);
    gpu.dispatch(&spec, &0u32, &[hyper.buffer()], [1, 1, 1])
}

pub mod reference {
    use super::SgdHyper;

    pub fn update(h: &SgdHyper, param: &mut [f32], grad: &[f32], velocity: &mut [f32]) {
        for ((p, &g), v) in param.iter_mut().zip(grad).zip(velocity) {
            let g = g + h.weight_decay * *p;
            *v = h.momentum * *v + g;
            *p -= h.lr * *v;
        }
    }

    pub fn decay(h: &mut SgdHyper) {
        h.lr = (h.lr / h.lr_decay).max(h.lr_min);
    }
}
