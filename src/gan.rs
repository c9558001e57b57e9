//! The GAN's training step and sampling, as graph operations: the math of one step, in order.

use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::config::{Config, EmaWeights, LrSchedule, Noise, Order, OutputBias, RealLabels};
use crate::graph::{Graph, Id, InitialValues, Op};
use crate::nn::{Apply, Layer, LayerSpec, Network, Pass};
use crate::ops::activation::Activation;
use crate::ops::ema::Averaging;
use crate::optim::Optimizer;
use crate::rng::RngKey;

/// Random streams of the step that belong to no layer (layers use network index << 16 | ...).
const NOISE_STREAM: u32 = 1;
const LABEL_STREAM: u32 = 2;
const SAMPLE_NOISE_STREAM: u32 = 3;
/// D's pass in its own update, over the batch [real; fake]: the fakes are its rows from `batch` on.
const D_UPDATE_PASS: u32 = 1;

/// Sizes that come from the data rather than the configuration.
#[derive(Clone, Copy, Debug)]
pub struct Shapes {
    /// Pixels per image (784 for MNIST).
    pub pixels: usize,
    /// Training images on the GPU.
    pub train_count: usize,
    /// Steps whose losses the history buffers hold before they wrap.
    pub loss_slots: usize,
    /// Images generated from the fixed sample noise.
    pub samples: usize,
}

pub struct Gan {
    pub config: Config,
    pub shapes: Shapes,
    pub graph: Graph,
    pub generator: Network,
    /// The moving average of G's weights, where the configuration keeps one.
    pub average: Option<Network>,
    pub discriminator: Network,
    pub optimizer_g: Optimizer,
    pub optimizer_d: Optimizer,
    /// Training images, u8 packed four to a u32.
    pub images: Id,
    /// The epoch's order of the training images.
    pub order: Id,
    pub g_losses: Id,
    pub d_losses: Id,
    /// One training step: a G update and a D update, then the clock moves on.
    pub train_step: Vec<Op>,
    pub sample_noise: Id,
    pub samples: Id,
    /// G in evaluation mode on the fixed sample noise.
    pub sample: Vec<Op>,
    real_targets: Option<Id>,
    d_targets: Id,
    g_targets: Id,
}

/// The training step for an epoch's steps but its last, from the clock's step `from_step` on
/// ([`Gan::train_step_inside_epoch`]).
pub struct InsideEpochStep {
    pub from_step: u64,
    pub ops: Vec<Op>,
}

