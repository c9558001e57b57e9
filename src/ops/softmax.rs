//! Softmax and the classifier's cross-entropy loss (`shaders/softmax.wgsl`).

use crate::gpu::{Access, Dispatch, ELEMENTWISE_WORKGROUP, Gpu, KernelSpec, Tensor};
use crate::ops::random::Clock;
use crate::shaders;

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    rows: u32,
    classes: u32,
    slots: u32,
    _pad: u32,
}

fn params(logits: &Tensor, slots: usize) -> Params {
    assert_eq!(logits.shape().len(), 2, "softmax takes a rows×classes matrix, not {:?}", logits.shape());
    Params { rows: logits.shape()[0] as u32, classes: logits.shape()[1] as u32, slots: slots as u32, _pad: 0 }
}

/// probs = softmax of each row of `logits`.
pub fn softmax(gpu: &Gpu, logits: &Tensor, probs: &Tensor) -> Dispatch {
    assert_eq!(logits.shape(), probs.shape(), "softmax: logits and probs differ in shape");
    let params = params(logits, 1);
    let spec = KernelSpec::new(&shaders::SOFTMAX, "softmax", &[Access::Read, Access::ReadWrite]);
    gpu.dispatch(
        &spec,
        &params,
        &[logits.buffer(), probs.buffer()],
        [params.rows.div_ceil(ELEMENTWISE_WORKGROUP), 1, 1],
    )
}

/// grad = dL/dlogits of L = mean cross-entropy of softmax(logits) against the target
/// distributions, and losses[clock mod losses.len()] = L.
pub fn cross_entropy(
    gpu: &Gpu,
    logits: &Tensor,
    targets: &Tensor,
    grad: &Tensor,
    clock: &Clock,
    losses: &Tensor,
) -> Dispatch {
    assert!(
        logits.shape() == targets.shape() && logits.shape() == grad.shape(),
        "cross_entropy: logits {:?}, targets {:?} and grad {:?} differ",
        logits.shape(),
        targets.shape(),
        grad.shape()
    );
    assert!(!losses.is_empty(), "cross_entropy needs a loss tensor");
    const ACCESS: &[Access] = &[Access::Read, Access::Read, Access::ReadWrite, Access::ReadWrite, Access::Read];
    let spec = KernelSpec::new(&shaders::SOFTMAX, "cross_entropy", ACCESS);
    let buffers = [logits.buffer(), targets.buffer(), grad.buffer(), losses.buffer(), clock.0.buffer()];
    gpu.dispatch(&spec, &params(logits, losses.len()), &buffers, [1, 1, 1])
}

pub mod reference {
    /// Softmax of each row of `classes` logits, in f64 internally.
    pub fn softmax(logits: &[f32], classes: usize) -> Vec<f32> {
        logits
            .chunks(classes)
            .flat_map(|row| {
                let top = row.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b)) as f64;
                let sum: f64 = row.iter().map(|&v| (v as f64 - top).exp()).sum();
                row.iter().map(move |&v| ((v as f64 - top).exp() / sum) as f32)
            })
            .collect()
    }

    /// (mean cross-entropy, dL/dlogits).
    pub fn cross_entropy(logits: &[f32], targets: &[f32], classes: usize) -> (f32, Vec<f32>) {
        let rows = logits.len() / classes;
        let probs = softmax(logits, classes);
        let loss: f64 =
            probs.iter().zip(targets).map(|(&p, &t)| -(t as f64) * (p as f64).max(f64::MIN_POSITIVE).ln()).sum();
        let grad = probs.iter().zip(targets).map(|(&p, &t)| (p - t) / rows as f32).collect();
        ((loss / rows as f64) as f32, grad)
    }
}
