//! `cargo run --release --bin train`: trains the GAN on MNIST and writes a run directory.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, bail};
use clap::Parser;
use gan_wgpu::config::{Config, EmaWeights, PRESETS};
use gan_wgpu::data::{self, DatasetSpec, LoadOptions};
use gan_wgpu::eval::classifier::Classifier;
use gan_wgpu::eval::quick::QuickEval;
use gan_wgpu::gpu::Gpu;
use gan_wgpu::train::{self, RunOptions, Trainer};

/// Train the GAN of Goodfellow et al. (2014) on MNIST with WGSL kernels.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    /// Configuration to start from: seed-baseline, seed, paper, tuned, quality, paper-ema,
    /// paper-code or paper-code-ema (see README.md).
    #[arg(long, default_value = "paper-code-ema", value_parser = PRESETS)]
    preset: String,
    /// A JSON configuration file (as written to a run's config.json); replaces --preset.
    #[arg(long, conflicts_with = "preset")]
    config: Option<PathBuf>,
    /// Passes over the training images (default: the preset's; with --resume, the run's).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    epochs: Option<u32>,
    /// Images per step (default: the preset's).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    batch: Option<u32>,
    /// Makes a run reproducible on the same adapter.
    #[arg(long)]
    seed: Option<u32>,
    /// Keep a moving average of G's weights with this decay per step and sample from it (grids,
    /// generator.safetensors, best.safetensors); G's training is unchanged. It replaces a preset's
    /// average (the default's, of epochs' ends, becomes a normalised one per step from the same epoch).
    /// With --resume, starts the average at the resumed step in a run that keeps none.
    #[arg(long, value_parser = parse_decay)]
    ema: Option<f32>,
    /// Run directory; default runs/<preset>.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Continue the run in --out from its checkpoint.
    #[arg(long)]
    resume: bool,
    /// Start afresh in an --out that already holds a run, replacing it.
    #[arg(long, conflicts_with = "resume")]
    overwrite: bool,
    /// mnist (default) or fashion-mnist.
    #[arg(long, value_parser = ["mnist", "fashion-mnist"])]
    dataset: Option<String>,
    /// Directory with the four IDX files (default: MNIST_DIR, the cache, the vendored copy, a download).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Train on the first N training images only (quick runs, tests).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    limit: Option<u32>,
    /// Steps between loss read-backs.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=100000))]
    log_every: u32,
    /// Score G every N epochs on the held-out images (quick Parzen estimate; class figures and
    /// Fréchet distance where --classifier exists): metrics.csv, best.safetensors. Default: every
    /// epoch where the configuration holds out images (the paper presets, quality), else never.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    eval_every: Option<u32>,
    /// Keep G as trained after every N epochs in snapshots/epoch_NNN.safetensors (a generator file
    /// each, 10 MB for the paper's G), to average later with `gan-wgpu average`. Give it again with
    /// --resume.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    snapshot_every: Option<u32>,
    /// The digit classifier that --eval-every uses where the file exists (`gan-wgpu eval` trains it).
    #[arg(long, default_value = "runs/classifier-mnist.safetensors")]
    classifier: PathBuf,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

fn config(args: &Args) -> anyhow::Result<Config> {
    let mut config = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
            serde_json::from_str(&text).with_context(|| format!("{} is not a valid configuration", path.display()))?
        }
        None => Config::preset(&args.preset).expect("clap checks preset names"),
    };
    if let Some(epochs) = args.epochs {
        config.epochs = epochs as usize;
    }
    if let Some(batch) = args.batch {
        config.batch = batch as usize;
    }
    if let Some(seed) = args.seed {
        config.seed = seed;
    }
    if let Some(dataset) = &args.dataset {
        config.dataset = dataset.clone();
    }
    if let Some(limit) = args.limit {
        config.limit = Some(limit as usize);
    }
    if let Some(decay) = args.ema {
        config.ema = Some(decay);
        if config.ema_weights == EmaWeights::EpochEnds {
            config.ema_weights = EmaWeights::Normalised;
        }
    }
    Ok(config)
}

fn parse_decay(text: &str) -> Result<f32, String> {
    match text.parse::<f32>() {
        Ok(decay) if decay > 0.0 && decay < 1.0 => Ok(decay),
        _ => Err(format!("{text:?} is not a decay between 0 and 1 (exclusive), such as 0.999")),
    }
}

