//! Layers and networks. A network is a list of layers whose parameters live in a [`Graph`];
//! applying it to an input adds the forward and backward operations of one pass.

use rand::Rng;
use rand::rngs::StdRng;

use crate::graph::{Graph, Id, Op};
use crate::ops::activation::Activation;
use crate::ops::matmul::Layout;

/// A parameter and its gradient.
#[derive(Clone, Copy, Debug)]
pub struct Param {
    pub value: Id,
    pub grad: Id,
}

/// How weights start.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Init {
    /// torch.nn.Linear's default: weights and biases uniform in ±1/√fan_in.
    PyTorch,
    /// Weights uniform in ±range, biases zero (pylearn2's `irange`, as the paper's code).
    Uniform { range: f32 },
}

/// A layer as configured.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "layer")]
pub enum LayerSpec {
    Linear { outputs: usize, activation: Activation },
    Maxout { units: usize, pieces: usize },
    BatchNorm,
    Activation { activation: Activation },
    Dropout { keep: f32 },
}

#[derive(Clone, Debug)]
pub enum Layer {
    /// y = act(x·W + b), W stored inputs×outputs.
    Linear {
        w: Param,
        b: Param,
        act: Activation,
    },
    /// y = max over k pieces of x·W + b, W stored inputs×(units·k).
    Maxout {
        w: Param,
        b: Param,
        units: usize,
        k: usize,
    },
    BatchNorm {
        gamma: Param,
        beta: Param,
        running: Id,
    },
    Activation(Activation),
    Dropout {
        keep: f32,
    },
}

/// Layers applied in order to `inputs` features, giving `outputs`.
#[derive(Clone, Debug)]
pub struct Network {
    pub name: String,
    pub layers: Vec<Layer>,
    pub inputs: usize,
    pub outputs: usize,
    /// Distinguishes this network's random streams from another's.
    pub index: u32,
    init: Init,
}

/// Training or evaluation: batchnorm's statistics and whether dropout drops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Train,
    Eval,
}

/// The operations of one application of a network, and its output and gradient buffers.
#[derive(Clone, Debug)]
pub struct Pass {
    pub forward: Vec<Op>,
    pub backward: Vec<Op>,
    pub output: Id,
    /// Each applied layer's output, by the layer's index (evaluation skips dropout layers).
    pub layer_outputs: Vec<(usize, Id)>,
    /// dL/d(output): to be filled (by the loss) before `backward` runs.
    pub d_output: Id,
    /// dL/d(input), when asked for.
    pub d_input: Option<Id>,
}

impl Network {
    pub fn new(graph: &mut Graph, name: &str, index: u32, inputs: usize, specs: &[LayerSpec], init: Init) -> Self {
        let mut width = inputs;
        let param = |graph: &mut Graph, what: String, shape: &[usize]| Param {
            value: graph.tensor(format!("{name}.{what}"), shape),
            grad: graph.tensor(format!("{name}.{what}.grad"), shape),
        };
        let layers = specs
            .iter()
            .enumerate()
            .map(|(i, spec)| match *spec {
                LayerSpec::Linear { outputs, activation } => {
                    let layer = Layer::Linear {
                        w: param(graph, format!("{i}.weight"), &[width, outputs]),
                        b: param(graph, format!("{i}.bias"), &[outputs]),
                        act: activation,
                    };
                    width = outputs;
                    layer
                }
                LayerSpec::Maxout { units, pieces } => {
                    let layer = Layer::Maxout {
                        w: param(graph, format!("{i}.weight"), &[width, units * pieces]),
                        b: param(graph, format!("{i}.bias"), &[units * pieces]),
                        units,
                        k: pieces,
                    };
                    width = units;
                    layer
                }
                LayerSpec::BatchNorm => Layer::BatchNorm {
                    gamma: param(graph, format!("{i}.gamma"), &[width]),
                    beta: param(graph, format!("{i}.beta"), &[width]),
                    running: graph.tensor(format!("{name}.{i}.running"), &[2 * width]),
                },
                LayerSpec::Activation { activation } => Layer::Activation(activation),
                LayerSpec::Dropout { keep } => Layer::Dropout { keep },
            })
            .collect();
        Self { name: name.into(), layers, inputs, outputs: width, index, init }
    }

