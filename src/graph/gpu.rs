//! Runs a graph on the GPU: one buffer per tensor, one prepared dispatch per operation (or per pair
//! of operations that one kernel does, where the adapter runs it faster).

use std::collections::HashMap;

use super::{CLOCK, Graph, Id, InitialValues, Kind, Op};
use crate::gpu::{Dispatch, Gpu, GpuError, Recorder, Tensor};
use crate::ops::activation::Activation;
use crate::ops::matmul::{Layout, SgdUpdate};
use crate::ops::random::{Clock, Stream};
use crate::ops::{
    activation, adam, batch, batchnorm, bce, dropout, ema, matmul, maxout, random, reduce, schedule, sgd, softmax,
};

/// A tensor's buffer, typed as the graph declares it.
#[derive(Clone, Debug)]
pub enum GpuTensor {
    F32(Tensor),
    U32(Tensor<u32>),
}

/// The buffers of a graph on one device.
pub struct GpuState {
    pub tensors: Vec<GpuTensor>,
    seed: u32,
}

/// Operations bound to their buffers, recorded together into one command buffer: one dispatch per
/// operation, or per pair where a kernel does both (maxout and the dropout after it; a weight
/// gradient and its SGD update).
pub struct GpuProgram {
    dispatches: Vec<Dispatch>,
    /// The operations each dispatch does, by their positions in the list the program was made from.
    covers: Vec<Vec<usize>>,
}

impl GpuProgram {
    pub fn record(&self, pass: &mut Recorder) {
        self.dispatches.iter().for_each(|d| d.record(pass));
    }

    pub fn len(&self) -> usize {
        self.dispatches.len()
    }

    pub fn is_empty(&self) -> bool {
        self.dispatches.is_empty()
    }

    /// Records only the `index`th dispatch, `times` over (for profiling one kernel).
    pub fn record_one(&self, pass: &mut Recorder, index: usize, times: usize) {
        (0..times).for_each(|_| self.dispatches[index].record(pass));
    }

    /// The positions of the operations that the `index`th dispatch does.
    pub fn ops_of(&self, index: usize) -> &[usize] {
        &self.covers[index]
    }
}

impl GpuState {
    /// Buffers for every tensor, zero-filled.
    pub fn new(gpu: &Gpu, graph: &Graph) -> Self {
        let tensors = graph
            .tensors
            .iter()
            .map(|t| match t.kind {
                Kind::F32 => GpuTensor::F32(Tensor::zeros(gpu, &t.shape)),
                Kind::U32 => GpuTensor::U32(Tensor::zeros(gpu, &t.shape)),
            })
            .collect();
        Self { tensors, seed: graph.seed }
    }

    pub fn f32(&self, id: Id) -> &Tensor {
        match &self.tensors[id] {
            GpuTensor::F32(t) => t,
            GpuTensor::U32(_) => panic!("tensor {id} holds u32, not f32"),
        }
    }

    pub fn u32(&self, id: Id) -> &Tensor<u32> {
        match &self.tensors[id] {
            GpuTensor::U32(t) => t,
            GpuTensor::F32(_) => panic!("tensor {id} holds f32, not u32"),
        }
    }

    /// Writes each listed tensor's values.
    pub fn load(&self, gpu: &Gpu, values: &InitialValues) {
        values.f32s.iter().for_each(|(id, v)| self.write_f32(gpu, *id, v));
        values.u32s.iter().for_each(|(id, v)| self.write_u32(gpu, *id, v));
    }

    pub fn write_f32(&self, gpu: &Gpu, id: Id, data: &[f32]) {
        self.f32(id).write(gpu, data);
    }

    pub fn write_u32(&self, gpu: &Gpu, id: Id, data: &[u32]) {
        self.u32(id).write(gpu, data);
    }

    pub async fn read_f32(&self, gpu: &Gpu, id: Id) -> Result<Vec<f32>, GpuError> {
        self.f32(id).read(gpu).await
    }

    pub async fn read_u32(&self, gpu: &Gpu, id: Id) -> Result<Vec<u32>, GpuError> {
        self.u32(id).read(gpu).await
    }

    fn clock(&self) -> Clock {
        Clock(self.u32(CLOCK).clone())
    }

    fn stream(&self, id: u32) -> Stream {
        Stream { seed: self.seed, id }
    }

