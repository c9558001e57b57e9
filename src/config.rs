//! Training configurations and the presets that reproduce the reference implementations.

use crate::nn::{Init, LayerSpec};
use crate::ops::activation::Activation;
use crate::optim::OptimizerConfig;

/// The generator's input noise.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Noise {
    Normal { std: f32 },
    Uniform { lo: f32, hi: f32 },
}

/// Targets for real images in the discriminator's loss (fakes always have 0).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum RealLabels {
    Hard,
    /// One-sided label smoothing: targets uniform in [lo, hi).
    Soft {
        lo: f32,
        hi: f32,
    },
}

/// How a step orders the two updates; both see the same batch and noise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Order {
    /// G's update, then D's (D judging the fakes G made before its update), each drawing its own
    /// dropout masks in D: the reference's order.
    GeneratorFirst,
    /// D's update, then G's through the updated D: the order of the paper's Algorithm 1 with k = 1
    /// (which draws new noise for G's update).
    DiscriminatorFirst,
    /// Both gradients from one judgement of the fakes, before either update: G's loss through D with
    /// the masks D's own update draws for the fakes. What the paper's code does (pylearn2 takes one
    /// SGD step on the sum of both objectives, AdversaryCost2).
    Simultaneous,
}

/// Where G's output bias starts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputBias {
    /// Drawn as `generator_init` draws G's other biases.
    #[default]
    Init,
    /// The log-odds of each pixel's mean over the training images (clipped to [1e-7, 1 - 1e-7]), so
    /// that G starts near the mean image: pylearn2's init_sigmoid_bias_from_marginals, which the
    /// paper's mnist.yaml sets.
    Marginals,
}

/// Momentum rising linearly from `start` (epoch 1) to `end` (epoch `epochs`), as pylearn2's
/// MomentumAdjustor; applied to an SGD optimizer at the start of each epoch.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MomentumRamp {
    pub start: f32,
    pub end: f32,
    pub epochs: usize,
}

/// From `from_epoch` epochs on, D's learning rate is `discriminator_lr_factor` times what it was
/// (two time-scale updates, Heusel et al. 2017), so that D follows G more closely: meant to judge how
/// often G draws each kind of digit better (docs/quality.md has the measurements). A later phase
/// multiplies the rate again.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TwoTimeScale {
    pub from_epoch: usize,
    pub discriminator_lr_factor: f32,
}

/// How the average of G (`ema`) weighs the G of each step since its first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmaWeights {
    /// average = decay · average + (1 − decay) · G, the usual PyTorch loop: the copy of G that the
    /// average starts from keeps decay^n of the weight after n steps (0.99998 over 105,000 steps: 12%).
    #[default]
    FromCopy,
    /// Each step's G weighs decay^age, divided by the sum of those weights, so that the first weighs
    /// no more than any other: what `gan-wgpu average --decay` computes over a run's snapshots.
    Normalised,
    /// G at the last step of each epoch after `ema_from_epoch` alone, weighed as `Normalised` weighs
    /// steps, with `ema` a decay per epoch, where 1 weighs them alike: what `gan-wgpu average`
    /// computes over the snapshots of those epochs, kept in the run.
    EpochEnds,
}

impl EmaWeights {
    /// The name the configuration file gives these weights (`ema_weights`).
    pub fn name(self) -> &'static str {
        match self {
            EmaWeights::FromCopy => "from_copy",
            EmaWeights::Normalised => "normalised",
            EmaWeights::EpochEnds => "epoch_ends",
        }
    }

    /// Whether an average of these weights takes this decay ([`EmaWeights::decays_taken`]).
    pub fn takes_decay(self, decay: f32) -> bool {
        match self {
            EmaWeights::EpochEnds => decay > 0.0 && decay <= 1.0,
            EmaWeights::FromCopy | EmaWeights::Normalised => (0.0..1.0).contains(&decay),
        }
    }

    /// The decays that [`EmaWeights::takes_decay`] takes, said for an error message.
    pub fn decays_taken(self) -> &'static str {
        match self {
            EmaWeights::EpochEnds => "above 0 and at most 1 (a decay per epoch; 1 weighs the epochs alike)",
            EmaWeights::FromCopy | EmaWeights::Normalised => "at least 0 and below 1 (a decay per step)",
        }
    }
}