    /// Every trainable parameter, in order.
    pub fn params(&self) -> Vec<Param> {
        self.layers
            .iter()
            .flat_map(|layer| match *layer {
                Layer::Linear { w, b, .. } | Layer::Maxout { w, b, .. } => vec![w, b],
                Layer::BatchNorm { gamma, beta, .. } => vec![gamma, beta],
                Layer::Activation(_) | Layer::Dropout { .. } => vec![],
            })
            .collect()
    }

    /// Tensors that are state but not trained: batchnorm's running statistics.
    pub fn buffers(&self) -> Vec<Id> {
        self.layers
            .iter()
            .filter_map(|l| if let Layer::BatchNorm { running, .. } = l { Some(*running) } else { None })
            .collect()
    }

    /// Initial values of the parameters and running statistics, drawn from `rng`.
    pub fn initial_values(&self, graph: &Graph, rng: &mut StdRng) -> Vec<(Id, Vec<f32>)> {
        let mut values = Vec::new();
        for layer in &self.layers {
            match *layer {
                Layer::Linear { w, b, .. } | Layer::Maxout { w, b, .. } => {
                    let fan_in = graph.shape(w.value)[0];
                    let (w_range, b_range) = match self.init {
                        Init::PyTorch => (1.0 / (fan_in as f32).sqrt(), 1.0 / (fan_in as f32).sqrt()),
                        Init::Uniform { range } => (range, 0.0),
                    };
                    let mut uniform = |n: usize, r: f32| -> Vec<f32> {
                        (0..n).map(|_| if r > 0.0 { rng.random_range(-r..r) } else { 0.0 }).collect()
                    };
                    values.push((w.value, uniform(graph.tensors[w.value].len(), w_range)));
                    values.push((b.value, uniform(graph.tensors[b.value].len(), b_range)));
                }
                Layer::BatchNorm { gamma, running, .. } => {
                    let width = graph.tensors[gamma.value].len();
                    values.push((gamma.value, vec![1.0; width]));
                    values.push((running, [vec![0.0; width], vec![1.0; width]].concat()));
                }
                Layer::Activation(_) | Layer::Dropout { .. } => {}
            }
        }
        values
    }

    /// Adds one application of the network to `input` (rows × inputs): its buffers, its forward
    /// operations and, in training mode, the backward operations that `how` asks for.
    pub fn apply(&self, graph: &mut Graph, input: Id, how: Apply) -> Pass {
        let rows = graph.shape(input)[0];
        let pass = how.pass;
        let tag = |i: usize, what: &str| format!("{}.pass{pass}.{i}.{what}", self.name);
        let (mask_pass, mask_row) = match how.masks {
            Masks::Own => (pass, 0),
            Masks::Of { pass, row } => (pass, row),
        };
        let stream = |i: usize| self.index << 16 | mask_pass << 8 | i as u32;
        let mut forward = Vec::new();
        let mut trace = Vec::new();
        let mut x = input;
        for (i, layer) in self.layers.iter().enumerate() {
            if how.mode == Mode::Eval && matches!(layer, Layer::Dropout { .. }) {
                continue;
            }
            let at = At { rows, tag: &|what: &str| tag(i, what), stream: stream(i), mask_row };
            let (y, saved) = layer.forward(graph, &mut forward, x, how.mode, &at);
            trace.push(Applied { layer: i, x, y, saved });
            x = y;
        }
        let output = x;
        let layer_outputs = trace.iter().map(|a| (a.layer, a.y)).collect();
        let d_output = graph.like(tag(self.layers.len(), "grad"), output);
        let mut backward = Vec::new();
        let wants_backward = how.mode == Mode::Train && (how.param_grads || how.input_grad != InputGrad::None);
        let mut dy = d_output;
        for (position, applied) in trace.iter().enumerate().rev().filter(|_| wants_backward) {
            let first = position == 0;
            let dx = match (first, how.input_grad) {
                (true, InputGrad::None) => None,
                (true, InputGrad::Into(target)) => Some(target),
                (true, InputGrad::New) | (false, _) => Some(graph.like(tag(applied.layer, "in.grad"), applied.x)),
            };
            let tag = |what: &str| tag(applied.layer, what);
            let at = At { rows, tag: &tag, stream: stream(applied.layer), mask_row };
            let layer = &self.layers[applied.layer];
            layer.backward(graph, &mut backward, applied, dy, dx, how.param_grads, &at);
            match dx {
                Some(dx) => dy = dx,
                None => break,
            }
        }
        let d_input = (wants_backward && how.input_grad != InputGrad::None).then_some(dy);
        Pass { forward, backward, output, layer_outputs, d_output, d_input }
    }
}

