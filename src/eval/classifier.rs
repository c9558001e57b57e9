//! The digit classifier the evaluation measures samples with: an MLP trained by the project's own
//! kernels (softmax cross-entropy, Adam), saved as safetensors and reused.

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::checkpoint::{self, Stored, Values};
use crate::data::Split;
use crate::gan::epoch_order;
use crate::gpu::Gpu;
use crate::graph::InitialValues;
use crate::graph::gpu::GpuState;
use crate::graph::{Graph, Id, Op};
use crate::nn::{Apply, Init, LayerSpec, Network};
use crate::ops::activation::Activation;
use crate::ops::batch::pack_pixels;
use crate::optim::{Optimizer, OptimizerConfig};

const FORMAT: &str = "gan-wgpu classifier";
/// Images per forward pass when predicting.
const PREDICT_CHUNK: usize = 1000;

/// How the classifier is built and trained.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ClassifierConfig {
    pub hidden: Vec<usize>,
    /// Dropout keep probability after each hidden layer.
    pub keep: f32,
    pub epochs: usize,
    pub batch: usize,
    pub lr: f32,
    pub seed: u32,
}

impl Default for ClassifierConfig {
    /// 784-512-512-10 with dropout and Adam: 98% on MNIST's test set within a few epochs.
    fn default() -> Self {
        Self { hidden: vec![512, 512], keep: 0.8, epochs: 8, batch: 100, lr: 1e-3, seed: 0 }
    }
}

impl ClassifierConfig {
    pub fn layers(&self, classes: usize) -> Vec<LayerSpec> {
        let mut layers: Vec<LayerSpec> = self
            .hidden
            .iter()
            .flat_map(|&outputs| {
                [LayerSpec::Linear { outputs, activation: Activation::Relu }, LayerSpec::Dropout { keep: self.keep }]
            })
            .collect();
        layers.push(LayerSpec::Linear { outputs: classes, activation: Activation::Identity });
        layers
    }
}

/// One training step of the classifier as graph operations, on training images kept on the GPU.
pub struct TrainingGraph {
    pub graph: Graph,
    pub network: Network,
    pub optimizer: Optimizer,
    pub images: Id,
    pub labels: Id,
    pub order: Id,
    pub losses: Id,
    pub step: Vec<Op>,
}

impl TrainingGraph {
    pub fn new(config: &ClassifierConfig, pixels: usize, classes: usize, train_count: usize) -> Self {
        let mut graph = Graph::new(config.seed);
        let network = Network::new(&mut graph, "C", 1, pixels, &config.layers(classes), Init::PyTorch);
        let optimizer =
            Optimizer::new(&mut graph, "C.optimizer", OptimizerConfig::adam(config.lr, 0.9), &network.params());
        let images = graph.tensor_u32("images", &[train_count * pixels / 4]);
        let labels = graph.tensor_u32("labels", &[train_count]);
        let order = graph.tensor_u32("order", &[train_count]);
        let losses = graph.tensor("C.losses", &[train_count / config.batch]);
        let x = graph.tensor("x", &[config.batch, pixels]);
        let targets = graph.tensor("targets", &[config.batch, classes]);
        let pass = network.apply(&mut graph, x, Apply::train_params(0));
        let rows = config.batch;
        let mut step = vec![
            Op::Gather { images, order, rows, dst_row: 0, out: x },
            Op::GatherOneHot { labels, order, rows, out: targets },
        ];
        step.extend(pass.forward);
        step.push(Op::CrossEntropy { logits: pass.output, target: targets, grad: pass.d_output, losses });
        step.extend(pass.backward);
        step.extend(optimizer.step());
        step.push(Op::Advance);
        Self { graph, network, optimizer, images, labels, order, losses, step }
    }

    /// Initial parameters, the optimizer's hyper-parameters and the training data.
    pub fn initial_values(&self, config: &ClassifierConfig, train: &Split) -> InitialValues {
        let mut rng = StdRng::seed_from_u64(config.seed as u64);
        InitialValues {
            f32s: self.network.initial_values(&self.graph, &mut rng),
            u32s: vec![
                (self.optimizer.hyper, self.optimizer.initial_hyper()),
                (self.images, pack_pixels(&train.pixels)),
                (self.labels, train.labels.iter().map(|&l| l as u32).collect()),
            ],
        }
    }
}

