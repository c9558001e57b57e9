//! Batch normalisation over the rows of a matrix (`shaders/batchnorm.wgsl`).

use crate::gpu::{Access, Dispatch, ELEMENTWISE_WORKGROUP, Gpu, KernelSpec, Tensor};
use crate::shaders;

/// PyTorch's BatchNorm1d defaults.
pub const EPS: f32 = 1e-5;
pub const MOMENTUM: f32 = 0.1;

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    rows: u32,
    features: u32,
    eps: f32,
    momentum: f32,
}

fn params(x: &Tensor, features: usize) -> (Params, [u32; 3]) {
    assert!(x.shape().len() == 2 && x.shape()[1] == features, "batchnorm input {:?} must be N×{features}", x.shape());
    let params = Params { rows: x.shape()[0] as u32, features: features as u32, eps: EPS, momentum: MOMENTUM };
    (params, [(features as u32).div_ceil(ELEMENTWISE_WORKGROUP), 1, 1])
}

/// Training: normalise by the batch statistics, keep them in `stats` ([mean; inv_std]) and move
/// `running` ([mean; var]) towards them.
pub fn forward_train(
    gpu: &Gpu,
    x: &Tensor,
    gamma: &Tensor,
    beta: &Tensor,
    y: &Tensor,
    stats: &Tensor,
    running: &Tensor,
) -> Dispatch {
    let (params, groups) = params(x, gamma.len());
    assert!(beta.len() == gamma.len() && stats.len() == 2 * gamma.len() && running.len() == 2 * gamma.len());
    assert_eq!(x.shape(), y.shape());
    let spec = KernelSpec::new(
        &shaders::BATCHNORM,
        "forward_train",
        &[Access::Read, Access::Read, Access::Read, Access::ReadWrite, Access::ReadWrite, Access::ReadWrite],
    );
    let buffers = [x.buffer(), gamma.buffer(), beta.buffer(), y.buffer(), stats.buffer(), running.buffer()];
    gpu.dispatch(&spec, &params, &buffers, groups)
}

/// Evaluation: normalise by the running statistics.
pub fn forward_eval(gpu: &Gpu, x: &Tensor, gamma: &Tensor, beta: &Tensor, y: &Tensor, running: &Tensor) -> Dispatch {
    let (params, groups) = params(x, gamma.len());
    assert!(beta.len() == gamma.len() && running.len() == 2 * gamma.len());
    assert_eq!(x.shape(), y.shape());
    let spec = KernelSpec::new(
        &shaders::BATCHNORM,
        "forward_eval",
        &[Access::Read, Access::Read, Access::Read, Access::ReadWrite, Access::Read],
    );
    gpu.dispatch(&spec, &params, &[x.buffer(), gamma.buffer(), beta.buffer(), y.buffer(), running.buffer()], groups)
}

/// Gradients for the input, gamma and beta of a training-mode forward pass.
#[allow(clippy::too_many_arguments)]
pub fn backward(
    gpu: &Gpu,
    x: &Tensor,
    gamma: &Tensor,
    stats: &Tensor,
    dy: &Tensor,
    dx: &Tensor,
    dgamma: &Tensor,
    dbeta: &Tensor,
) -> Dispatch {
    let (params, groups) = params(x, gamma.len());
    assert!(dx.shape() == x.shape() && dy.shape() == x.shape());
    assert!(dgamma.len() == gamma.len() && dbeta.len() == gamma.len() && stats.len() == 2 * gamma.len());
    let spec = KernelSpec::new(
        &shaders::BATCHNORM,
        "backward",
        &[
            Access::Read,
            Access::Read,
            Access::Read,
            Access::Read,
            Access::ReadWrite,
            Access::ReadWrite,
            Access::ReadWrite,
        ],
    );
    let buffers =
        [x.buffer(), gamma.buffer(), stats.buffer(), dy.buffer(), dx.buffer(), dgamma.buffer(), dbeta.buffer()];
    gpu.dispatch(&spec, &params, &buffers, groups)
}

pub mod reference {
    use super::{EPS, MOMENTUM};

    /// Column mean and biased variance of a rows×features matrix.
    fn moments(x: &[f32], features: usize) -> (Vec<f32>, Vec<f32>) {
        let rows = x.len() / features;
        let column = |f: usize| x.iter().skip(f).step_by(features);
        let mean: Vec<f32> = (0..features).map(|f| column(f).sum::<f32>() / rows as f32).collect();
        let var = (0..features).map(|f| column(f).map(|v| (v - mean[f]).powi(2)).sum::<f32>() / rows as f32).collect();
        (mean, var)
    }

    /// Returns (y, stats = [mean; inv_std], updated running = [mean; var]).
    pub fn forward_train(x: &[f32], gamma: &[f32], beta: &[f32], running: &[f32]) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
        let features = gamma.len();
        let rows = x.len() / features;
        let (mean, var) = moments(x, features);
        let inv_std: Vec<f32> = var.iter().map(|v| 1.0 / (v + EPS).sqrt()).collect();
        let y = x
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let f = i % features;
                gamma[f] * (v - mean[f]) * inv_std[f] + beta[f]
            })
            .collect();
        let unbiased = rows as f32 / (rows.max(2) - 1) as f32;
        let mut new_running = running.to_vec();
        for f in 0..features {
            new_running[f] = (1.0 - MOMENTUM) * running[f] + MOMENTUM * mean[f];
            new_running[features + f] = (1.0 - MOMENTUM) * running[features + f] + MOMENTUM * var[f] * unbiased;
        }
        (y, [mean, inv_std].concat(), new_running)
    }

    pub fn forward_eval(x: &[f32], gamma: &[f32], beta: &[f32], running: &[f32]) -> Vec<f32> {
        let features = gamma.len();
        x.iter()
            .enumerate()
            .map(|(i, v)| {
                let f = i % features;
                gamma[f] * (v - running[f]) / (running[features + f] + EPS).sqrt() + beta[f]
            })
            .collect()
    }

    /// Returns (dx, dgamma, dbeta).
    pub fn backward(x: &[f32], gamma: &[f32], stats: &[f32], dy: &[f32]) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
        let features = gamma.len();
        let rows = x.len() / features;
        let x_hat: Vec<f32> =
            x.iter().enumerate().map(|(i, v)| (v - stats[i % features]) * stats[features + i % features]).collect();
        let mut dgamma = vec![0.0; features];
        let mut dbeta = vec![0.0; features];
        for i in 0..x.len() {
            dbeta[i % features] += dy[i];
            dgamma[i % features] += dy[i] * x_hat[i];
        }
        let n = rows as f32;
        let dx = (0..x.len())
            .map(|i| {
                let f = i % features;
                gamma[f] * stats[features + f] / n * (n * dy[i] - dbeta[f] - x_hat[i] * dgamma[f])
            })
            .collect();
        (dx, dgamma, dbeta)
    }
}
