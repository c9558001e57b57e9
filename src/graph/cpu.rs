//! Runs a graph with the kernels' CPU references: the check the GPU is held to, and the browser's
//! fallback where there is no adapter.

use super::{CLOCK, Graph, Id, InitialValues, Kind, Op};
use crate::ops::adam::AdamHyper;
use crate::ops::sgd::SgdHyper;
use crate::ops::{
    activation, adam, batch, batchnorm, bce, dropout, ema, matmul, maxout, random, reduce, schedule, sgd, softmax,
};
use crate::rng::RngKey;

#[derive(Clone, Debug)]
pub enum CpuTensor {
    F32(Vec<f32>),
    U32(Vec<u32>),
}

/// The values of a graph's tensors on the host.
#[derive(Clone, Debug)]
pub struct CpuState {
    pub tensors: Vec<CpuTensor>,
    shapes: Vec<Vec<usize>>,
    seed: u32,
}

fn matrix(shape: &[usize]) -> [usize; 2] {
    shape.try_into().unwrap_or_else(|_| panic!("expected a matrix, got shape {shape:?}"))
}

impl CpuState {
    /// Every tensor zero-filled.
    pub fn new(graph: &Graph) -> Self {
        let tensors = graph
            .tensors
            .iter()
            .map(|t| match t.kind {
                Kind::F32 => CpuTensor::F32(vec![0.0; t.len()]),
                Kind::U32 => CpuTensor::U32(vec![0; t.len()]),
            })
            .collect();
        Self { tensors, shapes: graph.tensors.iter().map(|t| t.shape.clone()).collect(), seed: graph.seed }
    }

    pub fn f32(&self, id: Id) -> &[f32] {
        match &self.tensors[id] {
            CpuTensor::F32(v) => v,
            CpuTensor::U32(_) => panic!("tensor {id} holds u32, not f32"),
        }
    }

    pub fn u32(&self, id: Id) -> &[u32] {
        match &self.tensors[id] {
            CpuTensor::U32(v) => v,
            CpuTensor::F32(_) => panic!("tensor {id} holds f32, not u32"),
        }
    }

    /// Sets each listed tensor's values.
    pub fn load(&mut self, values: &InitialValues) {
        values.f32s.iter().for_each(|(id, v)| self.set_f32(*id, v.clone()));
        values.u32s.iter().for_each(|(id, v)| self.set_u32(*id, v.clone()));
    }

    pub fn set_f32(&mut self, id: Id, values: Vec<f32>) {
        assert_eq!(values.len(), self.f32(id).len(), "tensor {id}: wrong number of values");
        self.tensors[id] = CpuTensor::F32(values);
    }

    pub fn set_u32(&mut self, id: Id, values: Vec<u32>) {
        assert_eq!(values.len(), self.u32(id).len(), "tensor {id}: wrong number of values");
        self.tensors[id] = CpuTensor::U32(values);
    }

    fn key(&self, stream: u32) -> RngKey {
        RngKey { seed: self.seed, stream, step: self.u32(CLOCK)[0] }
    }

    fn hyper<H: bytemuck::Pod>(&self, id: Id) -> H {
        bytemuck::pod_read_unaligned(bytemuck::cast_slice(self.u32(id)))
    }

    fn set_hyper<H: bytemuck::Pod>(&mut self, id: Id, h: H) {
        self.set_u32(id, bytemuck::cast_slice(bytemuck::bytes_of(&h)).to_vec());
    }

    /// Runs the operations in order.
    /// Writes `loss` into the history slot of the current step, as the loss kernels do.
    fn record_loss(&mut self, losses: Id, loss: f32) {
        let mut history = self.f32(losses).to_vec();
        let slot = self.u32(CLOCK)[0] as usize % history.len();
        history[slot] = loss;
        self.set_f32(losses, history);
    }

    pub fn run(&mut self, ops: &[Op]) {
        for op in ops {
            self.apply(op);
        }
    }