/// How a network is applied: its mode, which gradients its backward pass computes, which of the
/// network's applications in a step this is (their tensors and random streams differ), and whose
/// dropout masks it draws.
#[derive(Clone, Copy, Debug)]
pub struct Apply {
    pub mode: Mode,
    /// Gradients of the network's parameters.
    pub param_grads: bool,
    /// The gradient of the network's input.
    pub input_grad: InputGrad,
    pub pass: u32,
    pub masks: Masks,
}

/// Whose dropout masks a pass draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Masks {
    /// Its own.
    Own,
    /// Those that pass `pass` drew for its rows from `row` on: for a pass whose input is those rows
    /// of the other pass's input, so that both drop the same units of the same images.
    Of { pass: u32, row: usize },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputGrad {
    None,
    /// Into a new tensor.
    New,
    /// Into this tensor (another network's output gradient, to chain their backward passes).
    Into(Id),
}

impl Apply {
    /// Evaluation mode: running statistics, no dropout, no backward pass.
    pub fn eval(pass: u32) -> Self {
        Self { mode: Mode::Eval, param_grads: false, input_grad: InputGrad::None, pass, masks: Masks::Own }
    }

    /// Training mode with the parameters' gradients (to update this network).
    pub fn train_params(pass: u32) -> Self {
        Self { mode: Mode::Train, param_grads: true, input_grad: InputGrad::None, pass, masks: Masks::Own }
    }

    /// Training mode with the input's gradient only, written into `target` (to update the network
    /// that made the input).
    pub fn train_input_into(target: Id, pass: u32) -> Self {
        Self { mode: Mode::Train, param_grads: false, input_grad: InputGrad::Into(target), pass, masks: Masks::Own }
    }

    /// The same, drawing the dropout masks of pass `pass` for its rows from `row` on.
    pub fn with_masks_of(self, pass: u32, row: usize) -> Self {
        Self { masks: Masks::Of { pass, row }, ..self }
    }
}

/// Where a layer is applied: the batch's rows, names for its tensors, its random stream, and the
/// row of the stream's masks that its first row takes.
struct At<'a> {
    rows: usize,
    tag: &'a dyn Fn(&str) -> String,
    stream: u32,
    mask_row: usize,
}

impl At<'_> {
    /// The mask index of the first value of a (rows × columns) tensor.
    fn mask_offset(&self, graph: &Graph, x: Id) -> u32 {
        (self.mask_row * graph.shape(x)[1]) as u32
    }
}

/// A layer as applied in the forward pass: its input and output, and what its backward pass needs
/// (maxout's argmax, batch norm's batch statistics).
struct Applied {
    layer: usize,
    x: Id,
    y: Id,
    saved: Option<Id>,
}

