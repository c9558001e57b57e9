//! A training step as data: a table of tensors and a list of operations on them. The models build
//! it; [`gpu::GpuProgram`] turns it into prepared dispatches, and [`cpu::CpuState`] runs the same
//! list with the kernels' CPU references, so the whole model can be checked against the CPU, and the
//! browser can fall back to it.

pub mod cpu;
pub mod gpu;

use crate::ops::activation::Activation;
use crate::ops::ema::Averaging;
use crate::ops::matmul::Layout;

/// A tensor of the graph, by position in [`Graph::tensors`].
pub type Id = usize;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    F32,
    U32,
}

#[derive(Clone, Debug)]
pub struct TensorInfo {
    pub name: String,
    pub shape: Vec<usize>,
    pub kind: Kind,
}

impl TensorInfo {
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One kernel call. Random operations draw from stream `stream` of the graph's seed at the current
/// value of the clock.
#[derive(Clone, Debug)]
pub enum Op {
    Matmul {
        layout: Layout,
        a: Id,
        b: Id,
        bias: Option<Id>,
        act: Activation,
        c: Id,
    },
    Activation {
        act: Activation,
        x: Id,
        y: Id,
    },
    ActivationBackward {
        act: Activation,
        y: Id,
        dy: Id,
        dx: Id,
    },
    Maxout {
        z: Id,
        y: Id,
        argmax: Id,
    },
    MaxoutBackward {
        dy: Id,
        argmax: Id,
        dz: Id,
    },
    Dropout {
        stream: u32,
        keep: f32,
        /// The mask index of the input's first value (see `ops::dropout::apply`).
        offset: u32,
        input: Id,
        out: Id,
    },
    BatchnormTrain {
        x: Id,
        gamma: Id,
        beta: Id,
        y: Id,
        stats: Id,
        running: Id,
    },
    BatchnormEval {
        x: Id,
        gamma: Id,
        beta: Id,
        y: Id,
        running: Id,
    },
    BatchnormBackward {
        x: Id,
        gamma: Id,
        stats: Id,
        dy: Id,
        dx: Id,
        dgamma: Id,
        dbeta: Id,
    },
    Bce {
        prob: Id,
        target: Id,
        grad: Id,
        losses: Id,
    },
    /// Softmax over each row.
    Softmax {
        logits: Id,
        probs: Id,
    },
    /// A classifier's loss: mean cross-entropy of softmax(logits) against target distributions.
    CrossEntropy {
        logits: Id,
        target: Id,
        grad: Id,
        losses: Id,
    },
    ColumnSums {
        x: Id,
        sums: Id,
    },
    Normal {
        stream: u32,
        mean: f32,
        std: f32,
        out: Id,
    },
    Uniform {
        stream: u32,
        lo: f32,
        hi: f32,
        out: Id,
    },
    Gather {
        images: Id,
        order: Id,
        rows: usize,
        dst_row: usize,
        out: Id,
    },
    /// The labels of the batch that [`Op::Gather`] takes, one-hot.
    GatherOneHot {
        labels: Id,
        order: Id,
        rows: usize,
        out: Id,
    },
    CopyRows {
        src: Id,
        dst: Id,
        dst_row: usize,
    },
    SgdUpdate {
        hyper: Id,
        param: Id,
        grad: Id,
        velocity: Id,
    },
    SgdDecay {
        hyper: Id,
    },
    AdamTick {
        hyper: Id,
    },
    AdamUpdate {
        hyper: Id,
        param: Id,
        grad: Id,
        m: Id,
        v: Id,
    },
    /// The optimizer's lr (first word of `hyper`) set to lr · (1 − clock / steps), at least zero.
    LinearLrDecay {
        hyper: Id,
        lr: f32,
        steps: u32,
    },
    /// average = decay · average + (1 − decay) · param: a moving average of weights, from the
    /// averaging's first step of the clock on (its decay normalised where its weights say so);
    /// before it, and with decay 0, a copy.
    Ema {
        averaging: Averaging,
        param: Id,
        average: Id,
    },
    /// The clock moves on: the next step draws new random numbers and the next batch.
    Advance,
}

impl Op {
    /// The tensors this operation reads and those it writes (random operations and the schedule
    /// read the clock), for moving operations past each other.
    pub fn reads_and_writes(&self) -> (Vec<Id>, Vec<Id>) {
        match *self {
            Op::Matmul { a, b, bias, c, .. } => ([a, b].into_iter().chain(bias).collect(), vec![c]),
            Op::Activation { x, y, .. } => (vec![x], vec![y]),
            Op::ActivationBackward { y, dy, dx, .. } => (vec![y, dy], vec![dx]),
            Op::Maxout { z, y, argmax } => (vec![z], vec![y, argmax]),
            Op::MaxoutBackward { dy, argmax, dz } => (vec![dy, argmax], vec![dz]),
            Op::Dropout { input, out, .. } => (vec![CLOCK, input], vec![out]),
            Op::BatchnormTrain { x, gamma, beta, y, stats, running } => {
                (vec![x, gamma, beta, running], vec![y, stats, running])
            }
            Op::BatchnormEval { x, gamma, beta, y, running } => (vec![x, gamma, beta, running], vec![y]),
            Op::BatchnormBackward { x, gamma, stats, dy, dx, dgamma, dbeta } => {
                (vec![x, gamma, stats, dy], vec![dx, dgamma, dbeta])
            }
            Op::Bce { prob, target, grad, losses } | Op::CrossEntropy { logits: prob, target, grad, losses } => {
                (vec![CLOCK, prob, target, losses], vec![grad, losses])
            }
            Op::Softmax { logits, probs } => (vec![logits], vec![probs]),
            Op::ColumnSums { x, sums } => (vec![x], vec![sums]),
            Op::Normal { out, .. } | Op::Uniform { out, .. } => (vec![CLOCK], vec![out]),
            Op::Gather { images, order, out, .. } => (vec![CLOCK, images, order, out], vec![out]),
            Op::GatherOneHot { labels, order, out, .. } => (vec![CLOCK, labels, order], vec![out]),
            Op::CopyRows { src, dst, .. } => (vec![src, dst], vec![dst]),
            Op::SgdUpdate { hyper, param, grad, velocity } => {
                (vec![hyper, param, grad, velocity], vec![param, velocity])
            }
            Op::SgdDecay { hyper } | Op::AdamTick { hyper } => (vec![hyper], vec![hyper]),
            Op::AdamUpdate { hyper, param, grad, m, v } => (vec![hyper, param, grad, m, v], vec![param, m, v]),
            Op::LinearLrDecay { hyper, .. } => (vec![CLOCK], vec![hyper]),
            Op::Ema { param, average, .. } => (vec![CLOCK, param, average], vec![average]),
            Op::Advance => (vec![CLOCK], vec![CLOCK]),
        }
    }
}

/// Values to load into a fresh state: f32 tensors and u32 tensors.
pub struct InitialValues {
    pub f32s: Vec<(Id, Vec<f32>)>,
    pub u32s: Vec<(Id, Vec<u32>)>,
}

/// The tensors and the seed that a list of [`Op`]s works on. Tensor 0 is the clock.
#[derive(Clone, Debug)]
pub struct Graph {
    pub tensors: Vec<TensorInfo>,
    pub seed: u32,
}

pub const CLOCK: Id = 0;

impl Graph {
    pub fn new(seed: u32) -> Self {
        let mut graph = Self { tensors: Vec::new(), seed };
        graph.tensor_u32("clock", &[1]);
        graph
    }

    pub fn tensor(&mut self, name: impl Into<String>, shape: &[usize]) -> Id {
        self.add(name.into(), shape, Kind::F32)
    }

    pub fn tensor_u32(&mut self, name: impl Into<String>, shape: &[usize]) -> Id {
        self.add(name.into(), shape, Kind::U32)
    }

    /// A new f32 tensor of the same shape as `of`.
    pub fn like(&mut self, name: impl Into<String>, of: Id) -> Id {
        let shape = self.shape(of).to_vec();
        self.tensor(name, &shape)
    }

    fn add(&mut self, name: String, shape: &[usize], kind: Kind) -> Id {
        self.tensors.push(TensorInfo { name, shape: shape.to_vec(), kind });
        self.tensors.len() - 1
    }

    pub fn shape(&self, id: Id) -> &[usize] {
        &self.tensors[id].shape
    }

    /// The tensor called `name`, if any.
    pub fn find(&self, name: &str) -> Option<Id> {
        self.tensors.iter().position(|t| t.name == name)
    }
}