/// The learning rates over a run (besides SGD's own per-step division, `lr_decay`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LrSchedule {
    /// The optimizers' own.
    #[default]
    Constant,
    /// From the configured lr down to zero at the last step of `epochs` (a resumed run that changes
    /// --epochs stretches the rest of the line).
    LinearToZero,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Config {
    pub preset: String,
    pub seed: u32,
    pub batch: usize,
    pub epochs: usize,
    pub z_dim: usize,
    pub noise: Noise,
    /// Hidden layers of G; a linear layer to the image and a sigmoid follow.
    pub generator: Vec<LayerSpec>,
    pub generator_init: Init,
    /// Hidden layers of D; a linear layer to one unit and a sigmoid follow.
    pub discriminator: Vec<LayerSpec>,
    pub discriminator_init: Init,
    pub optimizer_g: OptimizerConfig,
    pub optimizer_d: OptimizerConfig,
    pub momentum_ramp: Option<MomentumRamp>,
    pub real_labels: RealLabels,
    pub order: Order,
    /// Where G's output bias starts.
    #[serde(default)]
    pub generator_output_bias: OutputBias,
    /// Keep an exponential moving average of G's weights with this decay (per step; per epoch over
    /// epochs' ends, `ema_weights`) and sample from it: the epoch grids, `generator.safetensors`.
    /// Batch-norm statistics are G's own.
    #[serde(default)]
    pub ema: Option<f32>,
    /// The epoch from which the average of G averages (`ema`): before it the average is a copy of G,
    /// so that the first epochs, far from any good generator, weigh nothing.
    #[serde(default)]
    pub ema_from_epoch: usize,
    /// How the average weighs the steps since `ema_from_epoch`.
    #[serde(default)]
    pub ema_weights: EmaWeights,
    /// The last N training images are held out: never trained on, kept to score G while it trains
    /// (the paper trained on MNIST's first 50,000 and validated on the last 10,000).
    #[serde(default)]
    pub validation_images: usize,
    /// How both optimizers' learning rates change over the run.
    #[serde(default)]
    pub lr_schedule: LrSchedule,
    /// Phases of a faster D, by epoch; none: D's optimizer as configured throughout.
    #[serde(default, deserialize_with = "one_phase_or_several")]
    pub two_time_scale: Vec<TwoTimeScale>,
    /// The dataset, by name (mnist, fashion-mnist).
    #[serde(default = "mnist")]
    pub dataset: String,
    /// Train on the first N images only (after the held-out ones are set aside).
    #[serde(default)]
    pub limit: Option<usize>,
}

fn mnist() -> String {
    "mnist".into()
}

/// `two_time_scale` as a list of phases, or as runs wrote it before it took several: one phase, or
/// null for none.
fn one_phase_or_several<'de, D: serde::Deserializer<'de>>(reader: D) -> Result<Vec<TwoTimeScale>, D::Error> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Written {
        Several(Vec<TwoTimeScale>),
        One(TwoTimeScale),
    }
    let written = <Option<Written> as serde::Deserialize>::deserialize(reader).map_err(|_| {
        <D::Error as serde::de::Error>::custom(
            "two_time_scale: expected a phase {\"from_epoch\": E, \"discriminator_lr_factor\": F}, a list of them, or null",
        )
    })?;
    Ok(match written {
        Some(Written::Several(phases)) => phases,
        Some(Written::One(phase)) => vec![phase],
        None => Vec::new(),
    })
}

pub const PRESETS: [&str; 8] =
    ["seed-baseline", "seed", "paper", "tuned", "quality", "paper-ema", "paper-code", "paper-code-ema"];

fn linear(outputs: usize, activation: Activation) -> LayerSpec {
    LayerSpec::Linear { outputs, activation }
}

/// Linear layers of these widths, each followed by batch norm and ReLU.
fn batchnorm_generator(widths: [usize; 2]) -> Vec<LayerSpec> {
    let hidden = |n| {
        [linear(n, Activation::Identity), LayerSpec::BatchNorm, LayerSpec::Activation { activation: Activation::Relu }]
    };
    widths.into_iter().flat_map(hidden).collect()
}

fn seed_generator(batchnorm: bool) -> Vec<LayerSpec> {
    if batchnorm {
        batchnorm_generator([256, 512])
    } else {
        vec![linear(256, Activation::Relu), linear(512, Activation::Relu)]
    }
}

fn seed_discriminator() -> Vec<LayerSpec> {
    vec![
        LayerSpec::Maxout { units: 512, pieces: 3 },
        LayerSpec::Dropout { keep: 0.5 },
        LayerSpec::Maxout { units: 256, pieces: 3 },
    ]
}

