//! Training throughput: `cargo bench --bench train -- [--preset seed] [--steps 30] [--warmup 3]`.
//! Runs real training steps (MNIST on the GPU, as `train` does) and prints samples/s, ms per step,
//! the adapter, and where the time goes: recording and submitting on the host, and waiting for the GPU.

use std::time::{Duration, Instant};

use gan_wgpu::config::Config;
use gan_wgpu::data::{self, DatasetSpec, LoadOptions};
use gan_wgpu::gan::{Gan, Shapes, epoch_order};
use gan_wgpu::gpu::Gpu;
use gan_wgpu::graph::gpu::GpuState;
use gan_wgpu::ops::batch::pack_pixels;

fn arg(name: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned().unwrap_or_else(|| default.into())
}

fn main() {
    let preset = arg("--preset", "seed");
    let steps: usize = arg("--steps", "30").parse().expect("--steps takes a number");
    let warmup: usize = arg("--warmup", "3").parse().expect("--warmup takes a number");
    let mut config = Config::preset(&preset).unwrap_or_else(|| panic!("no preset {preset:?}"));
    if let Ok(batch) = arg("--batch", "").parse() {
        config.batch = batch;
    }
    let spec = DatasetSpec::mnist();
    let mnist = data::load(&spec, &LoadOptions::for_cli(&spec, None)).unwrap_or_else(|e| panic!("{e}"));
    let train = &mnist.train;
    let gpu = Gpu::new_blocking().unwrap_or_else(|e| panic!("{e}"));

    let shapes = Shapes { pixels: 784, train_count: train.count, loss_slots: steps + warmup, samples: 1 };
    let gan = Gan::new(&config, shapes);
    let state = GpuState::new(&gpu, &gan.graph);
    state.load(&gpu, &gan.initial_values());
    state.write_u32(&gpu, gan.images, &pack_pixels(&train.pixels));
    state.write_u32(&gpu, gan.order, &epoch_order(config.seed, 0, train.count));
    let program = state.program(&gpu, &gan.train_step);
    for _ in 0..warmup {
        gpu.run(|pass| program.record(pass));
    }
    gpu.wait();

    let (mut recording, mut submitting) = (Duration::ZERO, Duration::ZERO);
    let started = Instant::now();
    for _ in 0..steps {
        let t = Instant::now();
        let commands = gpu.record(|pass| program.record(pass));
        recording += t.elapsed();
        let t = Instant::now();
        gpu.queue.submit([commands]);
        submitting += t.elapsed();
    }
    let t = Instant::now();
    gpu.wait();
    let waiting = t.elapsed();
    let total = started.elapsed();
    let per_step = total.as_secs_f64() / steps as f64;
    println!("adapter: {}", gpu.adapter);
    println!(
        "preset {preset}, batch {}, {} dispatches per step, {steps} steps after {warmup} warm-up",
        config.batch,
        program.len()
    );
    println!("samples/s: {:.1}", steps as f64 * config.batch as f64 / total.as_secs_f64());
    println!("ms per step: {:.2}", per_step * 1e3);
    let share = |d: Duration| (d.as_secs_f64() * 1e3 / steps as f64, 100.0 * d.as_secs_f64() / total.as_secs_f64());
    let ((record_ms, record_pct), (submit_ms, submit_pct)) = (share(recording), share(submitting));
    println!("host, recording a step's commands: {record_ms:.2} ms per step ({record_pct:.1}%)");
    // A submission returns when the queue accepts it; where the driver runs the work on the
    // submitting thread (as lavapipe often does once its queue is full) that includes GPU time.
    println!("host, submitting: {submit_ms:.2} ms per step ({submit_pct:.1}%)");
    println!("waiting for the GPU after the last submission: {:.1} ms in all", waiting.as_secs_f64() * 1e3);
}
