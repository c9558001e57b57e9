//! Tools around training: list adapters, preview the data, generate digits.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use gan_wgpu::data::{self, DatasetSpec, LoadOptions};
use gan_wgpu::eval::EvalOptions;
use gan_wgpu::generator::weights_file;

/// The generator the project ships, relative to the repository root.
const SHIPPED_GENERATOR: &str = "models/generator.safetensors";

#[derive(Parser)]
#[command(version, about = "gan-wgpu tools (training itself is `cargo run --release --bin train`)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the GPU adapters wgpu can see, and the one gan-wgpu would use.
    Adapters,
    /// Write a PNG of the first training digits with their labels, to check the data.
    Preview {
        /// mnist or fashion-mnist.
        #[arg(long, default_value = "mnist", value_parser = ["mnist", "fashion-mnist"])]
        dataset: String,
        /// Directory holding the four IDX files (gzipped or not); default: MNIST_DIR, the cache,
        /// the vendored copy, then a download.
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// How many digits.
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=10000))]
        count: u32,
        #[arg(long, default_value = "preview.png")]
        out: PathBuf,
    },
    /// Generate digits from generator.safetensors (or a checkpoint): a PNG grid and the raw samples.
    Generate {
        /// generator.safetensors from a run (or its checkpoint.safetensors, or the run's folder: the
        /// one, or while it trains the other); default: the generator the project ships,
        /// models/generator.safetensors.
        #[arg(long, default_value = SHIPPED_GENERATOR)]
        weights: PathBuf,
        /// From the checkpoint of a run that keeps an average of G: `average` (what the run samples
        /// and ships) or `trained` (G itself).
        #[arg(long, value_enum, default_value_t = Which::Average)]
        from_checkpoint: Which,
        /// The same seed gives the same noise, here and in the browser.
        #[arg(long, default_value_t = 0)]
        seed: u32,
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=100000))]
        count: u32,
        /// Noise from a file instead of --seed and --count: a .npy array of N×z_dim float32 values
        /// (PyTorch's torch.randn(N, 100).numpy(), for example).
        #[arg(long, conflicts_with_all = ["seed", "count"])]
        z: Option<PathBuf>,
        /// PNG grid of the samples (10 wide).
        #[arg(long, default_value = "samples.png")]
        out: PathBuf,
        /// The samples as a count×pixels float32 .npy array in [0, 1].
        #[arg(long, default_value = "samples.npy")]
        npy: PathBuf,
    },
    /// Measure a generator, or samples made elsewhere: the paper's Parzen log-likelihood, classifier
    /// metrics, Fréchet distance and a memorisation check, with reference rows; writes eval.json and
    /// eval.md.
    Eval {
        /// generator.safetensors from a run (or its checkpoint.safetensors, or the run's folder).
        #[arg(long, required_unless_present = "samples")]
        weights: Option<PathBuf>,
        /// From the checkpoint of a run that keeps an average of G: `average` (what the run samples
        /// and ships) or `trained` (G itself).
        #[arg(long, conflicts_with = "samples", value_enum, default_value_t = Which::Average)]
        from_checkpoint: Which,
        /// Score these images instead of a generator's: a .npy array of N×784 float32 (or float64)
        /// values in [0, 1], such as PyTorch's output.
        #[arg(long, conflicts_with = "weights")]
        samples: Option<PathBuf>,
        /// The digit classifier; trained on MNIST and saved here first when the file does not exist.
        #[arg(long, default_value = "runs/classifier-mnist.safetensors")]
        classifier: PathBuf,
        /// Directory holding MNIST's four IDX files; default: as `preview`.
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Samples to generate (the paper uses 10,000).
        #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(2..=60000))]
        count: u32,
        /// Samples whose nearest training image is searched for (a 60,000-image search each).
        #[arg(long, default_value_t = 1_000, value_parser = clap::value_parser!(u32).range(1..=10000))]
        memorisation: u32,
        /// Seed of the samples' noise, as `generate`.
        #[arg(long, default_value_t = 0)]
        seed: u32,
        /// Also measure real training images and an untrained generator, for scale.
        #[arg(long)]
        references: bool,
        /// Where eval.json and eval.md go; default: beside the weights or the samples file.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Average generator files of one architecture, such as G's snapshots from `train
    /// --snapshot-every`, into a generator file for generate, eval and the browser.
    Average {
        /// The generator files, oldest first; a run's checkpoint stands for the generator the run
        /// ships (its average of G where it keeps one).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Weigh file i of n by DECAY^(n-1-i), a moving average at the files' spacing (0.95 per
        /// epoch is about 0.9999 per step at 500 steps an epoch); default: all files alike.
        #[arg(long, value_parser = parse_decay)]
        decay: Option<f64>,
        /// The averaged generator file to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// Score generator files as training scores each epoch (metrics.csv's figures), on held-out
    /// training images, never the test set: to choose among epochs or averages without looking at
    /// the test set. The best Parzen estimate is marked, as best.safetensors is chosen.
    Validate {
        /// Generator files (or checkpoints, or runs' folders).
        #[arg(required = true)]
        weights: Vec<PathBuf>,
        /// From the checkpoint of a run that keeps an average of G: `average` or `trained`.
        #[arg(long, value_enum, default_value_t = Which::Average)]
        from_checkpoint: Which,
        /// The held-out images: the last N of MNIST's training images, as a configuration's
        /// validation_images (the paper presets and quality hold out 10,000).
        #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1001..60000))]
        held_out: u32,
        /// The digit classifier for the class figures and the Fréchet distance, where it exists.
        #[arg(long, default_value = "runs/classifier-mnist.safetensors")]
        classifier: PathBuf,
        /// Directory holding MNIST's four IDX files; default: as `preview`.
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
}

fn main() -> anyhow::Result<()> {
    gan_wgpu::gpu::quiet_window_system_probe();
    match Cli::parse().command {
        Command::Adapters => adapters(),
        Command::Preview { dataset, data_dir, count, out } => preview(&dataset, data_dir, count as usize, &out),
        Command::Generate { weights, from_checkpoint, seed, count, z, out, npy } => {
            let noise = match z {
                Some(file) => Noise::File(file),
                None => Noise::Seed { seed, count: count as usize },
            };
            generate(&weights_file(&weights)?, from_checkpoint.into(), &noise, &out, &npy)
        }
        Command::Eval {
            weights,
            from_checkpoint,
            samples,
            classifier,
            data_dir,
            count,
            memorisation,
            seed,
            references,
            out,
        } => {
            let options =
                EvalOptions { samples: count as usize, memorisation: memorisation as usize, ..Default::default() };
            let images = match (weights, samples) {
                (Some(weights), _) => Images::Generator(weights_file(&weights)?, from_checkpoint.into()),
                (None, Some(samples)) => Images::File(samples),
                (None, None) => unreachable!("clap requires --weights or --samples"),
            };
            eval(&images, &classifier, data_dir, options, seed, references, out)
        }
        Command::Average { files, decay, out } => average(&files, decay, &out),
        Command::Validate { weights, from_checkpoint, held_out, classifier, data_dir } => {
            let weights = weights.iter().map(|w| weights_file(w)).collect::<anyhow::Result<Vec<_>>>()?;
            validate(&weights, from_checkpoint.into(), held_out as usize, &classifier, data_dir)
        }
    }
}

fn validate(
    files: &[PathBuf],
    which: gan_wgpu::generator::FromCheckpoint,
    held_out: usize,
    classifier: &std::path::Path,
    data_dir: Option<PathBuf>,
) -> anyhow::Result<()> {
    use gan_wgpu::eval::{classifier::Classifier, quick};
    use gan_wgpu::generator::Generator;
    // Every file is read, and the data, before any GPU work.
    let generators =
        files.iter().map(|f| Generator::load_from(f, quick::SAMPLES, which)).collect::<anyhow::Result<Vec<_>>>()?;
    let classifier = match classifier.exists() {
        true => Some(Classifier::load(classifier)?),
        false => {
            eprintln!("no digit classifier at {} (eval trains one): the Parzen estimate only", classifier.display());
            None
        }
    };
    let spec = DatasetSpec::mnist();
    let data = data::load(&spec, &LoadOptions::for_cli(&spec, data_dir))?;
    let (count, pixels) = (data.train.count, data.train.size());
    for (file, generator) in files.iter().zip(&generators) {
        check_mnist_size(file, generator, pixels)?;
    }
    let images = data.train.subset(count - held_out..count).to_f32();
    let gpu = gan_wgpu::gpu::Gpu::new_blocking()?;
    let quick = quick::QuickEval::new(&gpu, &images, pixels, classifier)?;
    println!(
        "validation on MNIST's last {held_out} training images ({} choose σ, {} scored; {} samples each):",
        quick::SIGMA_IMAGES,
        held_out - quick::SIGMA_IMAGES,
        quick::SAMPLES
    );
    println!("| file | Parzen | σ | classes ≥2% | KL from uniform | inception score | Fréchet distance |");
    println!("|---|---|---|---|---|---|---|");
    let mut best: Option<(f64, &PathBuf)> = None;
    for (file, generator) in files.iter().zip(&generators) {
        let score = quick.score(&gpu, generator)?;
        let (covered, kl, is) = match &score.classes {
            Some(c) => (
                c.classes_covered.to_string(),
                format!("{:.3}", c.kl_from_uniform),
                format!("{:.2}", c.inception_score),
            ),
            None => Default::default(),
        };
        let frechet = score.frechet_distance.map(|f| format!("{f:.2}")).unwrap_or_default();
        let parzen = &score.parzen;
        println!(
            "| {} | {:.2} ± {:.2} | {:.3} | {covered} | {kl} | {is} | {frechet} |",
            file.display(),
            parzen.mean,
            parzen.stderr,
            score.sigma
        );
        if best.is_none_or(|(b, _)| parzen.mean > b) {
            best = Some((parzen.mean, file));
        }
    }
    if let Some((parzen, file)) = best {
        println!("best by the Parzen estimate: {} ({parzen:.2})", file.display());
    }
    Ok(())
}

/// Refuses a generator whose images are not MNIST's `pixels`, naming its file.
fn check_mnist_size(
    file: &std::path::Path,
    generator: &gan_wgpu::generator::Generator,
    pixels: usize,
) -> anyhow::Result<()> {
    anyhow::ensure!(
        generator.architecture.pixels == pixels,
        "{} makes images of {} pixels; MNIST's have {pixels}",
        file.display(),
        generator.architecture.pixels
    );
    Ok(())
}

fn parse_decay(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(decay) if decay > 0.0 && decay <= 1.0 => Ok(decay),
        _ => Err(format!("{text:?} is not a decay in (0, 1], such as 0.95")),
    }
}

fn average(files: &[PathBuf], decay: Option<f64>, out: &std::path::Path) -> anyhow::Result<()> {
    anyhow::ensure!(
        !files.iter().any(|f| f == out),
        "--out {} is one of the files to average; write the average elsewhere",
        out.display()
    );
    use gan_wgpu::generator::{FromCheckpoint, as_generator_file};
    let loaded = files
        .iter()
        .map(|f| as_generator_file(gan_wgpu::checkpoint::load(f)?, FromCheckpoint::Average))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let (tensors, metadata) = gan_wgpu::generator::average(&loaded, decay)?;
    // What is written must load as a generator, as generate and eval will load it.
    let file = (tensors, metadata);
    gan_wgpu::generator::Generator::from_contents(out, &file, 1)?;
    gan_wgpu::checkpoint::save(out, &file.0, file.1)?;
    let weighting = decay.map_or("all alike".to_string(), |d| format!("decay {d} per file, the last weighing most"));
    let count = match files.len() {
        1 => "1 generator file".to_string(),
        n => format!("{n} generator files"),
    };
    println!("averaged {count} ({weighting}) into {}", out.display());
    Ok(())
}

fn adapters() -> anyhow::Result<()> {
    use gan_wgpu::gpu::{ADAPTER_ENV, BACKEND_ENV, Gpu, list_adapters};
    let all = pollster::block_on(list_adapters());
    println!("adapters ({BACKEND_ENV} restricts the backends, {ADAPTER_ENV} picks by name):");
    for adapter in &all {
        println!("  - {adapter}");
    }
    let gpu = Gpu::new_blocking()?;
    println!("selected: {}", gpu.adapter);
    kernel_choices(&gpu);
    Ok(())
}

/// The kernel variants the selected adapter runs: forced ones, and those measured and cached.
fn kernel_choices(gpu: &gan_wgpu::gpu::Gpu) {
    use gan_wgpu::gpu::tune::{self, KERNELS_ENV, TUNE_CACHE_ENV};
    for (family, variant) in gpu.forced_kernels() {
        println!("{family}: {variant} at every shape ({KERNELS_ENV})");
    }
    let Some(path) = tune::cache_path_from_env() else {
        println!("kernel choices are not cached ({TUNE_CACHE_ENV}=off): each run measures them");
        return;
    };
    let cached = tune::cached_choices(&path).remove(&gpu.adapter.tune_key()).unwrap_or_default();
    if cached.is_empty() {
        println!("no kernel choices cached for it in {} yet: the first run measures them", path.display());
        return;
    }
    println!("kernel choices cached for it in {} (by op, layout, M×K×N, epilogue):", path.display());
    for (key, choice) in cached {
        let times: Vec<String> = choice.seconds.iter().map(|(v, t)| format!("{v} {:.3} ms", t * 1e3)).collect();
        println!("  {key}: {} ({})", choice.variant, times.join(", "));
    }
}

/// Grids are PNG files: refuse another name before any work is done.
fn check_png(out: &std::path::Path) -> anyhow::Result<()> {
    let is_png = out.extension().is_some_and(|e| e.eq_ignore_ascii_case("png"));
    anyhow::ensure!(is_png, "--out {}: the grid is written as a PNG file; give a name ending in .png", out.display());
    Ok(())
}

fn preview(dataset: &str, data_dir: Option<PathBuf>, count: usize, out: &std::path::Path) -> anyhow::Result<()> {
    check_png(out)?;
    let spec = DatasetSpec::named(dataset).context("unknown dataset")?;
    let data = data::load(&spec, &LoadOptions::for_cli(&spec, data_dir))?;
    let train = &data.train;
    let count = count.min(train.count);
    let images: Vec<Vec<f32>> =
        (0..count).map(|i| train.image(i).iter().map(|&p| p as f32 / 255.0).collect()).collect();
    let slices: Vec<&[f32]> = images.iter().map(Vec::as_slice).collect();
    let grid = gan_wgpu::grid::digit_grid(&slices, train.rows, 10, Some(&train.labels[..count]));
    grid.save(out).with_context(|| format!("cannot write {}", out.display()))?;
    println!(
        "{} ({} train, {} test images, mean pixel {:.4}) from {}; first {count} written to {}",
        spec.name,
        train.count,
        data.test.count,
        train.mean_pixel(),
        data.source.display(),
        out.display()
    );
    Ok(())
}

/// Where `generate` takes its noise from.
enum Noise {
    Seed { seed: u32, count: usize },
    File(PathBuf),
}

/// `--from-checkpoint`'s values.
#[derive(Clone, Copy, clap::ValueEnum)]
enum Which {
    Average,
    Trained,
}

impl From<Which> for gan_wgpu::generator::FromCheckpoint {
    fn from(which: Which) -> Self {
        match which {
            Which::Average => Self::Average,
            Which::Trained => Self::Trained,
        }
    }
}

fn generate(
    weights: &std::path::Path,
    which: gan_wgpu::generator::FromCheckpoint,
    noise: &Noise,
    out: &std::path::Path,
    npy: &std::path::Path,
) -> anyhow::Result<()> {
    use gan_wgpu::generator::{self, Generator};
    check_png(out)?;
    anyhow::ensure!(
        weights.exists() || weights != std::path::Path::new(SHIPPED_GENERATOR),
        "no --weights given, and the shipped generator {SHIPPED_GENERATOR} is not here: run from the \
         repository root, or pass --weights FILE (a run's generator.safetensors)"
    );
    let (generator, z, from) = match noise {
        Noise::Seed { seed, count } => {
            let generator = Generator::load_from(weights, *count, which)?;
            let z = generator.noise(*seed);
            (generator, z, format!("seed {seed}"))
        }
        Noise::File(file) => {
            // The generator's z_dim is known only once its file is read: read it for one sample first.
            let z_dim = Generator::load_from(weights, 1, which)?.architecture.z_dim;
            let z = gan_wgpu::data::read_npy_rows(file, z_dim, "noise vectors")?;
            (Generator::load_from(weights, z.len() / z_dim, which)?, z, format!("noise from {}", file.display()))
        }
    };
    let count = generator.graph.shape(generator.z)[0];
    let gpu = gan_wgpu::gpu::Gpu::new_blocking()?;
    let started = std::time::Instant::now();
    let samples = pollster::block_on(generator.run_gpu(&gpu, &z))?;
    let pixels = generator.architecture.pixels;
    gan_wgpu::grid::samples_grid(&samples, pixels)
        .save(out)
        .with_context(|| format!("cannot write {}", out.display()))?;
    gan_wgpu::write_atomically(npy, &generator::npy(&samples, count, pixels))
        .with_context(|| format!("cannot write {}", npy.display()))?;
    println!(
        "{count} samples ({from}) of {} in {:.0} ms on {}: {} and {}",
        weights.display(),
        started.elapsed().as_secs_f64() * 1e3,
        gpu.adapter,
        out.display(),
        npy.display()
    );
    Ok(())
}

/// What `eval` scores: a generator's samples, or images from a file.
enum Images {
    Generator(PathBuf, gan_wgpu::generator::FromCheckpoint),
    File(PathBuf),
}

impl Images {
    fn path(&self) -> &std::path::Path {
        match self {
            Images::Generator(path, _) | Images::File(path) => path,
        }
    }
}

fn eval(
    images: &Images,
    classifier_path: &std::path::Path,
    data_dir: Option<PathBuf>,
    options: EvalOptions,
    seed: u32,
    references: bool,
    out: Option<PathBuf>,
) -> anyhow::Result<()> {
    use gan_wgpu::eval::{self, Evaluator, classifier::Classifier, classifier::ClassifierConfig};
    use gan_wgpu::generator::{FromCheckpoint, Generator};
    let started = std::time::Instant::now();
    // Everything that can be wrong with the inputs is found before any GPU work.
    let path = images.path();
    let classifier = classifier_path.exists().then(|| Classifier::load(classifier_path)).transpose()?;
    let spec = DatasetSpec::mnist();
    let data = data::load(&spec, &LoadOptions::for_cli(&spec, data_dir))?;
    let pixels = data.train.size();
    let (generator, file_samples) = match images {
        Images::Generator(weights, which) => {
            let generator = Generator::load_from(weights, options.samples, *which)?;
            check_mnist_size(weights, &generator, pixels)?;
            (Some(generator), None)
        }
        Images::File(file) => (None, Some(eval::read_samples(file, pixels)?)),
    };
    // Reference rows have as many images as the row they stand beside.
    let options = match &file_samples {
        Some(samples) => EvalOptions { samples: samples.len() / pixels, ..options },
        None => options,
    };
    let out = out.unwrap_or_else(|| path.parent().map(PathBuf::from).unwrap_or_default());
    let gpu = gan_wgpu::gpu::Gpu::new_blocking()?;
    eprintln!("evaluating {} on {}", path.display(), gpu.adapter);
    let classifier = match classifier {
        Some(c) => c,
        None => {
            eprintln!("no classifier at {}: training one on MNIST", classifier_path.display());
            let c = Classifier::train(&gpu, &ClassifierConfig::default(), &data.train, &data.test, true)?;
            c.save(classifier_path)?;
            c
        }
    };
    let evaluator = Evaluator::new(&gpu, &data, &classifier, options.clone())?;
    let mut rows = Vec::new();
    let samples = match (&generator, file_samples) {
        (_, Some(samples)) => samples,
        (Some(generator), None) => pollster::block_on(generator.generate_gpu(&gpu, seed))?,
        (None, None) => unreachable!("either a generator or a file of samples"),
    };
    let name = match images {
        Images::Generator(p, FromCheckpoint::Trained) => format!("{} (G as trained)", p.display()),
        _ => path.display().to_string(),
    };
    rows.push(evaluator.row(&name, &samples)?);
    eprintln!("{}: done in {:.0} s", path.display(), rows[0].seconds);
    if references {
        let real = data.train.subset(0..options.samples.min(data.train.count)).to_f32();
        rows.push(evaluator.row("real training images", &real)?);
        // An untrained generator needs an architecture: the one being scored, where there is one.
        if let Some(generator) = &generator {
            let untrained = Generator::untrained(generator.architecture.clone(), options.samples, seed);
            let samples = pollster::block_on(untrained.generate_gpu(&gpu, seed))?;
            rows.push(evaluator.row("untrained generator", &samples)?);
        }
    }
    let (generator_key, samples_key) = match images {
        Images::Generator(p, _) => (Some(p.display().to_string()), None),
        Images::File(p) => (None, Some(p.display().to_string())),
    };
    let report = serde_json::json!({
        "generator": generator_key,
        "samples_file": samples_key,
        "adapter": gpu.adapter.to_string(),
        "seed": seed,
        "samples": options.samples,
        "validation_images": options.validation,
        "memorisation_samples": options.memorisation,
        "classifier": { "path": classifier_path.display().to_string(), "test_accuracy": classifier.test_accuracy },
        "test_nearest_train_distance": evaluator.test_nearest_train_distance,
        "paper_parzen": { "mean": eval::PAPER_PARZEN.0, "stderr": eval::PAPER_PARZEN.1 },
        "rows": rows,
        "seconds": started.elapsed().as_secs_f64(),
    });
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    let json = out.join("eval.json");
    gan_wgpu::write_atomically(&json, serde_json::to_string_pretty(&report)?.as_bytes())
        .with_context(|| format!("cannot write {}", json.display()))?;
    let table = eval::summary(&rows);
    let text = format!(
        "{table}\nClassifier: {:.2}% test accuracy. {} samples ({}); Parzen σ chosen on {} validation \
         images; nearest training image searched for {} images. {:.0} s on {}.\n",
        100.0 * classifier.test_accuracy,
        options.samples,
        match images {
            Images::Generator(..) => format!("seed {seed}"),
            Images::File(p) => format!("from {}", p.display()),
        },
        options.validation,
        options.memorisation,
        started.elapsed().as_secs_f64(),
        gpu.adapter
    );
    let md = out.join("eval.md");
    gan_wgpu::write_atomically(&md, text.as_bytes()).with_context(|| format!("cannot write {}", md.display()))?;
    println!("{text}");
    println!("written: {} and {}", json.display(), md.display());
    Ok(())
}
