//! Learning-rate schedules (`shaders/schedule.wgsl`): an optimizer's lr as a function of the step.

use crate::gpu::{Access, Dispatch, Gpu, KernelSpec, Tensor};
use crate::ops::random::Clock;
use crate::shaders;

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    lr: f32,
    steps: f32,
}

/// Sets the lr word of `hyper` (SGD's or Adam's) to lr · (1 − step / steps), never below zero.
pub fn linear_decay(gpu: &Gpu, clock: &Clock, hyper: &Tensor<u32>, lr: f32, steps: u32) -> Dispatch {
    assert!(steps > 0, "a schedule over zero steps");
    let spec = KernelSpec::new(&shaders::SCHEDULE, "linear_decay", &[Access::Read, Access::ReadWrite]);
    let params = Params { lr, steps: steps as f32 };
    gpu.dispatch(&spec, &params, &[clock.0.buffer(), hyper.buffer()], [1, 1, 1])
}

pub mod reference {
    pub fn linear_decay(lr: f32, steps: u32, step: u32) -> f32 {
        lr * (1.0 - step as f32 / steps as f32).max(0.0)
    }
}
