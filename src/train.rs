//! The training loop: data on the GPU, one submission per step, losses read back every few steps,
//! and everything a user wants to see written into the run directory.

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use image::GrayImage;
use indicatif::{ProgressBar, ProgressStyle};

use crate::checkpoint::{self, Stored, Values};
use crate::config::{Config, LrSchedule, TwoTimeScale};
use crate::data::Split;
use crate::eval::quick::{self, QuickEval, Score};
use crate::gan::{Gan, Shapes, epoch_order};
use crate::generator::{Generator, GeneratorArchitecture, GeneratorFile};
use crate::gpu::Gpu;
use crate::graph::gpu::{GpuProgram, GpuState};
use crate::graph::{Id, Kind};
use crate::ops::batch::pack_pixels;
use crate::ops::sgd::SgdHyper;
use crate::optim::{Optimizer, OptimizerConfig};

/// Samples in every grid: a 10×10 grid.
pub const SAMPLES: usize = 100;
pub const CHECKPOINT: &str = "checkpoint.safetensors";
pub const GENERATOR: &str = "generator.safetensors";
/// The generator with the best validation Parzen estimate so far.
pub const BEST: &str = "best.safetensors";
pub const METRICS: &str = "metrics.csv";
/// The folder of G's snapshots (`--snapshot-every`).
pub const SNAPSHOTS: &str = "snapshots";

/// How to run, beyond the configuration.
#[derive(Clone, Debug)]
pub struct RunOptions {
    pub out: PathBuf,
    /// Steps between loss read-backs (and the length of the GPU's loss history).
    pub log_every: usize,
    pub progress: bool,
    /// Set (by Ctrl-C) to stop after the current step, saving a checkpoint.
    pub stop: Arc<AtomicBool>,
    /// Keep G as trained after every this many epochs in `snapshots/`, to average later.
    pub snapshot_every: Option<usize>,
}

/// The checkpoint's record of the training images: SHA-256 of their pixels, in hex.
const IMAGES_DIGEST: &str = "train_images_sha256";
/// The checkpoint's record of the kernel variants the run trains with ([`crate::gpu::tune::RunKernels`]).
const KERNELS: &str = "kernels";

/// Checks a configuration against the data and the device before any GPU work.
/// `max_buffer_bytes`: the device's limit on a storage buffer, once a device is open.
pub fn validate(config: &Config, train_count: usize, max_buffer_bytes: Option<u64>) -> anyhow::Result<()> {
    ensure!(config.batch > 0, "--batch must be at least 1");
    ensure!(config.epochs > 0, "--epochs must be at least 1");
    ensure!(config.z_dim > 0, "z_dim must be at least 1");
    let divides = |o: &OptimizerConfig| matches!(o, OptimizerConfig::Sgd { lr_decay, .. } if *lr_decay != 1.0);
    ensure!(
        config.lr_schedule == LrSchedule::Constant || !(divides(&config.optimizer_g) || divides(&config.optimizer_d)),
        "lr_schedule {:?} and SGD's lr_decay both set the learning rate; keep one",
        config.lr_schedule
    );
    if let Some(decay) = config.ema {
        let weights = config.ema_weights;
        ensure!(
            weights.takes_decay(decay),
            "ema {decay}: with ema_weights \"{}\" the decay must be {}",
            weights.name(),
            weights.decays_taken()
        );
    }
    for &TwoTimeScale { discriminator_lr_factor: factor, .. } in &config.two_time_scale {
        ensure!(
            factor.is_finite() && factor > 0.0,
            "two_time_scale: discriminator_lr_factor {factor} is not a positive number"
        );
    }
    let starts: Vec<usize> = config.two_time_scale.iter().map(|phase| phase.from_epoch).collect();
    ensure!(
        starts.windows(2).all(|pair| pair[0] < pair[1]),
        "two_time_scale: the phases start at epochs {starts:?}; list them in order, one per epoch"
    );
    if !config.two_time_scale.is_empty() {
        ensure!(
            config.lr_schedule == LrSchedule::Constant,
            "two_time_scale and lr_schedule {:?} both set D's learning rate (the schedule recomputes it from \
             optimizer_d.lr at every step); keep one",
            config.lr_schedule
        );
    }
    ensure!(config.batch <= train_count, "--batch {} is larger than the {train_count} training images", config.batch);
    if let Some(limit) = max_buffer_bytes {
        // The widest activation: D's [real; fake] batch of images.
        let bytes = (2 * config.batch * 784 * 4) as u64;
        ensure!(bytes <= limit, "--batch {} needs {bytes}-byte buffers; this device allows {limit}", config.batch);
    }
    Ok(())
}

