//! Binary cross-entropy on probabilities, mean over the batch (`shaders/bce.wgsl`).

use crate::gpu::{Access, Dispatch, Gpu, KernelSpec, Tensor};
use crate::shaders;

/// Writes loss[0] = BCE(prob, target) and grad = dL/dprob.
pub fn bce(gpu: &Gpu, prob: &Tensor, target: &Tensor, grad: &Tensor, loss: &Tensor) -> Dispatch {
    assert!(
        prob.len() == target.len() && prob.len() == grad.len(),
        "bce: prob, target and grad differ in size"
    );
    assert!(!loss.is_empty(), "bce needs a loss tensor");
    let spec = KernelSpec::new(
        &shaders::BCE,
        "main",
        &[
            Access::Read,
            Access::Read,
            Access::ReadWrite,
            Access::ReadWrite,
        ],
    );
    let buffers = [prob.buffer(), target.buffer(), grad.buffer(), loss.buffer()];
    gpu.dispatch(&spec, &(prob.len() as u32), &buffers, [1, 1, 1])
}

pub mod reference {
    /// log clamped at -100, as PyTorch's BCELoss.
    fn clamped_log(x: f32) -> f32 {
        if x > 0.0 { x.ln().max(-100.0) } else { -100.0 }
    }

    /// (mean loss, dL/dprob).
    pub fn bce(prob: &[f32], target: &[f32]) -> (f32, Vec<f32>) {
        let n = prob.len() as f32;
        let loss = prob
            .iter()
            .zip(target)
            .map(|(&p, &t)| -(t * clamped_log(p) + (1.0 - t) * clamped_log(1.0 - p)))
            .sum::<f32>()
            / n;
        let grad = prob
            .iter()
            .zip(target)
            .map(|(&p, &t)| (p - t) / (p * (1.0 - p)).max(1e-12) / n)
            .collect();
        (loss, grad)
    }
}