impl Gan {
    pub fn new(config: &Config, shapes: Shapes) -> Self {
        let b = config.batch;
        assert!(shapes.pixels.is_multiple_of(4), "images are packed four pixels to a word");
        let mut graph = Graph::new(config.seed);
        let g_specs = [
            config.generator.clone(),
            vec![LayerSpec::Linear { outputs: shapes.pixels, activation: Activation::Sigmoid }],
        ]
        .concat();
        let d_specs =
            [config.discriminator.clone(), vec![LayerSpec::Linear { outputs: 1, activation: Activation::Sigmoid }]]
                .concat();
        let generator = Network::new(&mut graph, "G", 1, config.z_dim, &g_specs, config.generator_init);
        let discriminator = Network::new(&mut graph, "D", 2, shapes.pixels, &d_specs, config.discriminator_init);
        let optimizer_g = Optimizer::new(&mut graph, "G.optimizer", config.optimizer_g.clone(), &generator.params());
        let optimizer_d =
            Optimizer::new(&mut graph, "D.optimizer", config.optimizer_d.clone(), &discriminator.params());

        let images = graph.tensor_u32("images", &[shapes.train_count * shapes.pixels / 4]);
        let order = graph.tensor_u32("order", &[shapes.train_count]);
        let g_losses = graph.tensor("G.losses", &[shapes.loss_slots]);
        let d_losses = graph.tensor("D.losses", &[shapes.loss_slots]);
        let z = graph.tensor("z", &[b, config.z_dim]);
        let d_input = graph.tensor("D.input", &[2 * b, shapes.pixels]);
        let g_targets = graph.tensor("G.targets", &[b, 1]);
        let d_targets = graph.tensor("D.targets", &[2 * b, 1]);
        let real_targets =
            matches!(config.real_labels, RealLabels::Soft { .. }).then(|| graph.tensor("D.real_targets", &[b, 1]));

        // G(z), then D on it for G's loss: D's parameters get no gradient, G's input none.
        let g = generator.apply(&mut graph, z, Apply::train_params(0));
        let judging_fakes = match config.order {
            Order::Simultaneous => Apply::train_input_into(g.d_output, 0).with_masks_of(D_UPDATE_PASS, b),
            Order::GeneratorFirst | Order::DiscriminatorFirst => Apply::train_input_into(g.d_output, 0),
        };
        let d_on_fake = discriminator.apply(&mut graph, g.output, judging_fakes);
        debug_assert_eq!(d_on_fake.d_input, Some(g.d_output));
        // D on [real; fake] for D's loss, fake taken as G made it at the start of the step.
        let d_on_both = discriminator.apply(&mut graph, d_input, Apply::train_params(D_UPDATE_PASS));

        let mut noise = vec![match config.noise {
            Noise::Normal { std } => Op::Normal { stream: NOISE_STREAM, mean: 0.0, std, out: z },
            Noise::Uniform { lo, hi } => Op::Uniform { stream: NOISE_STREAM, lo, hi, out: z },
        }];
        noise.extend(g.forward.iter().cloned());

        let g_step = update(&d_on_fake, g_targets, g_losses, &g.backward, &optimizer_g);

        let mut d_step = vec![
            Op::Gather { images, order, rows: b, dst_row: 0, out: d_input },
            Op::CopyRows { src: g.output, dst: d_input, dst_row: b },
        ];
        if let (Some(real), RealLabels::Soft { lo, hi }) = (real_targets, config.real_labels) {
            d_step.push(Op::Uniform { stream: LABEL_STREAM, lo, hi, out: real });
            d_step.push(Op::CopyRows { src: real, dst: d_targets, dst_row: 0 });
        }
        d_step.extend(update(&d_on_both, d_targets, d_losses, &[], &optimizer_d));

        let mut train_step = noise;
        if config.lr_schedule == LrSchedule::LinearToZero {
            let steps = (config.epochs * (shapes.train_count / b)) as u32;
            for optimizer in [&optimizer_g, &optimizer_d] {
                train_step.push(Op::LinearLrDecay { hyper: optimizer.hyper, lr: optimizer.config.lr(), steps });
            }
        }
        match config.order {
            // G's update leaves D as it was, so G first with D's masks is both from one judgement.
            Order::GeneratorFirst | Order::Simultaneous => {
                train_step.extend(g_step);
                train_step.extend(d_step);
            }
            Order::DiscriminatorFirst => {
                train_step.extend(d_step);
                train_step.extend(g_step);
            }
        }
        // The average follows G after both updates, as a copy until its first epoch; decay 0 copies
        // the batch-norm statistics.
        let average = config.ema.map(|decay| {
            let average = Network::new(&mut graph, "G.ema", 3, config.z_dim, &g_specs, config.generator_init);
            let epoch_steps = (shapes.train_count / config.batch) as u32;
            let from_step = config.ema_from_epoch as u32 * epoch_steps;
            let averaging = Averaging { decay, from_step, weights: config.ema_weights, epoch_steps };
            for (g, a) in generator.params().iter().zip(average.params()) {
                train_step.push(Op::Ema { averaging, param: g.value, average: a.value });
            }
            for (g, a) in generator.buffers().into_iter().zip(average.buffers()) {
                train_step.push(Op::Ema { averaging: Averaging::COPY, param: g, average: a });
            }
            average
        });
        train_step.push(Op::Advance);

        let sample_noise = graph.tensor("samples.z", &[shapes.samples, config.z_dim]);
        let sampled = average.as_ref().unwrap_or(&generator).apply(&mut graph, sample_noise, Apply::eval(2));
        Gan {
            config: config.clone(),
            shapes,
            generator,
            average,
            discriminator,
            optimizer_g,
            optimizer_d,
            images,
            order,
            g_losses,
            d_losses,
            train_step,
            sample_noise,
            samples: sampled.output,
            sample: sampled.forward,
            real_targets,
            d_targets,
            g_targets,
            graph,
        }
    }