    fn apply(&mut self, op: &Op) {
        match *op {
            Op::Matmul { layout, a, b, bias, act, c } => {
                let bias = bias.map(|id| self.f32(id));
                let out = matmul::reference::matmul(
                    layout,
                    self.f32(a),
                    matrix(&self.shapes[a]),
                    self.f32(b),
                    matrix(&self.shapes[b]),
                    bias,
                    act,
                );
                self.set_f32(c, out);
            }
            Op::Activation { act, x, y } => self.set_f32(y, activation::reference::forward(act, self.f32(x))),
            Op::ActivationBackward { act, y, dy, dx } => {
                self.set_f32(dx, activation::reference::backward(act, self.f32(y), self.f32(dy)))
            }
            Op::Maxout { z, y, argmax } => {
                let k = self.shapes[z][1] / self.shapes[y][1];
                let (units, args) = maxout::reference::forward(self.f32(z), k);
                self.set_f32(y, units);
                self.set_u32(argmax, args);
            }
            Op::MaxoutBackward { dy, argmax, dz } => {
                let k = self.shapes[dz][1] / self.shapes[dy][1];
                self.set_f32(dz, maxout::reference::backward(self.f32(dy), self.u32(argmax), k));
            }
            Op::Dropout { stream, keep, offset, input, out } => {
                self.set_f32(out, dropout::reference::apply(self.key(stream), keep, offset, self.f32(input)))
            }
            Op::BatchnormTrain { x, gamma, beta, y, stats, running } => {
                let (values, batch_stats, new_running) = batchnorm::reference::forward_train(
                    self.f32(x),
                    self.f32(gamma),
                    self.f32(beta),
                    self.f32(running),
                );
                self.set_f32(y, values);
                self.set_f32(stats, batch_stats);
                self.set_f32(running, new_running);
            }
            Op::BatchnormEval { x, gamma, beta, y, running } => {
                let values =
                    batchnorm::reference::forward_eval(self.f32(x), self.f32(gamma), self.f32(beta), self.f32(running));
                self.set_f32(y, values);
            }
            Op::BatchnormBackward { x, gamma, stats, dy, dx, dgamma, dbeta } => {
                let (gx, gg, gb) =
                    batchnorm::reference::backward(self.f32(x), self.f32(gamma), self.f32(stats), self.f32(dy));
                self.set_f32(dx, gx);
                self.set_f32(dgamma, gg);
                self.set_f32(dbeta, gb);
            }
            Op::Bce { prob, target, grad, losses } => {
                let (loss, g) = bce::reference::bce(self.f32(prob), self.f32(target));
                self.set_f32(grad, g);
                self.record_loss(losses, loss);
            }
            Op::Softmax { logits, probs } => {
                let classes = self.shapes[logits][1];
                self.set_f32(probs, softmax::reference::softmax(self.f32(logits), classes));
            }
            Op::CrossEntropy { logits, target, grad, losses } => {
                let classes = self.shapes[logits][1];
                let (loss, g) = softmax::reference::cross_entropy(self.f32(logits), self.f32(target), classes);
                self.set_f32(grad, g);
                self.record_loss(losses, loss);
            }
            Op::ColumnSums { x, sums } => {
                let cols = self.shapes[x][1];
                self.set_f32(sums, reduce::reference::column_sums(self.f32(x), cols));
            }
            Op::Normal { stream, mean, std, out } => {
                let n = self.f32(out).len();
                self.set_f32(out, random::reference::normal(self.key(stream), n, mean, std));
            }
            Op::Uniform { stream, lo, hi, out } => {
                let n = self.f32(out).len();
                self.set_f32(out, random::reference::uniform(self.key(stream), n, lo, hi));
            }
            Op::Gather { images, order, rows, dst_row, out } => {
                let cols = self.shapes[out][1];
                let pixels: Vec<u8> = self.u32(images).iter().flat_map(|w| w.to_le_bytes()).collect();
                let gathered = batch::reference::gather(&pixels, cols, self.u32(order), rows, self.u32(CLOCK)[0]);
                let mut values = self.f32(out).to_vec();
                values[dst_row * cols..(dst_row + rows) * cols].copy_from_slice(&gathered);
                self.set_f32(out, values);
            }
            Op::GatherOneHot { labels, order, rows, out } => {
                let classes = self.shapes[out][1];
                let step = self.u32(CLOCK)[0];
                let values = batch::reference::gather_one_hot(self.u32(labels), classes, self.u32(order), rows, step);
                self.set_f32(out, values);
            }
            Op::CopyRows { src, dst, dst_row } => {
                let cols = self.shapes[dst][1];
                let mut values = self.f32(dst).to_vec();
                let src = self.f32(src);
                values[dst_row * cols..dst_row * cols + src.len()].copy_from_slice(src);
                self.set_f32(dst, values);
            }
            Op::SgdUpdate { hyper, param, grad, velocity } => {
                let h: SgdHyper = self.hyper(hyper);
                let (mut p, mut v) = (self.f32(param).to_vec(), self.f32(velocity).to_vec());
                sgd::reference::update(&h, &mut p, self.f32(grad), &mut v);
                self.set_f32(param, p);
                self.set_f32(velocity, v);
            }
            Op::SgdDecay { hyper } => {
                let mut h: SgdHyper = self.hyper(hyper);
                sgd::reference::decay(&mut h);
                self.set_hyper(hyper, h);
            }
            Op::AdamTick { hyper } => {
                let mut h: AdamHyper = self.hyper(hyper);
                h.step += 1;
                self.set_hyper(hyper, h);
            }
            Op::AdamUpdate { hyper, param, grad, m, v } => {
                let h: AdamHyper = self.hyper(hyper);
                let (mut p, mut mm, mut vv) = (self.f32(param).to_vec(), self.f32(m).to_vec(), self.f32(v).to_vec());
                adam::reference::update(&h, &mut p, self.f32(grad), &mut mm, &mut vv);
                self.set_f32(param, p);
                self.set_f32(m, mm);
                self.set_f32(v, vv);
            }
            Op::LinearLrDecay { hyper, lr, steps } => {
                let mut words = self.u32(hyper).to_vec();
                words[0] = schedule::reference::linear_decay(lr, steps, self.u32(CLOCK)[0]).to_bits();
                self.set_u32(hyper, words);
            }
            Op::Ema { averaging, param, average } => {
                let mut a = self.f32(average).to_vec();
                let decay = ema::reference::decay_at(averaging, self.u32(CLOCK)[0]);
                ema::reference::update(decay, self.f32(param), &mut a);
                self.set_f32(average, a);
            }
            Op::Advance => {
                let step = self.u32(CLOCK)[0];
                self.set_u32(CLOCK, vec![step + 1]);
            }
        }
    }
}