/// Creates the run directory (or checks the existing one) and that files can be written there.
pub fn prepare_run_dir(dir: &Path) -> anyhow::Result<()> {
    fs::create_dir_all(dir.join("samples"))
        .with_context(|| format!("cannot create the run directory {}", dir.display()))?;
    let probe = dir.join(".write-test");
    fs::write(&probe, b"").with_context(|| format!("the run directory {} is not writable", dir.display()))?;
    fs::remove_file(probe).ok();
    Ok(())
}

/// A run in progress.
pub struct Trainer<'a> {
    gpu: &'a Gpu,
    pub gan: Gan,
    state: GpuState,
    step_program: GpuProgram,
    /// The step at an epoch's other steps, and the step of the clock it applies from (where the
    /// average starts): it leaves out work that only an epoch's end needs ([`Gan::train_step_inside_epoch`]).
    inside_epoch_program: Option<(u64, GpuProgram)>,
    sample_program: GpuProgram,
    options: RunOptions,
    /// Steps done so far, over all epochs.
    pub step: u64,
    steps_per_epoch: u64,
    /// Losses read back so far: (step, D loss, G loss).
    pub losses: Vec<(u64, f32, f32)>,
    /// Steps whose losses have been read back.
    read_to: u64,
    /// Scores G every `every` epochs, where the run holds out images for it.
    scoring: Option<Scoring>,
    /// SHA-256 of the training images' pixels: a resumed run must see the same images.
    images_digest: String,
}

struct Scoring {
    quick: QuickEval,
    every: usize,
    /// The best validation Parzen estimate so far (the one `best.safetensors` has).
    best: Option<f64>,
    latest: Option<Score>,
}

/// Has `gpu` take the kernels the run in `loaded` trained with; where it cannot (another adapter, a
/// checkpoint written before they were recorded, a damaged record), says so: the run then goes on
/// with kernels chosen afresh, and may round differently from an uninterrupted run.
fn keep_run_kernels(gpu: &Gpu, loaded: &checkpoint::Loaded) {
    let why_not = match loaded.metadata.get(KERNELS) {
        None => "the checkpoint does not record the kernels the run used (written by an older version)".to_string(),
        Some(_) => match loaded.metadata_json(KERNELS) {
            Ok(run) => match gpu.keep_run_kernels(&run) {
                Ok(()) => return,
                Err(why) => why,
            },
            Err(e) => e.to_string(),
        },
    };
    eprintln!("note: {why_not}; the kernels are chosen afresh, so the resumed run may round differently");
}

/// The time the `left` steps should take at the pace of the `done` steps so far (`elapsed`,
/// scoring included); None before the first or after the last.
fn time_left(elapsed: Duration, done: u64, left: u64) -> Option<Duration> {
    (done > 0 && left > 0).then(|| elapsed.mul_f64(left as f64 / done as f64))
}