    /// The step at an epoch's other steps, once an average of epochs' ends alone has started: the
    /// same, less the average's updates, which change nothing there (before the start they copy G, so
    /// the whole step runs). None where every step updates the average.
    pub fn train_step_inside_epoch(&self) -> Option<InsideEpochStep> {
        let epochs_ends = |op: &Op| match op {
            Op::Ema { averaging, .. } if averaging.weights == EmaWeights::EpochEnds => Some(averaging.from_step),
            _ => None,
        };
        let from_step = self.train_step.iter().find_map(epochs_ends)?;
        let ops = self.train_step.iter().filter(|op| epochs_ends(op).is_none()).cloned().collect();
        Some(InsideEpochStep { from_step: from_step as u64, ops })
    }

    /// Starting values of everything that does not start at zero: parameters, running
    /// statistics, optimizer hyper-parameters, targets and the fixed sample noise. `images` are the
    /// training images' pixels, whose means set G's output bias where the configuration asks.
    pub fn initial_values(&self, images: &[u8]) -> InitialValues {
        let mut rng = StdRng::seed_from_u64(self.config.seed as u64);
        let mut f32s = self.generator.initial_values(&self.graph, &mut rng);
        if self.config.generator_output_bias == OutputBias::Marginals {
            let Some(Layer::Linear { b, .. }) = self.generator.layers.last() else {
                unreachable!("G ends in its linear output layer")
            };
            let start = f32s.iter_mut().find(|(id, _)| *id == b.value).expect("G's output bias starts somewhere");
            start.1 = marginal_log_odds(images, self.shapes.pixels);
        }
        f32s.extend(self.discriminator.initial_values(&self.graph, &mut rng));
        // The average starts as G (tensors absent from G's list, such as biases at zero, stay zero).
        if let Some(average) = &self.average {
            let copies: Vec<(Id, Vec<f32>)> = state_pairs(&self.generator, average)
                .filter_map(|(g, a)| f32s.iter().find(|(id, _)| *id == g).map(|(_, v)| (a, v.clone())))
                .collect();
            f32s.extend(copies);
        }
        let b = self.config.batch;
        f32s.push((self.g_targets, vec![1.0; b]));
        if self.real_targets.is_none() {
            f32s.push((self.d_targets, [vec![1.0; b], vec![0.0; b]].concat()));
        }
        // The reference's fixed noise for sample grids: Gaussian with variance 0.1.
        let key = RngKey { seed: self.config.seed, stream: SAMPLE_NOISE_STREAM, step: 0 };
        let n = self.shapes.samples * self.config.z_dim;
        f32s.push((self.sample_noise, (0..n).map(|i| key.normal(i, 0.0, 0.1f32.sqrt())).collect()));
        let u32s = vec![
            (self.optimizer_g.hyper, self.optimizer_g.initial_hyper()),
            (self.optimizer_d.hyper, self.optimizer_d.initial_hyper()),
        ];
        InitialValues { f32s, u32s }
    }
}

impl Gan {
    /// Everything a run needs to continue exactly: the clock, parameters, running statistics and
    /// optimizer state.
    pub fn state_tensors(&self) -> Vec<Id> {
        let mut ids = vec![crate::graph::CLOCK];
        for network in [Some(&self.generator), self.average.as_ref(), Some(&self.discriminator)].into_iter().flatten() {
            ids.extend(network.params().iter().map(|p| p.value));
            ids.extend(network.buffers());
        }
        for optimizer in [&self.optimizer_g, &self.optimizer_d] {
            ids.push(optimizer.hyper);
            ids.extend(optimizer.slots.iter().flat_map(|(_, state)| state.iter().copied()));
        }
        ids
    }