impl Layer {
    /// The layer's forward operations on `x`; returns its output and what the backward pass needs.
    fn forward(&self, graph: &mut Graph, ops: &mut Vec<Op>, x: Id, mode: Mode, at: &At) -> (Id, Option<Id>) {
        let width = match *self {
            Layer::Linear { w, .. } => graph.shape(w.value)[1],
            Layer::Maxout { units, .. } => units,
            _ => graph.shape(x)[1],
        };
        let y = graph.tensor((at.tag)("out"), &[at.rows, width]);
        match *self {
            Layer::Linear { w, b, act } => {
                ops.push(Op::Matmul { layout: Layout::Plain, a: x, b: w.value, bias: Some(b.value), act, c: y });
                (y, None)
            }
            Layer::Maxout { w, b, units, k } => {
                let z = graph.tensor((at.tag)("pieces"), &[at.rows, units * k]);
                let argmax = graph.tensor_u32((at.tag)("argmax"), &[at.rows, units]);
                let (layout, act) = (Layout::Plain, Activation::Identity);
                ops.push(Op::Matmul { layout, a: x, b: w.value, bias: Some(b.value), act, c: z });
                ops.push(Op::Maxout { z, y, argmax });
                (y, Some(argmax))
            }
            Layer::BatchNorm { gamma, beta, running } => match mode {
                Mode::Train => {
                    let stats = graph.tensor((at.tag)("stats"), &[2 * width]);
                    ops.push(Op::BatchnormTrain { x, gamma: gamma.value, beta: beta.value, y, stats, running });
                    (y, Some(stats))
                }
                Mode::Eval => {
                    ops.push(Op::BatchnormEval { x, gamma: gamma.value, beta: beta.value, y, running });
                    (y, None)
                }
            },
            Layer::Activation(act) => {
                ops.push(Op::Activation { act, x, y });
                (y, None)
            }
            Layer::Dropout { keep } => {
                ops.push(Op::Dropout { stream: at.stream, keep, offset: at.mask_offset(graph, x), input: x, out: y });
                (y, None)
            }
        }
    }

    /// The layer's backward operations from `dy` = dL/dy: its parameters' gradients when
    /// `param_grads`, and dL/dx into `dx` when given.
    #[allow(clippy::too_many_arguments)]
    fn backward(
        &self,
        graph: &mut Graph,
        ops: &mut Vec<Op>,
        applied: &Applied,
        dy: Id,
        dx: Option<Id>,
        param_grads: bool,
        at: &At,
    ) {
        let Applied { x, y, saved, .. } = *applied;
        match *self {
            Layer::Linear { w, b, act } => {
                let dz = if act == Activation::Identity {
                    dy
                } else {
                    let dz = graph.like((at.tag)("preact.grad"), y);
                    ops.push(Op::ActivationBackward { act, y, dy, dx: dz });
                    dz
                };
                linear_backward(ops, x, w, b, dz, dx, param_grads);
            }
            Layer::Maxout { w, b, units, k } => {
                let dz = graph.tensor((at.tag)("pieces.grad"), &[at.rows, units * k]);
                ops.push(Op::MaxoutBackward { dy, argmax: saved.expect("maxout keeps its argmax"), dz });
                linear_backward(ops, x, w, b, dz, dx, param_grads);
            }
            Layer::BatchNorm { gamma, beta, .. } => {
                let stats = saved.expect("batchnorm backward needs training-mode statistics");
                // The kernel always writes dx; a buffer nobody reads takes it on the first layer.
                let dx = dx.unwrap_or_else(|| graph.like((at.tag)("in.grad"), x));
                ops.push(Op::BatchnormBackward {
                    x,
                    gamma: gamma.value,
                    stats,
                    dy,
                    dx,
                    dgamma: gamma.grad,
                    dbeta: beta.grad,
                });
            }
            Layer::Activation(act) => {
                if let Some(dx) = dx {
                    ops.push(Op::ActivationBackward { act, y, dy, dx });
                }
            }
            Layer::Dropout { keep } => {
                if let Some(dx) = dx {
                    ops.push(Op::Dropout {
                        stream: at.stream,
                        keep,
                        offset: at.mask_offset(graph, dy),
                        input: dy,
                        out: dx,
                    });
                }
            }
        }
    }
}

/// Gradients of y = x·W + b from dz = dL/d(x·W + b).
fn linear_backward(ops: &mut Vec<Op>, x: Id, w: Param, b: Param, dz: Id, dx: Option<Id>, param_grads: bool) {
    if param_grads {
        ops.push(Op::Matmul {
            layout: Layout::TransposeA,
            a: x,
            b: dz,
            bias: None,
            act: Activation::Identity,
            c: w.grad,
        });
        ops.push(Op::ColumnSums { x: dz, sums: b.grad });
    }
    if let Some(dx) = dx {
        ops.push(Op::Matmul {
            layout: Layout::TransposeB,
            a: dz,
            b: w.value,
            bias: None,
            act: Activation::Identity,
            c: dx,
        });
    }
}
