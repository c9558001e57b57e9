//! Tools around training: list adapters, preview the data, generate digits.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use gan_wgpu::data::{self, DatasetSpec, LoadOptions};

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
        /// generator.safetensors from a run (or its checkpoint.safetensors).
        #[arg(long)]
        weights: PathBuf,
        /// The same seed gives the same noise, here and in the browser.
        #[arg(long, default_value_t = 0)]
        seed: u32,
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=100000))]
        count: u32,
        /// PNG grid of the samples (10 wide).
        #[arg(long, default_value = "samples.png")]
        out: PathBuf,
        /// The samples as a count×pixels float32 .npy array in [0, 1].
        #[arg(long, default_value = "samples.npy")]
        npy: PathBuf,
    },
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Adapters => adapters(),
        Command::Preview { dataset, data_dir, count, out } => preview(&dataset, data_dir, count as usize, &out),
        Command::Generate { weights, seed, count, out, npy } => generate(&weights, seed, count as usize, &out, &npy),
    }
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
    Ok(())
}

fn preview(dataset: &str, data_dir: Option<PathBuf>, count: usize, out: &std::path::Path) -> anyhow::Result<()> {
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

fn generate(
    weights: &std::path::Path,
    seed: u32,
    count: usize,
    out: &std::path::Path,
    npy: &std::path::Path,
) -> anyhow::Result<()> {
    use gan_wgpu::generator::{self, Generator};
    let generator = Generator::load(weights, count)?;
    let gpu = gan_wgpu::gpu::Gpu::new_blocking()?;
    let started = std::time::Instant::now();
    let samples = pollster::block_on(generator.generate_gpu(&gpu, seed))?;
    let pixels = generator.architecture.pixels;
    let side = (pixels as f64).sqrt() as usize;
    let images: Vec<&[f32]> = samples.chunks(pixels).collect();
    gan_wgpu::grid::digit_grid(&images, side, 10, None)
        .save(out)
        .with_context(|| format!("cannot write {}", out.display()))?;
    gan_wgpu::data::write_atomically(npy, &generator::npy(&samples, count, pixels))?;
    println!(
        "{count} samples (seed {seed}) in {:.0} ms on {}: {} and {}",
        started.elapsed().as_secs_f64() * 1e3,
        gpu.adapter,
        out.display(),
        npy.display()
    );
    Ok(())
}