/// A classifier's outputs for a set of images.
pub struct Predictions {
    /// count × classes.
    pub probs: Vec<f32>,
    /// count × feature_dims: the last hidden layer, what the Fréchet distance compares.
    pub features: Vec<f32>,
    pub feature_dims: usize,
}

impl Predictions {
    pub fn labels(&self, classes: usize) -> Vec<usize> {
        self.probs.chunks(classes).map(super::metrics::predicted_class).collect()
    }
}

pub struct Classifier {
    pub config: ClassifierConfig,
    pub pixels: usize,
    pub classes: usize,
    /// Accuracy on the test set it was checked against when trained.
    pub test_accuracy: f64,
    weights: HashMap<String, Stored>,
}

impl Classifier {
    /// Trains on `train` and measures the accuracy on `test`.
    pub fn train(
        gpu: &Gpu,
        config: &ClassifierConfig,
        train: &Split,
        test: &Split,
        progress: bool,
    ) -> anyhow::Result<Self> {
        let (pixels, classes) = (train.size(), 10);
        if config.batch == 0 || config.batch > train.count {
            bail!("classifier batch {} must be between 1 and the {} training images", config.batch, train.count);
        }
        let model = TrainingGraph::new(config, pixels, classes, train.count);
        let state = GpuState::new(gpu, &model.graph);
        state.load(gpu, &model.initial_values(config, train));
        let program = state.program(gpu, &model.step);
        let steps = train.count / config.batch;
        let bar = if progress { ProgressBar::new((config.epochs * steps) as u64) } else { ProgressBar::hidden() };
        bar.set_style(
            ProgressStyle::with_template("classifier {bar:30} {pos}/{len} steps, ETA {eta} | {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        let started = Instant::now();
        for epoch in 0..config.epochs {
            state.write_u32(gpu, model.order, &epoch_order(config.seed, epoch, train.count));
            for _ in 0..steps {
                gpu.run(|pass| program.record(pass));
                bar.inc(1);
            }
            let losses = pollster::block_on(state.read_f32(gpu, model.losses))?;
            let mean = losses.iter().sum::<f32>() / losses.len() as f32;
            if !mean.is_finite() {
                bail!("the classifier's loss became {mean} in epoch {}", epoch + 1);
            }
            let message = format!("epoch {}/{}, loss {mean:.4}", epoch + 1, config.epochs);
            if progress && bar.is_hidden() {
                // No terminal for the bar (a log file): a line per epoch instead.
                eprintln!("classifier {message}, {:.0} s", started.elapsed().as_secs_f64());
            }
            bar.set_message(message);
        }
        bar.finish_and_clear();
        let mut weights = HashMap::new();
        for p in model.network.params() {
            let info = &model.graph.tensors[p.value];
            let values = pollster::block_on(state.read_f32(gpu, p.value))?;
            weights.insert(info.name.clone(), Stored { shape: info.shape.clone(), values: Values::F32(values) });
        }
        let mut classifier = Self { config: config.clone(), pixels, classes, test_accuracy: 0.0, weights };
        classifier.test_accuracy = classifier.accuracy(gpu, test)?;
        if progress {
            eprintln!(
                "classifier trained in {:.0} s: {:.2}% on {} test images",
                started.elapsed().as_secs_f64(),
                100.0 * classifier.test_accuracy,
                test.count
            );
        }
        Ok(classifier)
    }

    /// Share of `split`'s images whose label is the predicted class.
    pub fn accuracy(&self, gpu: &Gpu, split: &Split) -> anyhow::Result<f64> {
        let predicted = self.predict(gpu, &split.to_f32())?.labels(self.classes);
        let correct = predicted.iter().zip(&split.labels).filter(|(p, l)| **p == **l as usize).count();
        Ok(correct as f64 / split.count as f64)
    }

    /// Class probabilities and features of `images` (rows of `pixels` values in [0, 1]).
    pub fn predict(&self, gpu: &Gpu, images: &[f32]) -> anyhow::Result<Predictions> {
        let count = images.len() / self.pixels;
        let chunk = count.clamp(1, PREDICT_CHUNK);
        let mut graph = Graph::new(0);
        let layers = self.config.layers(self.classes);
        let network = Network::new(&mut graph, "C", 1, self.pixels, &layers, Init::PyTorch);
        let x = graph.tensor("x", &[chunk, self.pixels]);
        let pass = network.apply(&mut graph, x, Apply::eval(0));
        let probs = graph.like("probs", pass.output);
        // The last hidden layer: the output of the Linear before the output layer.
        let feature_layer = layers[..layers.len() - 1]
            .iter()
            .rposition(|l| matches!(l, LayerSpec::Linear { .. }))
            .context("the classifier has no hidden layer")?;
        let features = pass.layer_outputs.iter().find(|(i, _)| *i == feature_layer).expect("hidden layer").1;
        let feature_dims = graph.shape(features)[1];
        let mut ops = pass.forward;
        ops.push(Op::Softmax { logits: pass.output, probs });
        let state = GpuState::new(gpu, &graph);
        for p in network.params() {
            let name = &graph.tensors[p.value].name;
            match &self.weights.get(name).context("classifier weight missing")?.values {
                Values::F32(v) => state.write_f32(gpu, p.value, v),
                Values::U32(_) | Values::I64(_) => bail!("classifier weight {name} should hold f32 values"),
            }
        }
        let program = state.program(gpu, &ops);
        let mut out = Predictions { probs: Vec::new(), features: Vec::new(), feature_dims };
        for start in (0..count).step_by(chunk) {
            let n = chunk.min(count - start);
            let mut block = images[start * self.pixels..(start + n) * self.pixels].to_vec();
            block.resize(chunk * self.pixels, 0.0);
            state.write_f32(gpu, x, &block);
            gpu.run(|pass| program.record(pass));
            let p = pollster::block_on(state.read_f32(gpu, probs))?;
            let f = pollster::block_on(state.read_f32(gpu, features))?;
            out.probs.extend_from_slice(&p[..n * self.classes]);
            out.features.extend_from_slice(&f[..n * feature_dims]);
        }
        Ok(out)
    }

    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        let metadata = HashMap::from([
            ("format".to_string(), FORMAT.to_string()),
            ("config".to_string(), serde_json::to_string(&self.config)?),
            ("pixels".to_string(), self.pixels.to_string()),
            ("classes".to_string(), self.classes.to_string()),
            ("test_accuracy".to_string(), self.test_accuracy.to_string()),
        ]);
        let mut tensors: Vec<(String, Stored)> = self.weights.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        tensors.sort_by(|a, b| a.0.cmp(&b.0));
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        }
        Ok(checkpoint::save(path, &tensors, metadata)?)
    }

    /// A classifier written by [`Classifier::save`]; every weight is checked against the shape its
    /// configuration implies.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let loaded = checkpoint::load(path)?;
        if loaded.metadata.get("format").map(String::as_str) != Some(FORMAT) {
            bail!("{} is not a gan-wgpu classifier (no \"format\": {FORMAT:?} in its metadata)", path.display());
        }
        let config: ClassifierConfig = loaded.metadata_json("config")?;
        let pixels: usize = loaded.metadata_json("pixels")?;
        let classes: usize = loaded.metadata_json("classes")?;
        let test_accuracy: f64 = loaded.metadata_json("test_accuracy")?;
        let mut graph = Graph::new(0);
        let network = Network::new(&mut graph, "C", 1, pixels, &config.layers(classes), Init::PyTorch);
        let mut weights = HashMap::new();
        for p in network.params() {
            let info = &graph.tensors[p.value];
            let values = loaded.get(&info.name, &info.shape)?.clone();
            weights.insert(info.name.clone(), Stored { shape: info.shape.clone(), values });
        }
        Ok(Self { config, pixels, classes, test_accuracy, weights })
    }
}