impl<'a> Trainer<'a> {
    /// Sets up a run on `train` (uploaded once), fresh or resumed from the run directory's checkpoint.
    pub fn new(
        gpu: &'a Gpu,
        config: &Config,
        train: &Split,
        options: RunOptions,
        resume: bool,
    ) -> anyhow::Result<Self> {
        let pixels = train.rows * train.cols;
        let shapes =
            Shapes { pixels, train_count: train.count, loss_slots: options.log_every.max(1), samples: SAMPLES };
        let gan = Gan::new(config, shapes);
        let resumed = match resume {
            true => Some(checkpoint::load(&options.out.join(CHECKPOINT))?),
            false => None,
        };
        // Before any dispatch is made: the kernels the run trained with, so that it stays exact.
        if let Some(loaded) = &resumed {
            keep_run_kernels(gpu, loaded);
        }
        let state = GpuState::new(gpu, &gan.graph);
        let images = &train.pixels[..train.count * pixels];
        state.load(gpu, &gan.initial_values(images));
        state.write_u32(gpu, gan.images, &pack_pixels(images));
        let mut trainer = Trainer {
            gpu,
            step_program: state.program(gpu, &gan.train_step),
            inside_epoch_program: gan
                .train_step_inside_epoch()
                .map(|inside| (inside.from_step, state.program(gpu, &inside.ops))),
            sample_program: state.program(gpu, &gan.sample),
            state,
            steps_per_epoch: (train.count / config.batch) as u64,
            gan,
            options,
            step: 0,
            losses: Vec::new(),
            read_to: 0,
            scoring: None,
            images_digest: crate::sha256_hex(&train.pixels[..train.count * pixels]),
        };
        if let Some(loaded) = resumed {
            trainer.restore(loaded)?;
        } else {
            fs::write(trainer.path("losses.csv"), "step,d_loss,g_loss\n").context("cannot write losses.csv")?;
        }
        // A resumed run's settings as they now are (--epochs, a started average), for the next resume.
        let json = serde_json::to_string_pretty(config)?;
        fs::write(trainer.path("config.json"), json).context("cannot write config.json")?;
        Ok(trainer)
    }

    /// Scores G every `every` epochs with `quick`: `metrics.csv` and `best.safetensors`. Call before
    /// [`Trainer::run`]; a resumed run keeps the rows and the best score up to its checkpoint.
    pub fn score_every(&mut self, every: usize, quick: QuickEval) -> anyhow::Result<()> {
        ensure!(every > 0, "--eval-every must be at least 1 epoch");
        let parzens = self.keep_rows_to_step(METRICS, quick::CSV_HEADER, |fields| match fields {
            [_, step, parzen, ..] => Some((step.parse().ok()?, parzen.parse::<f64>().ok()?)),
            _ => None,
        })?;
        let best = parzens.into_iter().reduce(f64::max);
        self.scoring = Some(Scoring { quick, every, best, latest: None });
        Ok(())
    }

    /// Rewrites the CSV file `name` with `header` and the rows of steps up to the current one (later
    /// rows belong to steps that will run again), and returns what `parse` makes of the kept rows; a
    /// row is kept where `parse` gives its step and values.
    fn keep_rows_to_step<T>(
        &self,
        name: &str,
        header: &str,
        parse: impl Fn(&[&str]) -> Option<(u64, T)>,
    ) -> anyhow::Result<Vec<T>> {
        let csv = fs::read_to_string(self.path(name)).unwrap_or_default();
        let mut kept = format!("{header}\n");
        let mut values = Vec::new();
        for line in csv.lines().skip(1) {
            let fields: Vec<&str> = line.split(',').collect();
            if let Some((step, value)) = parse(&fields)
                && step <= self.step
            {
                values.push(value);
                kept.push_str(line);
                kept.push('\n');
            }
        }
        fs::write(self.path(name), kept).with_context(|| format!("cannot rewrite {name}"))?;
        Ok(values)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.options.out.join(name)
    }

    /// The epochs done (whole ones), which is the 0-based index of the epoch the next step is in.
    pub fn epoch(&self) -> usize {
        (self.step / self.steps_per_epoch) as usize
    }

    /// The steps of the whole run, its configured epochs.
    pub fn total_steps(&self) -> u64 {
        self.gan.config.epochs as u64 * self.steps_per_epoch
    }

