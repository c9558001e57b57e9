//! An exponential moving average of parameters (`shaders/ema/`: the kernel and its two binding modules): the
//! weights a GAN samples from when it keeps an average of its generator.

use crate::config::EmaWeights;
use crate::gpu::{Access, Dispatch, ELEMENTWISE_WORKGROUP, Gpu, KernelSpec, Tensor, grid_1d};
use crate::ops::random::Clock;
use crate::shaders;

#[repr(C)]
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    quads: u32,
    decay: f32,
    from_step: u32,
    /// 0: the plain update; 1: normalised per step; 2: normalised over epochs' last steps.
    weights: u32,
    log_decay: f32,
    epoch_steps: u32,
}

/// The schedule of an average: its decay (per step, or per epoch for [`EmaWeights::EpochEnds`]), the
/// step of the clock it starts at (a copy of the parameters before it), how it weighs the steps since,
/// and the steps of an epoch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Averaging {
    pub decay: f32,
    pub from_step: u32,
    pub weights: EmaWeights,
    pub epoch_steps: u32,
}

impl Averaging {
    /// A copy at every step (batch-norm statistics).
    pub const COPY: Averaging = Averaging { decay: 0.0, from_step: 0, weights: EmaWeights::FromCopy, epoch_steps: 1 };

    /// The kernel's `weights` word.
    fn weights_word(&self) -> u32 {
        match self.weights {
            // With decay 0 every step is a copy either way.
            EmaWeights::Normalised if self.decay > 0.0 => 1,
            EmaWeights::EpochEnds => 2,
            _ => 0,
        }
    }
}

/// average = decay · average + (1 − decay) · param from step `from_step` of `clock` on, the decay as
/// the weights say (reference::decay_at); before it, and with decay 0, a copy of `param`.
pub fn update(gpu: &Gpu, averaging: Averaging, clock: &Clock, param: &Tensor, average: &Tensor) -> Dispatch {
    let Averaging { decay, from_step, weights, epoch_steps } = averaging;
    assert_eq!(param.len(), average.len(), "ema: param and average differ in size");
    assert!(
        weights.takes_decay(decay),
        "ema: decay {decay} with ema_weights \"{}\": it must be {}",
        weights.name(),
        weights.decays_taken()
    );
    assert!(epoch_steps > 0, "ema: an epoch of no steps");
    const ACCESS: [Access; 4] = [Access::Texels, Access::OldValues, Access::ReadWrite, Access::Read];
    let spec = KernelSpec::new(&shaders::EMA, "update", &ACCESS);
    let quads = param.len().div_ceil(4);
    let params = Params {
        quads: quads as u32,
        decay,
        from_step,
        weights: averaging.weights_word(),
        log_decay: reference::log_decay(decay),
        epoch_steps,
    };
    gpu.dispatch(
        &spec,
        &params,
        &[param.buffer(), average.buffer(), average.buffer(), clock.0.buffer()],
        grid_1d(quads, ELEMENTWISE_WORKGROUP),
    )
}

pub mod reference {
    use super::Averaging;

    /// ln(decay) as the kernel takes it: computed in f64, so that decay^n keeps its digits near 1.
    pub fn log_decay(decay: f32) -> f32 {
        (decay as f64).ln() as f32
    }

    /// 1 − decay^m as the kernel computes it (ema.wgsl's one_minus_power).
    fn one_minus_power(log_decay: f32, m: f32) -> f32 {
        let x = m * log_decay;
        if x > -0.1 {
            return -x * (1.0 + x * (1.0 / 2.0 + x * (1.0 / 6.0 + x * (1.0 / 24.0 + x / 120.0))));
        }
        1.0 - x.exp()
    }

    /// The decay that the update at `step` uses: 0 (a copy) before `from_step`; with normalised
    /// weights, decay · (1 − decay^n) / (1 − decay^(n+1)) at the n-th step after it; over epochs'
    /// ends, the same at the n-th epoch's last step after it ((n − 1)/n from the first, n = 1, with
    /// decay 1) and 1 (no change) at the steps between.
    pub fn decay_at(averaging: Averaging, step: u32) -> f32 {
        let Averaging { decay, from_step, epoch_steps, .. } = averaging;
        if step < from_step {
            return 0.0;
        }
        let n = match averaging.weights_word() {
            0 => return decay,
            1 => (step - from_step) as f32,
            _ => {
                let since = step + 1 - from_step;
                if !since.is_multiple_of(epoch_steps) {
                    return 1.0;
                }
                (since / epoch_steps - 1) as f32
            }
        };
        if decay == 1.0 {
            return n / (n + 1.0);
        }
        let log_decay = log_decay(decay);
        decay * one_minus_power(log_decay, n) / one_minus_power(log_decay, n + 1.0)
    }

    pub fn update(decay: f32, param: &[f32], average: &mut [f32]) {
        for (a, &p) in average.iter_mut().zip(param) {
            *a = decay * *a + (1.0 - decay) * p;
        }
    }
}
