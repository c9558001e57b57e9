//! Optimizers over a network's parameters: their state tensors and the operations of one step.

use crate::graph::{Graph, Id, Op};
use crate::nn::Param;
use crate::ops::adam::AdamHyper;
use crate::ops::sgd::SgdHyper;

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum OptimizerConfig {
    /// torch.optim.SGD with momentum; lr is divided by `lr_decay` after every step, down to `lr_min`.
    Sgd { lr: f32, momentum: f32, weight_decay: f32, lr_decay: f32, lr_min: f32 },
    /// torch.optim.Adam.
    Adam { lr: f32, beta1: f32, beta2: f32, eps: f32, weight_decay: f32 },
}

impl OptimizerConfig {
    pub fn sgd(lr: f32, momentum: f32) -> Self {
        OptimizerConfig::Sgd { lr, momentum, weight_decay: 0.0, lr_decay: 1.0, lr_min: 0.0 }
    }

    pub fn adam(lr: f32, beta1: f32) -> Self {
        OptimizerConfig::Adam { lr, beta1, beta2: 0.999, eps: 1e-8, weight_decay: 0.0 }
    }

    /// The initial learning rate.
    pub fn lr(&self) -> f32 {
        match *self {
            OptimizerConfig::Sgd { lr, .. } | OptimizerConfig::Adam { lr, .. } => lr,
        }
    }
}

/// An optimizer bound to parameters: its hyper-parameter tensor and per-parameter state.
#[derive(Clone, Debug)]
pub struct Optimizer {
    pub config: OptimizerConfig,
    pub hyper: Id,
    /// Each parameter with its state: the velocity (SGD) or the two moments (Adam).
    pub slots: Vec<(Param, Vec<Id>)>,
}

impl Optimizer {
    /// The learning rate's word in the hyper-parameter tensor (first in both layouts).
    pub const LR_WORD: usize = 0;

    pub fn new(graph: &mut Graph, name: &str, config: OptimizerConfig, params: &[Param]) -> Self {
        let (words, states) = match config {
            OptimizerConfig::Sgd { .. } => (size_of::<SgdHyper>() / 4, vec!["velocity"]),
            OptimizerConfig::Adam { .. } => (size_of::<AdamHyper>() / 4, vec!["m", "v"]),
        };
        let hyper = graph.tensor_u32(format!("{name}.hyper"), &[words]);
        let slots = params
            .iter()
            .map(|&p| {
                let param_name = graph.tensors[p.value].name.clone();
                (p, states.iter().map(|s| graph.like(format!("{name}.{param_name}.{s}"), p.value)).collect())
            })
            .collect();
        Self { config, hyper, slots }
    }

    /// The hyper-parameter tensor's initial words.
    pub fn initial_hyper(&self) -> Vec<u32> {
        match self.config {
            OptimizerConfig::Sgd { lr, momentum, weight_decay, lr_decay, lr_min } => {
                bytemuck::cast_slice(bytemuck::bytes_of(&SgdHyper { lr, momentum, weight_decay, lr_decay, lr_min }))
                    .to_vec()
            }
            OptimizerConfig::Adam { lr, beta1, beta2, eps, weight_decay } => {
                let h = AdamHyper { lr, beta1, beta2, eps, weight_decay, step: 0 };
                bytemuck::cast_slice(bytemuck::bytes_of(&h)).to_vec()
            }
        }
    }

    /// One update of every parameter from its gradient.
    pub fn step(&self) -> Vec<Op> {
        let hyper = self.hyper;
        match self.config {
            OptimizerConfig::Sgd { .. } => {
                let mut ops: Vec<Op> = self
                    .slots
                    .iter()
                    .map(|(p, s)| Op::SgdUpdate { hyper, param: p.value, grad: p.grad, velocity: s[0] })
                    .collect();
                ops.push(Op::SgdDecay { hyper });
                ops
            }
            OptimizerConfig::Adam { .. } => std::iter::once(Op::AdamTick { hyper })
                .chain(self.slots.iter().map(|(p, s)| Op::AdamUpdate {
                    hyper,
                    param: p.value,
                    grad: p.grad,
                    m: s[0],
                    v: s[1],
                }))
                .collect(),
        }
    }
}