    /// Trains to the configured number of epochs (or until stopped). Returns whether it finished.
    pub fn run(&mut self) -> anyhow::Result<bool> {
        let config = self.gan.config.clone();
        let total = self.total_steps();
        let bar = if self.options.progress { ProgressBar::new(total) } else { ProgressBar::hidden() };
        bar.set_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len} steps, {elapsed} elapsed, ETA {eta} | {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_position(self.step);
        let started = (Instant::now(), self.step);
        while self.step < total {
            let epoch = self.epoch();
            if self.step.is_multiple_of(self.steps_per_epoch) || self.step == started.1 {
                self.start_epoch(epoch);
            }
            self.start_two_time_scale()?;
            let program = match &self.inside_epoch_program {
                Some((from_step, inside))
                    if self.step >= *from_step && !(self.step + 1).is_multiple_of(self.steps_per_epoch) =>
                {
                    inside
                }
                _ => &self.step_program,
            };
            self.gpu.run(|pass| program.record(pass));
            self.step += 1;
            let epoch_done = self.step.is_multiple_of(self.steps_per_epoch);
            let stopping = self.options.stop.load(Ordering::SeqCst);
            let logging = self.step.is_multiple_of(self.options.log_every as u64) || epoch_done || stopping;
            // The speed up to this step, measured before the epoch's end adds its scoring.
            let rate = logging
                .then(|| (self.step - started.1) as f64 * config.batch as f64 / started.0.elapsed().as_secs_f64());
            if logging {
                self.read_losses()?;
            }
            if epoch_done {
                self.end_epoch(epoch)?;
            }
            if let Some(rate) = rate {
                bar.set_message(self.progress(epoch, rate));
                bar.set_position(self.step);
            }
            // Where stderr is no terminal (a log file) the bar draws nothing: a line per epoch instead.
            if epoch_done && self.options.progress && bar.is_hidden() {
                let elapsed = started.0.elapsed();
                let left = time_left(elapsed, self.step - started.1, total - self.step)
                    .map(|left| format!(", about {} left", indicatif::HumanDuration(left)))
                    .unwrap_or_default();
                eprintln!("step {}/{total}, {}{left}: {}", self.step, indicatif::HumanDuration(elapsed), bar.message());
            }
            if stopping {
                bar.abandon_with_message("stopped: checkpoint saved");
                self.save_checkpoint()?;
                return Ok(false);
            }
        }
        bar.finish();
        self.finish()?;
        Ok(true)
    }

    /// The progress line: the epoch, the speed, the latest losses and the latest score.
    fn progress(&self, epoch: usize, rate: f64) -> String {
        let (_, d, g) = self.losses.last().copied().unwrap_or_default();
        let score = self.scoring.as_ref().and_then(|s| s.latest.as_ref()).map(|s| format!(", {}", s.brief()));
        let epochs = self.gan.config.epochs;
        format!("epoch {}/{epochs}, {rate:.0} samples/s, D {d:.3}, G {g:.3}{}", epoch + 1, score.unwrap_or_default())
    }

    /// The epoch's data order, and the momentum ramp where the preset has one.
    fn start_epoch(&self, epoch: usize) {
        let order = epoch_order(self.gan.config.seed, epoch, self.gan.shapes.train_count);
        self.state.write_u32(self.gpu, self.gan.order, &order);
        if let Some(momentum) = self.gan.momentum(epoch) {
            for optimizer in [&self.gan.optimizer_g, &self.gan.optimizer_d] {
                self.state.u32(optimizer.hyper).write_at(self.gpu, SgdHyper::MOMENTUM_WORD, &[momentum.to_bits()]);
            }
        }
    }

    /// Speeds up D's learning rate at the step where one of the configuration's two time-scale phases
    /// starts (at that step only: a run resumed after it finds the faster rate in its checkpoint).
    fn start_two_time_scale(&self) -> anyhow::Result<()> {
        let starting =
            self.gan.config.two_time_scale.iter().find(|p| self.step == p.from_epoch as u64 * self.steps_per_epoch);
        let Some(phase) = starting else { return Ok(()) };
        let hyper = self.gan.optimizer_d.hyper;
        let words = pollster::block_on(self.state.read_u32(self.gpu, hyper))?;
        let lr = f32::from_bits(words[Optimizer::LR_WORD]) * phase.discriminator_lr_factor;
        self.state.u32(hyper).write_at(self.gpu, Optimizer::LR_WORD, &[lr.to_bits()]);
        Ok(())
    }