impl Config {
    /// A preset by name (see [`PRESETS`] and README.md).
    pub fn preset(name: &str) -> Option<Self> {
        let seed = Config {
            preset: name.into(),
            seed: 0,
            batch: 64,
            epochs: 30,
            z_dim: 100,
            noise: Noise::Normal { std: 1.0 },
            generator: seed_generator(true),
            generator_init: Init::PyTorch,
            discriminator: seed_discriminator(),
            discriminator_init: Init::PyTorch,
            optimizer_g: OptimizerConfig::adam(2e-4, 0.9),
            optimizer_d: OptimizerConfig::sgd(2e-4, 0.9),
            momentum_ramp: None,
            real_labels: RealLabels::Soft { lo: 0.9, hi: 1.0 },
            order: Order::GeneratorFirst,
            generator_output_bias: OutputBias::Init,
            ema: None,
            ema_from_epoch: 0,
            ema_weights: EmaWeights::FromCopy,
            validation_images: 0,
            lr_schedule: LrSchedule::Constant,
            two_time_scale: Vec::new(),
            dataset: mnist(),
            limit: None,
        };
        Some(match name {
            "seed" => seed,
            "seed-baseline" => Config {
                generator: seed_generator(false),
                optimizer_g: OptimizerConfig::sgd(0.01, 0.9),
                optimizer_d: OptimizerConfig::sgd(0.01, 0.9),
                real_labels: RealLabels::Hard,
                ..seed
            },
            "tuned" => Config {
                epochs: 10,
                optimizer_g: OptimizerConfig::adam(2e-4, 0.5),
                optimizer_d: OptimizerConfig::adam(2e-4, 0.5),
                ..seed
            },
            "quality" => Config {
                epochs: 20,
                generator: batchnorm_generator([1200, 1200]),
                optimizer_g: OptimizerConfig::adam(2e-4, 0.5),
                optimizer_d: OptimizerConfig::adam(2e-4, 0.5),
                ema: Some(0.999),
                validation_images: 10_000,
                ..seed
            },
            "paper" => {
                let sgd = OptimizerConfig::Sgd {
                    lr: 0.1,
                    momentum: 0.5,
                    weight_decay: 0.0,
                    lr_decay: 1.000004,
                    lr_min: 1e-6,
                };
                let half = 3f32.sqrt();
                Config {
                    batch: 100,
                    epochs: 250,
                    noise: Noise::Uniform { lo: -half, hi: half },
                    generator: vec![linear(1200, Activation::Relu), linear(1200, Activation::Relu)],
                    generator_init: Init::Uniform { range: 0.05 },
                    discriminator: vec![
                        LayerSpec::Dropout { keep: 0.8 },
                        LayerSpec::Maxout { units: 240, pieces: 5 },
                        LayerSpec::Dropout { keep: 0.5 },
                        LayerSpec::Maxout { units: 240, pieces: 5 },
                        LayerSpec::Dropout { keep: 0.5 },
                    ],
                    discriminator_init: Init::Uniform { range: 0.005 },
                    optimizer_g: sgd.clone(),
                    optimizer_d: sgd,
                    momentum_ramp: Some(MomentumRamp { start: 0.5, end: 0.7, epochs: 250 }),
                    real_labels: RealLabels::Hard,
                    order: Order::DiscriminatorFirst,
                    // mnist.yaml trains on the first 50,000 images and keeps the rest for validation.
                    validation_images: 10_000,
                    ..seed
                }
            }
            // The paper's training, sampled from an average of G (which never feeds back into training).
            "paper-ema" => Config { preset: name.into(), ema: Some(0.999), ..Config::preset("paper")? },
            // The paper's code (goodfeli/adversarial: mnist.yaml, AdversaryCost2), where it differs
            // from the paper's text: both updates from one judgement, G's output bias from the marginals.
            "paper-code" => Config {
                preset: name.into(),
                order: Order::Simultaneous,
                generator_output_bias: OutputBias::Marginals,
                ..Config::preset("paper")?
            },
            // The paper's code for its 250 epochs, then 250 more with D three times as fast, four times
            // from epoch 350, sampled from G at the end of each epoch from 286 on, averaged alike: the
            // faster D evens out the digits, any epoch before it in the average brings back the excess
            // of 1s, and the longer window gains Parzen (docs/quality.md, "A faster D"; 286 because
            // the run measured kept its snapshots from there).
            "paper-code-ema" => Config {
                preset: name.into(),
                epochs: 500,
                two_time_scale: vec![
                    TwoTimeScale { from_epoch: 250, discriminator_lr_factor: 3.0 },
                    TwoTimeScale { from_epoch: 350, discriminator_lr_factor: 4.0 / 3.0 },
                ],
                ema: Some(1.0),
                ema_from_epoch: 285,
                ema_weights: EmaWeights::EpochEnds,
                ..Config::preset("paper-code")?
            },
            _ => return None,
        })
    }

