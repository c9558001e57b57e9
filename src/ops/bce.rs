//! Binary cross-entropy on probabilities, mean over the batch (`shaders/bce.wgsl`).

use crate::gpu::{Access, Dispatch, Gpu, KernelSpec, Tensor};
use crate::ops::random::Clock;
use crate::shaders;

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    n: u32,
    slots: u32,
}

/// grad = dL/dprob of L = BCE(prob, target), and losses[clock mod losses.len()] = L.
pub fn bce(gpu: &Gpu, prob: &Tensor, target: &Tensor, grad: &Tensor, clock: &Clock, losses: &Tensor) -> Dispatch {
    assert!(prob.len() == target.len() && prob.len() == grad.len(), "bce: prob, target and grad differ in size");
    assert!(!losses.is_empty(), "bce needs a loss tensor");
    const ACCESS: &[Access] = &[Access::Read, Access::Read, Access::ReadWrite, Access::ReadWrite, Access::Read];
    let spec = KernelSpec::new(&shaders::BCE, "main", ACCESS);
    let params = Params { n: prob.len() as u32, slots: losses.len() as u32 };
    let buffers = [prob.buffer(), target.buffer(), grad.buffer(), losses.buffer(), clock.0.buffer()];
    gpu.dispatch(&spec, &params, &buffers, [1, 1, 1])
}

pub mod reference {
    /// log clamped at -100, as PyTorch's BCELoss.
    fn clamped_log(x: f32) -> f32 {
        if x > 0.0 { x.ln().max(-100.0) } else { -100.0 }
    }

    /// (mean loss, dL/dprob); the loss is NaN if a probability is outside [0, 1].
    pub fn bce(prob: &[f32], target: &[f32]) -> (f32, Vec<f32>) {
        let n = prob.len() as f32;
        let valid = prob.iter().all(|p| (0.0..=1.0).contains(p));
        let loss = if !valid {
            f32::NAN
        } else {
            prob.iter()
                .zip(target)
                .map(|(&p, &t)| -(t * clamped_log(p) + (1.0 - t) * clamped_log(1.0 - p)))
                .sum::<f32>()
                / n
        };
        let grad = prob.iter().zip(target).map(|(&p, &t)| (p - t) / (p * (1.0 - p)).max(1e-12) / n).collect();
        (loss, grad)
    }
}