    /// Reads the losses of the steps since the last read, and stops on a NaN or infinity.
    fn read_losses(&mut self) -> anyhow::Result<()> {
        let d = pollster::block_on(self.state.read_f32(self.gpu, self.gan.d_losses))?;
        let g = pollster::block_on(self.state.read_f32(self.gpu, self.gan.g_losses))?;
        let slots = d.len() as u64;
        assert!(self.step - self.read_to <= slots, "losses are read at least every {slots} steps");
        let mut csv =
            fs::OpenOptions::new().append(true).open(self.path("losses.csv")).context("cannot append to losses.csv")?;
        for step in self.read_to..self.step {
            let (dl, gl) = (d[(step % slots) as usize], g[(step % slots) as usize]);
            if !dl.is_finite() || !gl.is_finite() {
                bail!(
                    "the loss became {} at step {} (D {dl}, G {gl}); training stopped. The last good checkpoint is {}",
                    if dl.is_nan() || gl.is_nan() { "NaN" } else { "infinite" },
                    step + 1,
                    self.path(CHECKPOINT).display()
                );
            }
            writeln!(csv, "{},{dl},{gl}", step + 1)?;
            self.losses.push((step, dl, gl));
        }
        self.read_to = self.step;
        Ok(())
    }

    /// The generator's samples from the fixed noise, as a 10×10 grid.
    pub fn sample_grid(&self) -> anyhow::Result<GrayImage> {
        self.gpu.run(|pass| self.sample_program.record(pass));
        let samples = pollster::block_on(self.state.read_f32(self.gpu, self.gan.samples))?;
        Ok(crate::grid::samples_grid(&samples, self.gan.shapes.pixels))
    }

    fn end_epoch(&mut self, epoch: usize) -> anyhow::Result<()> {
        let grid = self.sample_grid()?;
        let path = self.path(&format!("samples/epoch_{:03}.png", epoch + 1));
        grid.save(&path).with_context(|| format!("cannot write {}", path.display()))?;
        // Scored before the checkpoint: a run stopped in between redoes the epoch, and its score.
        self.score(epoch)?;
        self.snapshot(epoch)?;
        self.save_checkpoint()?;
        let d: Vec<(u64, f32)> = self.losses.iter().map(|l| (l.0, l.1)).collect();
        let g: Vec<(u64, f32)> = self.losses.iter().map(|l| (l.0, l.2)).collect();
        crate::plot::losses(&d, &g, self.steps_per_epoch)?
            .save(self.path("losses.png"))
            .context("cannot write losses.png")?;
        Ok(())
    }

    /// Writes G as trained to `snapshots/epoch_NNN.safetensors` after `epoch` (0-based) where a
    /// snapshot is due: a generator file of its own, for `gan-wgpu average`.
    fn snapshot(&self, epoch: usize) -> anyhow::Result<()> {
        if !self.options.snapshot_every.is_some_and(|every| (epoch + 1).is_multiple_of(every)) {
            return Ok(());
        }
        let (tensors, mut metadata) = self.generator_file(self.gan.trained_generator())?;
        metadata.insert("epoch".into(), (epoch + 1).to_string());
        let dir = self.path(SNAPSHOTS);
        fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        checkpoint::save(&dir.join(format!("epoch_{:03}.safetensors", epoch + 1)), &tensors, metadata)?;
        Ok(())
    }

    /// Scores G after `epoch` (0-based) where this epoch is due; keeps `best.safetensors`.
    fn score(&mut self, epoch: usize) -> anyhow::Result<()> {
        let Some(scoring) = &self.scoring else { return Ok(()) };
        if !(epoch + 1).is_multiple_of(scoring.every) {
            return Ok(());
        }
        let file = self.shipped_generator()?;
        let generator = Generator::from_contents(Path::new("the generator in training"), &file, quick::SAMPLES)?;
        let (tensors, metadata) = file;
        let score = scoring.quick.score(self.gpu, &generator)?;
        let mut csv = fs::OpenOptions::new()
            .append(true)
            .open(self.path(METRICS))
            .with_context(|| format!("cannot append to {METRICS}"))?;
        writeln!(csv, "{},{},{}", epoch + 1, self.step, score.csv())?;
        let improved = scoring.best.is_none_or(|best| score.parzen.mean > best);
        if improved {
            let mut metadata = metadata;
            metadata.insert("validation_parzen".into(), score.parzen.mean.to_string());
            metadata.insert("epoch".into(), (epoch + 1).to_string());
            checkpoint::save(&self.path(BEST), &tensors, metadata)?;
        }
        let scoring = self.scoring.as_mut().expect("checked above");
        if improved {
            scoring.best = Some(score.parzen.mean);
        }
        scoring.latest = Some(score);
        self.plot_metrics()
    }