    /// Binds every operation of `ops` to this state's buffers, a maxout and the dropout of its units
    /// as one dispatch where the device fuses them ([`maxout::fuses_dropout`]), and a weight gradient
    /// with its SGD update where it fuses those ([`matmul::fuses_sgd`]): the matmul then moves to
    /// the update, which [`sgd_updates_of_gradients`] allows only where nothing between them could
    /// tell.
    pub fn program(&self, gpu: &Gpu, ops: &[Op]) -> GpuProgram {
        let fuse = ops.windows(2).any(fusable) && maxout::fuses_dropout(gpu);
        let mut updates = sgd_updates_of_gradients(ops);
        if !updates.is_empty() && !matmul::fuses_sgd(gpu) {
            updates.clear();
        }
        let (mut dispatches, mut covers) = (Vec::new(), Vec::new());
        let mut at = 0;
        while at < ops.len() {
            if updates.values().any(|&gradient| gradient == at) {
                // Done with its update.
                at += 1;
                continue;
            }
            let cover = match (ops.get(at..at + 2), updates.get(&at)) {
                (_, Some(&gradient)) => {
                    dispatches.push(self.weight_gradient_sgd(gpu, &ops[gradient], &ops[at]));
                    vec![gradient, at]
                }
                (Some(pair), None) if fuse && fusable(pair) => {
                    dispatches.push(self.fused(gpu, pair));
                    vec![at, at + 1]
                }
                _ => {
                    dispatches.push(self.dispatch(gpu, &ops[at]));
                    vec![at]
                }
            };
            at = cover.last().expect("a dispatch does an operation") + 1;
            covers.push(cover);
        }
        GpuProgram { dispatches, covers }
    }

    /// The one dispatch for a weight gradient and its SGD update (see [`sgd_updates_of_gradients`]).
    fn weight_gradient_sgd(&self, gpu: &Gpu, gradient: &Op, update: &Op) -> Dispatch {
        match (gradient, update) {
            (&Op::Matmul { a, b, c, .. }, &Op::SgdUpdate { hyper, param, velocity, .. }) => {
                let hyper = self.u32(hyper).view();
                let update = SgdUpdate { hyper: &hyper, param: self.f32(param), velocity: self.f32(velocity) };
                matmul::weight_gradient_sgd(gpu, self.f32(a), self.f32(b), self.f32(c), update)
            }
            _ => unreachable!("not a weight gradient and its update: {gradient:?}, {update:?}"),
        }
    }

    /// The one dispatch for a [`fusable`] pair of operations.
    fn fused(&self, gpu: &Gpu, pair: &[Op]) -> Dispatch {
        let (t, u) = (|id: Id| self.f32(id), |id: Id| self.u32(id));
        let dropout = |stream, keep, offset| maxout::UnitDropout { stream: self.stream(stream), keep, offset };
        match *pair {
            [Op::Maxout { z, y, argmax }, Op::Dropout { stream, keep, offset, out, .. }] => {
                let dropout = dropout(stream, keep, offset);
                maxout::forward_dropout(gpu, &self.clock(), dropout, t(z), t(y), u(argmax), t(out))
            }
            [Op::Dropout { stream, keep, offset, input, out }, Op::MaxoutBackward { argmax, dz, .. }] => {
                let dropout = dropout(stream, keep, offset);
                maxout::backward_dropout(gpu, &self.clock(), dropout, t(input), u(argmax), t(out), t(dz))
            }
            _ => unreachable!("not a pair that one kernel does: {pair:?}"),
        }
    }