    /// The generator that is sampled and shipped: the average of G where there is one, and its
    /// tensors paired with G's own (parameters, then running statistics).
    pub fn shipped_generator(&self) -> Vec<(Id, Id)> {
        match &self.average {
            Some(average) => state_pairs(&self.generator, average).collect(),
            None => self.trained_generator(),
        }
    }

    /// G as trained, its tensors paired with themselves (parameters, then running statistics).
    pub fn trained_generator(&self) -> Vec<(Id, Id)> {
        let g = &self.generator;
        g.params().iter().map(|p| p.value).chain(g.buffers()).map(|id| (id, id)).collect()
    }

    /// The momentum of the SGD optimizers in `epoch` (0-based), where the configuration ramps it.
    pub fn momentum(&self, epoch: usize) -> Option<f32> {
        let ramp = self.config.momentum_ramp?;
        // pylearn2's MomentumAdjustor: start at epoch 1, saturate at `epochs`.
        let progress = (epoch as f32 / (ramp.epochs.max(2) - 1) as f32).min(1.0);
        Some(ramp.start + (ramp.end - ramp.start) * progress)
    }
}

/// The state tensors of two networks of one architecture, side by side: parameters, then running
/// statistics.
fn state_pairs<'a>(a: &'a Network, b: &'a Network) -> impl Iterator<Item = (Id, Id)> + 'a {
    let params = a.params().into_iter().zip(b.params()).map(|(p, q)| (p.value, q.value));
    params.chain(a.buffers().into_iter().zip(b.buffers()))
}

/// The discriminator's pass, its BCE against `target` (loss kept in `losses`), the backward pass,
/// `then` (the generator's backward, for G's update), and the optimizer's update.
fn update(judged: &Pass, target: Id, losses: Id, then: &[Op], optimizer: &Optimizer) -> Vec<Op> {
    let mut ops = judged.forward.clone();
    ops.push(Op::Bce { prob: judged.output, target, grad: judged.d_output, losses });
    ops.extend(judged.backward.iter().cloned());
    ops.extend(then.iter().cloned());
    ops.extend(optimizer.step());
    ops
}

/// The log-odds of each pixel's mean over `images` (bytes, 255 for 1), clipped to [1e-7, 1 - 1e-7]:
/// a sigmoid output with these biases gives the mean image (pylearn2's
/// init_sigmoid_bias_from_marginals).
pub fn marginal_log_odds(images: &[u8], pixels: usize) -> Vec<f32> {
    let count = images.len() / pixels;
    assert!(
        count > 0 && images.len() == count * pixels,
        "{} bytes are not whole images of {pixels} pixels",
        images.len()
    );
    let mut sums = vec![0u64; pixels];
    for image in images.chunks_exact(pixels) {
        image.iter().zip(&mut sums).for_each(|(&v, sum)| *sum += v as u64);
    }
    let log_odds = |sum: u64| {
        let mean = (sum as f64 / (255.0 * count as f64)).clamp(1e-7, 1.0 - 1e-7);
        (mean / (1.0 - mean)).ln() as f32
    };
    sums.into_iter().map(log_odds).collect()
}

/// The order of the training images in `epoch`: a shuffle determined by the seed and the epoch,
/// so a resumed run sees the same order without storing it.
pub fn epoch_order(seed: u32, epoch: usize, count: usize) -> Vec<u32> {
    use rand::seq::SliceRandom;
    let mut order: Vec<u32> = (0..count as u32).collect();
    order.shuffle(&mut StdRng::seed_from_u64((seed as u64) << 32 | epoch as u64));
    order
}