    /// `metrics.png`: each score of `metrics.csv` against the epoch (class figures where present).
    fn plot_metrics(&self) -> anyhow::Result<()> {
        let csv = fs::read_to_string(self.path(METRICS)).with_context(|| format!("cannot read {METRICS}"))?;
        let rows: Vec<Vec<&str>> = csv.lines().skip(1).map(|l| l.split(',').collect()).collect();
        let column = |index: usize| -> Vec<(f64, f64)> {
            rows.iter().filter_map(|r| Some((r.first()?.parse().ok()?, r.get(index)?.parse().ok()?))).collect()
        };
        let panels: Vec<(&str, Vec<(f64, f64)>)> = [
            ("validation Parzen log-likelihood (1,000 samples)", column(2)),
            ("Fréchet distance to held-out images", column(8)),
            ("classifier inception score", column(7)),
        ]
        .into_iter()
        .filter(|(_, points)| !points.is_empty())
        .collect();
        crate::plot::curves(&panels)?.save(self.path("metrics.png")).context("cannot write metrics.png")
    }

    fn finish(&mut self) -> anyhow::Result<()> {
        self.save_history()?;
        self.export_generator()?;
        // The final grid shows G on the noise it was trained on, as `generate --seed 0` does: the
        // epoch grids' fixed low-variance noise only shows the neighbourhood of z = 0.
        let generator = Generator::load(&self.path(GENERATOR), 100)?;
        let samples = pollster::block_on(generator.generate_gpu(self.gpu, 0))?;
        crate::grid::samples_grid(&samples, generator.architecture.pixels)
            .save(self.path("final.png"))
            .context("cannot write final.png")
    }

    /// Every epoch's grid, one after another, downscaled two to one.
    fn save_history(&self) -> anyhow::Result<()> {
        let grids: Vec<GrayImage> = (1..=self.epoch())
            .filter_map(|e| image::open(self.path(&format!("samples/epoch_{e:03}.png"))).ok())
            .map(|img| image::imageops::thumbnail(&img.to_luma8(), img.width() / 2, img.height() / 2))
            .collect();
        let Some(first) = grids.first() else { return Ok(()) };
        let columns = (grids.len() as f64).sqrt().ceil() as u32;
        let rows = (grids.len() as u32).div_ceil(columns);
        let mut history = GrayImage::new(columns * first.width(), rows * first.height());
        for (i, grid) in grids.iter().enumerate() {
            let (x, y) = ((i as u32 % columns) * first.width(), (i as u32 / columns) * first.height());
            image::imageops::replace(&mut history, grid, x as i64, y as i64);
        }
        history.save(self.path("history.png")).context("cannot write history.png")?;
        Ok(())
    }

    fn stored(&self, id: Id) -> anyhow::Result<Stored> {
        let info = &self.gan.graph.tensors[id];
        let values = match info.kind {
            Kind::F32 => Values::F32(pollster::block_on(self.state.read_f32(self.gpu, id))?),
            Kind::U32 => Values::U32(pollster::block_on(self.state.read_u32(self.gpu, id))?),
        };
        Ok(Stored { shape: info.shape.clone(), values })
    }

    /// The tensors `ids`, read back, under their graph names: what checkpoint files hold.
    fn named(&self, ids: impl IntoIterator<Item = Id>) -> anyhow::Result<Vec<(String, Stored)>> {
        ids.into_iter().map(|id| Ok((self.gan.graph.tensors[id].name.clone(), self.stored(id)?))).collect()
    }

    fn save_checkpoint(&self) -> anyhow::Result<()> {
        let tensors = self.named(self.gan.state_tensors())?;
        let metadata = HashMap::from([
            ("config".to_string(), serde_json::to_string(&self.gan.config)?),
            ("step".to_string(), self.step.to_string()),
            (IMAGES_DIGEST.to_string(), self.images_digest.clone()),
            (KERNELS.to_string(), serde_json::to_string(&self.gpu.run_kernels())?),
        ]);
        checkpoint::save(&self.path(CHECKPOINT), &tensors, metadata)?;
        Ok(())
    }