    fn dispatch(&self, gpu: &Gpu, op: &Op) -> Dispatch {
        let t = |id: Id| self.f32(id);
        let u = |id: Id| self.u32(id);
        match *op {
            Op::Matmul { layout, a, b, bias, act, c } => {
                matmul::matmul(gpu, layout, t(a), t(b), bias.map(t), act, t(c))
            }
            Op::Activation { act, x, y } => activation::forward(gpu, act, t(x), t(y)),
            Op::ActivationBackward { act, y, dy, dx } => activation::backward(gpu, act, t(y), t(dy), t(dx)),
            Op::Maxout { z, y, argmax } => maxout::forward(gpu, t(z), t(y), u(argmax)),
            Op::MaxoutBackward { dy, argmax, dz } => maxout::backward(gpu, t(dy), u(argmax), t(dz)),
            Op::Dropout { stream, keep, offset, input, out } => {
                dropout::apply(gpu, &self.clock(), self.stream(stream), keep, offset, t(input), t(out))
            }
            Op::BatchnormTrain { x, gamma, beta, y, stats, running } => {
                batchnorm::forward_train(gpu, t(x), t(gamma), t(beta), t(y), t(stats), t(running))
            }
            Op::BatchnormEval { x, gamma, beta, y, running } => {
                batchnorm::forward_eval(gpu, t(x), t(gamma), t(beta), t(y), t(running))
            }
            Op::BatchnormBackward { x, gamma, stats, dy, dx, dgamma, dbeta } => {
                batchnorm::backward(gpu, t(x), t(gamma), t(stats), t(dy), t(dx), t(dgamma), t(dbeta))
            }
            Op::Bce { prob, target, grad, losses } => {
                bce::bce(gpu, t(prob), t(target), t(grad), &self.clock(), t(losses))
            }
            Op::Softmax { logits, probs } => softmax::softmax(gpu, t(logits), t(probs)),
            Op::CrossEntropy { logits, target, grad, losses } => {
                softmax::cross_entropy(gpu, t(logits), t(target), t(grad), &self.clock(), t(losses))
            }
            Op::ColumnSums { x, sums } => reduce::column_sums(gpu, t(x), t(sums)),
            Op::Normal { stream, mean, std, out } => {
                random::normal(gpu, &self.clock(), self.stream(stream), mean, std, t(out))
            }
            Op::Uniform { stream, lo, hi, out } => {
                random::uniform(gpu, &self.clock(), self.stream(stream), lo, hi, t(out))
            }
            Op::Gather { images, order, rows, dst_row, out } => {
                batch::gather(gpu, &self.clock(), u(images), u(order), rows, dst_row, t(out))
            }
            Op::GatherOneHot { labels, order, rows, out } => {
                batch::gather_one_hot(gpu, &self.clock(), u(labels), u(order), rows, t(out))
            }
            Op::CopyRows { src, dst, dst_row } => batch::copy_rows(gpu, t(src), t(dst), dst_row),
            Op::SgdUpdate { hyper, param, grad, velocity } => {
                sgd::update(gpu, &u(hyper).view(), t(param), t(grad), t(velocity))
            }
            Op::SgdDecay { hyper } => sgd::decay(gpu, &u(hyper).view()),
            Op::AdamTick { hyper } => adam::tick(gpu, &u(hyper).view()),
            Op::AdamUpdate { hyper, param, grad, m, v } => {
                adam::update(gpu, &u(hyper).view(), t(param), t(grad), t(m), t(v))
            }
            Op::LinearLrDecay { hyper, lr, steps } => schedule::linear_decay(gpu, &self.clock(), u(hyper), lr, steps),
            Op::Ema { averaging, param, average } => ema::update(gpu, averaging, &self.clock(), t(param), t(average)),
            Op::Advance => self.clock().advance(gpu),
        }
    }
}

/// The SGD updates whose gradient one kernel can compute with them, by position, each with its
/// gradient's position: an update whose gradient was last written by a matmul Xᵀ·dY (no bias, no
/// activation), where no operation between them writes X or dY or touches the gradient, and the
/// update writes neither X nor dY. Then computing the gradient at the update, as the fused kernel
/// does, changes nothing that any operation reads.
fn sgd_updates_of_gradients(ops: &[Op]) -> HashMap<usize, usize> {
    let mut updates = HashMap::new();
    for (at, op) in ops.iter().enumerate() {
        let Op::SgdUpdate { grad, .. } = *op else { continue };
        let Some(gradient) = ops[..at].iter().rposition(|o| o.reads_and_writes().1.contains(&grad)) else { continue };
        let Op::Matmul { layout: Layout::TransposeA, a, b, bias: None, act: Activation::Identity, .. } = ops[gradient]
        else {
            continue;
        };
        let untouched = |o: &Op| {
            let (reads, writes) = o.reads_and_writes();
            !reads.contains(&grad) && !writes.iter().any(|w| [a, b, grad].contains(w))
        };
        if ops[gradient + 1..at].iter().all(untouched) && !op.reads_and_writes().1.iter().any(|w| [a, b].contains(w)) {
            updates.insert(at, gradient);
        }
    }
    updates
}

/// Whether one kernel does this pair of operations: maxout, then dropout of its units; dropout of
/// the units' gradient, then maxout's backward from it.
fn fusable(pair: &[Op]) -> bool {
    match pair {
        [Op::Maxout { y, .. }, Op::Dropout { input, .. }] => input == y,
        [Op::Dropout { out, .. }, Op::MaxoutBackward { dy, .. }] => dy == out,
        _ => false,
    }
}