    /// The phases of the configuration that start after its last epoch, said as a user would want to
    /// hear before training (a preset's average or faster D that `--epochs` cut off).
    pub fn phases_past_the_end(&self) -> Vec<String> {
        let mut phases = Vec::new();
        if let Some(decay) = self.ema {
            let from = self.ema_from_epoch;
            if from > 0 && from >= self.epochs {
                phases.push(format!(
                    "the average of G (decay {decay}) starts after epoch {from} and this run ends at epoch {}: \
                     it ships G itself",
                    self.epochs
                ));
            }
        }
        for &TwoTimeScale { from_epoch, discriminator_lr_factor } in &self.two_time_scale {
            if from_epoch >= self.epochs {
                phases.push(format!(
                    "D's learning rate ×{discriminator_lr_factor} (two_time_scale) starts after epoch {from_epoch} \
                     and this run ends at epoch {}",
                    self.epochs
                ));
            }
        }
        phases
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Error messages name the weights as the configuration file does.
    #[test]
    fn ema_weights_names_are_the_files_names() {
        for weights in [EmaWeights::FromCopy, EmaWeights::Normalised, EmaWeights::EpochEnds] {
            assert_eq!(serde_json::to_string(&weights).unwrap(), format!("\"{}\"", weights.name()));
        }
    }

    #[test]
    fn paper_ema_trains_as_paper_and_samples_an_average() {
        let (paper, averaged) = (Config::preset("paper").unwrap(), Config::preset("paper-ema").unwrap());
        assert_eq!((averaged.preset.as_str(), averaged.ema), ("paper-ema", Some(0.999)));
        assert_eq!(Config { preset: paper.preset.clone(), ema: None, ..averaged }, paper);
    }

    #[test]
    fn paper_code_is_paper_with_the_codes_order_and_output_bias() {
        let (paper, code) = (Config::preset("paper").unwrap(), Config::preset("paper-code").unwrap());
        assert_eq!((code.order, code.generator_output_bias), (Order::Simultaneous, OutputBias::Marginals));
        let as_paper = Config {
            preset: paper.preset.clone(),
            order: paper.order,
            generator_output_bias: paper.generator_output_bias,
            ..code.clone()
        };
        assert_eq!(as_paper, paper);
    }

    #[test]
    fn paper_code_ema_is_paper_code_then_a_faster_d_and_an_average_of_its_epochs() {
        let (code, averaged) = (Config::preset("paper-code").unwrap(), Config::preset("paper-code-ema").unwrap());
        let faster_d = TwoTimeScale { from_epoch: 250, discriminator_lr_factor: 3.0 };
        let four_times = TwoTimeScale { from_epoch: 350, discriminator_lr_factor: 4.0 / 3.0 };
        assert_eq!(
            (&averaged.two_time_scale, averaged.epochs, averaged.ema, averaged.ema_from_epoch, averaged.ema_weights),
            (&vec![faster_d, four_times], 500, Some(1.0), 285, EmaWeights::EpochEnds)
        );
        assert_eq!(
            four_times.discriminator_lr_factor, 1.3333334,
            "the factor of the run that the shipped generator comes from"
        );
        assert!(averaged.ema_from_epoch >= faster_d.from_epoch, "the average covers the faster D's epochs alone");
        assert_eq!(
            code.momentum_ramp.map(|ramp| ramp.epochs),
            Some(faster_d.from_epoch),
            "paper-code's schedule first"
        );
        let as_code = Config {
            preset: code.preset.clone(),
            epochs: code.epochs,
            two_time_scale: Vec::new(),
            ema: None,
            ema_from_epoch: 0,
            ema_weights: EmaWeights::FromCopy,
            ..averaged
        };
        assert_eq!(as_code, code);
    }

    /// `config` as read back from a config.json written before `field` existed.
    fn read_without(config: &Config, field: &str) -> Config {
        let mut older = serde_json::to_value(config).unwrap();
        older.as_object_mut().unwrap().remove(field);
        serde_json::from_value(older).unwrap()
    }

    #[test]
    fn a_run_configured_before_the_averages_first_epoch_averages_from_the_start() {
        let paper_ema = Config::preset("paper-ema").unwrap();
        assert_eq!(read_without(&paper_ema, "ema_from_epoch"), paper_ema);
        assert_eq!(paper_ema.ema_from_epoch, 0);
        let averaged = Config::preset("paper-code-ema").unwrap();
        let older = Config { ema_weights: EmaWeights::FromCopy, ..averaged.clone() };
        assert_eq!(read_without(&averaged, "ema_weights"), older, "a run from before the option keeps its weights");
    }

    #[test]
    fn a_run_configured_before_the_output_bias_option_resumes_as_it_was_drawn() {
        let paper = Config::preset("paper").unwrap();
        assert_eq!(read_without(&paper, "generator_output_bias"), paper);
        let code = Config::preset("paper-code").unwrap();
        let text = serde_json::to_string(&code).unwrap();
        assert!(text.contains(r#""order":"simultaneous""#) && text.contains(r#""generator_output_bias":"marginals""#));
        assert_eq!(serde_json::from_str::<Config>(&text).unwrap(), code);
    }

    #[test]
    fn a_run_configured_before_the_two_time_scale_option_keeps_one_time_scale() {
        let code = Config::preset("paper-code").unwrap();
        assert_eq!(read_without(&code, "two_time_scale"), code);
        assert_eq!(code.two_time_scale, Vec::new());
    }

    #[test]
    fn a_run_configured_with_one_two_time_scale_phase_reads_as_a_list_of_one() {
        let phase = TwoTimeScale { from_epoch: 250, discriminator_lr_factor: 3.0 };
        let with = |written: serde_json::Value| {
            let mut config = serde_json::to_value(Config::preset("paper-code").unwrap()).unwrap();
            config["two_time_scale"] = written;
            serde_json::from_value::<Config>(config)
        };
        let one = serde_json::json!({"from_epoch": 250, "discriminator_lr_factor": 3.0});
        assert_eq!(with(one.clone()).unwrap().two_time_scale, vec![phase]);
        assert_eq!(with(serde_json::json!([one])).unwrap().two_time_scale, vec![phase]);
        assert_eq!(with(serde_json::Value::Null).unwrap().two_time_scale, Vec::new());
        let error = with(serde_json::json!({"from_epoch": 250})).unwrap_err().to_string();
        assert!(error.contains("two_time_scale: expected a phase"), "{error}");
    }

    #[test]
    fn a_run_too_short_for_its_presets_phases_is_told_so() {
        let full = Config {
            epochs: 400,
            ema_from_epoch: 250,
            two_time_scale: vec![
                TwoTimeScale { from_epoch: 250, discriminator_lr_factor: 3.0 },
                TwoTimeScale { from_epoch: 350, discriminator_lr_factor: 1.5 },
            ],
            ..Config::preset("paper-code-ema").unwrap()
        };
        assert_eq!(full.phases_past_the_end(), Vec::<String>::new());
        let short = Config { epochs: 250, ..full.clone() };
        let phases = short.phases_past_the_end();
        assert_eq!(phases.len(), 3, "{phases:?}");
        assert!(phases[0].contains("average of G") && phases[0].contains("250"), "{}", phases[0]);
        assert!(phases[1].contains("two_time_scale") && phases[1].contains("×3 ") && phases[1].contains("250"));
        assert!(phases[2].contains("two_time_scale") && phases[2].contains("×1.5") && phases[2].contains("350"));
        let phases = Config { epochs: 300, ..full.clone() }.phases_past_the_end();
        assert_eq!(phases.len(), 1, "{phases:?}");
        assert!(phases[0].contains("350"), "{}", phases[0]);
        assert_eq!(Config { epochs: 351, ..full }.phases_past_the_end(), Vec::<String>::new());
        assert_eq!(Config::preset("paper-ema").unwrap().phases_past_the_end(), Vec::<String>::new());
    }

    #[test]
    fn every_preset_has_its_own_name() {
        for name in PRESETS {
            assert_eq!(Config::preset(name).unwrap().preset, name);
        }
    }
}