    /// Continues from the run directory's checkpoint (`loaded`) and loss log.
    fn restore(&mut self, loaded: checkpoint::Loaded) -> anyhow::Result<()> {
        let saved: Config = loaded.metadata_json("config")?;
        // An average of G may start at a resumed step; it never feeds back into training.
        let starts_average = saved.ema.is_none() && self.gan.config.ema.is_some();
        let ema = if starts_average { self.gan.config.ema } else { saved.ema };
        let same_model = Config { epochs: self.gan.config.epochs, ema, ..saved.clone() };
        ensure!(
            same_model == self.gan.config,
            "the checkpoint in {} was written by another configuration; resume with the run's own settings \
             (only --epochs may change, and --ema may start an average where the run keeps none)",
            self.options.out.display()
        );
        // Checkpoints written before the digest was kept have none to compare.
        if let Some(digest) = loaded.metadata.get(IMAGES_DIGEST) {
            ensure!(
                *digest == self.images_digest,
                "the training images differ from those the run in {} started with (another dataset directory, or \
                 changed files); resume with the same data",
                self.options.out.display()
            );
        }
        // A starting average takes G's saved values instead of its own (absent) ones.
        let copied_from: HashMap<Id, Id> = match starts_average {
            true => self.gan.shipped_generator().into_iter().map(|(g, average)| (average, g)).collect(),
            false => HashMap::new(),
        };
        for id in self.gan.state_tensors() {
            let info = &self.gan.graph.tensors[id];
            let name = &self.gan.graph.tensors[*copied_from.get(&id).unwrap_or(&id)].name;
            match loaded.get(name, &info.shape)? {
                Values::F32(v) => self.state.write_f32(self.gpu, id, v),
                Values::U32(v) => self.state.write_u32(self.gpu, id, v),
                Values::I64(_) => bail!("{}: {} holds int64 values, not the run's", CHECKPOINT, info.name),
            }
        }
        self.step = loaded.metadata_json("step")?;
        self.read_to = self.step;
        let losses = self.keep_rows_to_step("losses.csv", "step,d_loss,g_loss", |fields| match fields {
            [step, d, g] => {
                let step: u64 = step.parse().ok()?;
                Some((step, (step - 1, d.parse().ok()?, g.parse().ok()?)))
            }
            _ => None,
        })?;
        self.losses = losses;
        Ok(())
    }

    /// `generator.safetensors`: G's parameters and running statistics, with the architecture in the
    /// metadata so that `generate` and the browser can rebuild G from this file alone.
    pub fn export_generator(&self) -> anyhow::Result<()> {
        let (tensors, metadata) = self.shipped_generator()?;
        checkpoint::save(&self.path(GENERATOR), &tensors, metadata)?;
        Ok(())
    }

    /// The tensors and metadata of a generator file: G's weights, or their average where the run
    /// keeps one, under PyTorch's names and layout (see `torch.rs`), with the architecture.
    fn shipped_generator(&self) -> anyhow::Result<GeneratorFile> {
        self.generator_file(self.gan.shipped_generator())
    }

    /// A generator file of the tensors `pairs` names (G's tensor, the one to write under its name).
    fn generator_file(&self, pairs: Vec<(Id, Id)>) -> anyhow::Result<GeneratorFile> {
        let tensors = pairs
            .into_iter()
            .map(|(g, shipped)| Ok((self.gan.graph.tensors[g].name.clone(), self.stored(shipped)?)))
            .collect::<anyhow::Result<HashMap<_, _>>>()?;
        let architecture = GeneratorArchitecture {
            z_dim: self.gan.config.z_dim,
            pixels: self.gan.shapes.pixels,
            layers: self.gan.config.generator.clone(),
            noise: self.gan.config.noise,
        };
        let tensors = crate::torch::export(&architecture, &tensors)?;
        let mut metadata = crate::generator::file_metadata(&architecture, &self.gan.config.preset)?;
        metadata.insert("step".to_string(), self.step.to_string());
        Ok((tensors, metadata))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_time_left_is_the_pace_so_far_times_the_steps_left() {
        assert_eq!(time_left(Duration::from_secs(120), 500, 1500), Some(Duration::from_secs(360)));
        assert_eq!(time_left(Duration::from_secs(120), 0, 1500), None);
        assert_eq!(time_left(Duration::from_secs(120), 500, 0), None);
    }
}