fn main() -> anyhow::Result<()> {
    gan_wgpu::gpu::quiet_window_system_probe();
    let args = Args::parse();
    // Default run directory: runs/<preset>, the preset being the configuration file's where one is given.
    let default_out = |preset: &str| PathBuf::from("runs").join(preset);
    let out = args.out.clone().unwrap_or_else(|| default_out(&args.preset));
    let config = if args.resume {
        // The run's own configuration; only the number of epochs may change.
        let text = std::fs::read_to_string(out.join("config.json"))
            .with_context(|| format!("--resume: {} has no config.json; is it a run directory?", out.display()))?;
        let mut config: Config = serde_json::from_str(&text).context("the run's config.json is not valid")?;
        let shaping = [
            ("--batch", args.batch.is_some()),
            ("--seed", args.seed.is_some()),
            ("--config", args.config.is_some()),
            ("--dataset", args.dataset.is_some()),
            ("--limit", args.limit.is_some()),
        ];
        if let Some((flag, _)) = shaping.iter().find(|(_, given)| *given) {
            bail!(
                "--resume continues a run with its own configuration (its config.json: dataset, limit, batch, seed, \
                 ...); {flag} cannot change it, only --epochs (and --ema, to start an average) may be given"
            );
        }
        if let Some(epochs) = args.epochs {
            config.epochs = epochs as usize;
        }
        if let Some(decay) = args.ema {
            if let Some(kept) = config.ema {
                bail!("--ema: the run in {} already keeps an average of G (decay {kept})", out.display());
            }
            eprintln!("starting an average of G (decay {decay}) at the resumed step; G trains as before");
            config.ema = Some(decay);
        }
        config
    } else {
        config(&args)?
    };
    let out = if args.out.is_none() && !args.resume { default_out(&config.preset) } else { out };
    let checkpoint = out.join(train::CHECKPOINT);
    if !args.resume && !args.overwrite && (checkpoint.exists() || out.join("config.json").exists()) {
        bail!(
            "{} already holds a run: continue it with `train --out {0} --resume`, start another with a new \
             --out DIR, or replace it with --overwrite",
            out.display()
        );
    }
    if args.resume && !checkpoint.exists() {
        bail!(
            "--resume: {} has a run but no checkpoint yet (one is written at the end of each epoch and on \
             Ctrl-C; this run stopped before either). Start it again with --overwrite",
            out.display()
        );
    }

    let spec = DatasetSpec::named(&config.dataset)
        .with_context(|| format!("unknown dataset {:?} in the configuration (mnist, fashion-mnist)", config.dataset))?;
    let mut dataset = data::load(&spec, &LoadOptions::for_cli(&spec, args.data_dir.clone()))?;
    let held_out = config.validation_images;
    anyhow::ensure!(
        held_out < dataset.train.count,
        "the configuration holds out {held_out} validation images, but {} has only {} training images",
        spec.name,
        dataset.train.count
    );
    let eval_every = match (args.eval_every, held_out) {
        (Some(_), 0) => bail!(
            "--eval-every scores G on held-out training images, and this configuration holds out none \
             (validation_images in its config.json; the paper presets and quality hold out 10,000)"
        ),
        (Some(every), _) => Some(every as usize),
        (None, 0) => None,
        (None, _) => Some(1),
    };
    let held_out_images = dataset.train.subset(dataset.train.count - held_out..dataset.train.count).to_f32();
    dataset.train.count -= held_out;
    if let Some(limit) = config.limit {
        let train = &mut dataset.train;
        train.count = train.count.min(limit);
    }
    train::validate(&config, dataset.train.count, None)?;
    train::prepare_run_dir(&out)?;

    let gpu = Gpu::new_blocking()?;
    train::validate(&config, dataset.train.count, Some(gpu.max_buffer_bytes()))?;
    eprintln!(
        "training preset {:?} for {} epochs of {} images (batch {}) on {}; writing {}",
        config.preset,
        config.epochs,
        dataset.train.count,
        config.batch,
        gpu.adapter,
        out.display()
    );
    for phase in config.phases_past_the_end() {
        eprintln!("note: {phase}");
    }

    let stop = Arc::new(AtomicBool::new(false));
    let handler_stop = stop.clone();
    ctrlc::set_handler(move || {
        if handler_stop.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
        eprintln!("\nstopping after this step (Ctrl-C again to quit at once)");
    })
    .context("cannot install the Ctrl-C handler")?;

    let options = RunOptions {
        out: out.clone(),
        log_every: args.log_every as usize,
        progress: !args.quiet,
        stop,
        snapshot_every: args.snapshot_every.map(|every| every as usize),
    };
    let mut trainer = Trainer::new(&gpu, &config, &dataset.train, options, args.resume)?;
    eprintln!("{}", gpu.kernel_summary());
    if trainer.step >= trainer.total_steps() {
        eprintln!(
            "note: the run is at step {} (epoch {} of {}): nothing left to train, so its final files are only \
             written again; give --epochs N, more than {}, to train it further",
            trainer.step,
            trainer.epoch(),
            config.epochs,
            trainer.epoch()
        );
    }
    if let Some(every) = eval_every {
        let classifier = match (config.dataset.as_str(), args.classifier.exists()) {
            ("mnist", true) => Some(Classifier::load(&args.classifier)?),
            _ => {
                eprintln!(
                    "no digit classifier at {} (gan-wgpu eval trains one): scoring the Parzen estimate only",
                    args.classifier.display()
                );
                None
            }
        };
        let pixels = dataset.train.size();
        trainer.score_every(every, QuickEval::new(&gpu, &held_out_images, pixels, classifier)?)?;
    }
    let started = std::time::Instant::now();
    let first_step = trainer.step;
    let finished = trainer.run()?;
    let seconds = started.elapsed().as_secs_f64();
    let samples = (trainer.step - first_step) as f64 * config.batch as f64;
    let rate = if samples > 0.0 { format!(", {:.0} samples/s", samples / seconds) } else { String::new() };
    eprintln!("{} after {} steps: {:.1} s{rate}", if finished { "done" } else { "stopped" }, trainer.step, seconds);
    if !finished {
        eprintln!("continue with: train --out {} --resume", out.display());
        return Ok(());
    }
    let generator = out.join(train::GENERATOR);
    let best = out.join(train::BEST);
    eprintln!("\nwritten in {}: {}", out.display(), written(&out).join(", "));
    eprintln!("next:");
    eprintln!("  cargo run --release --bin gan-wgpu -- generate --weights {} --seed 1", generator.display());
    eprintln!("  cargo run --release --bin gan-wgpu -- eval --weights {}", generator.display());
    if best.exists() {
        eprintln!("  (best.safetensors is the generator of the epoch with the best validation score)");
    }
    eprintln!("  web/build.sh --weights {}   # these weights as the browser page's default", generator.display());
    Ok(())
}

/// The files a run directory holds, by name.
fn written(out: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(out)
        .map(|entries| entries.filter_map(|e| e.ok()?.file_name().into_string().ok()).collect())
        .unwrap_or_default();
    names.sort();
    names
}
