//! Training throughput: `cargo bench --bench train -- [--preset seed] [--steps 30] [--warmup 3] [--profile]`.
//! Runs real training steps (MNIST on the GPU, as `train` does) and prints samples/s, ms per step,
//! the adapter, and where the time goes: recording and submitting on the host, and waiting for the GPU.
//! `--profile` then times each dispatch of the step alone (an operation, or two that one kernel
//! does) and prints the table, slowest kinds first.

use std::time::{Duration, Instant};

use gan_wgpu::config::Config;
use gan_wgpu::data::{self, DatasetSpec, LoadOptions};
use gan_wgpu::gan::{Gan, Shapes, epoch_order};
use gan_wgpu::gpu::Gpu;
use gan_wgpu::graph::gpu::{GpuProgram, GpuState};
use gan_wgpu::graph::{Graph, Id, Op};
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
    state.load(&gpu, &gan.initial_values(&train.pixels));
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
    println!("adapter: {} (subgroup kernels: {})", gpu.adapter, gpu.uses_subgroups());
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
    if std::env::args().any(|a| a == "--profile") {
        profile(&gpu, &gan.graph, &gan.train_step, &program);
    }
}

/// The tensor an operation produces (for the optimizers, the parameter they update).
fn output(op: &Op) -> Option<Id> {
    Some(match *op {
        Op::Matmul { c, .. } => c,
        Op::Activation { y, .. } | Op::Maxout { y, .. } => y,
        Op::BatchnormTrain { y, .. } | Op::BatchnormEval { y, .. } => y,
        Op::ActivationBackward { dx, .. } | Op::BatchnormBackward { dx, .. } => dx,
        Op::MaxoutBackward { dz, .. } => dz,
        Op::Dropout { out, .. } | Op::Normal { out, .. } | Op::Uniform { out, .. } => out,
        Op::Gather { out, .. } | Op::GatherOneHot { out, .. } => out,
        Op::Bce { grad, .. } | Op::CrossEntropy { grad, .. } => grad,
        Op::Softmax { probs, .. } => probs,
        Op::ColumnSums { sums, .. } => sums,
        Op::CopyRows { dst, .. } => dst,
        Op::Ema { average, .. } => average,
        Op::SgdUpdate { param, .. } | Op::AdamUpdate { param, .. } => param,
        Op::SgdDecay { hyper } | Op::AdamTick { hyper } | Op::LinearLrDecay { hyper, .. } => hyper,
        Op::Advance => return None,
    })
}

/// An operation's kind (matmuls with their layout) and its output's name and shape.
fn label(graph: &Graph, op: &Op) -> (String, String) {
    let debug = format!("{op:?}");
    let kind = debug.split([' ', '{']).next().unwrap_or_default().to_string();
    let kind = match op {
        Op::Matmul { layout, .. } => format!("{kind} {layout:?}"),
        _ => kind,
    };
    let output = output(op).map(|id| format!("{} {:?}", graph.tensors[id].name, graph.tensors[id].shape));
    (kind, output.unwrap_or_default())
}

/// Each dispatch of the step (an operation, or two that one kernel does) recorded alone, `REPS`
/// times in one submission: ms per call.
fn profile(gpu: &Gpu, graph: &Graph, ops: &[Op], program: &GpuProgram) {
    const REPS: usize = 10;
    let mut rows = Vec::new();
    for index in 0..program.len() {
        gpu.run(|pass| program.record_one(pass, index, 1));
        gpu.wait();
        let t = Instant::now();
        gpu.run(|pass| program.record_one(pass, index, REPS));
        gpu.wait();
        let labels: Vec<(String, String)> = program.ops_of(index).iter().map(|&i| label(graph, &ops[i])).collect();
        let kind = labels.iter().map(|(kind, _)| kind.as_str()).collect::<Vec<_>>().join("+");
        let output = labels.last().map(|(_, output)| output.clone()).unwrap_or_default();
        rows.push(((kind, output), t.elapsed().as_secs_f64() * 1e3 / REPS as f64));
    }
    let total: f64 = rows.iter().map(|(_, ms)| ms).sum();
    println!("\nprofile: each dispatch alone, {REPS} calls; sum {total:.1} ms per step");
    for ((kind, output), ms) in &rows {
        println!("{ms:8.2} ms  {kind:<22} {output}");
    }
    let mut kinds: Vec<(String, f64, usize)> = Vec::new();
    for ((kind, _), ms) in &rows {
        match kinds.iter_mut().find(|(k, ..)| k == kind) {
            Some(entry) => {
                entry.1 += ms;
                entry.2 += 1;
            }
            None => kinds.push((kind.clone(), *ms, 1)),
        }
    }
    kinds.sort_by(|a, b| b.1.total_cmp(&a.1));
    println!("\nby kind:");
    for (kind, ms, count) in kinds {
        println!("{ms:8.2} ms {:5.1}%  {kind} ×{count}", 100.0 * ms / total);
    }
}
