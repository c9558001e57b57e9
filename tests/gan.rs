//! The whole training step: a few steps of each preset on the GPU equal the same steps run by the
//! CPU references (same seed, same noise, masks and batches).

mod common;

use common::*;
use gan_wgpu::config::{Config, EmaWeights, LrSchedule, Order, PRESETS};
use gan_wgpu::gan::{Gan, Shapes, epoch_order, marginal_log_odds};
use gan_wgpu::gpu::{Gpu, GpuOptions};
use gan_wgpu::graph::cpu::CpuState;
use gan_wgpu::graph::gpu::{GpuProgram, GpuState};
use gan_wgpu::graph::{Id, InitialValues, Kind, Op};
use gan_wgpu::nn::{Layer, LayerSpec, Network};
use gan_wgpu::ops::activation::Activation;
use gan_wgpu::ops::batch::pack_pixels;
use gan_wgpu::ops::matmul::Layout;
use gan_wgpu::optim::OptimizerConfig;
use rand::Rng;

/// The preset's structure at a size the CPU reference runs in moments.
fn shrunk(name: &str) -> Config {
    let mut config = Config::preset(name).unwrap();
    let shrink = |specs: &mut Vec<LayerSpec>| {
        for spec in specs {
            match spec {
                LayerSpec::Linear { outputs, .. } => *outputs = 12,
                LayerSpec::Maxout { units, .. } => *units = 6,
                _ => {}
            }
        }
    };
    shrink(&mut config.generator);
    shrink(&mut config.discriminator);
    config.z_dim = 5;
    config.batch = 6;
    config
}

const STEPS: usize = 3;

/// The biases of linear layers right before batch norm: batch norm subtracts the mean, so their true
/// gradient is zero and what they get is rounding noise, which Adam scales up to steps of about lr.
fn biases_before_batchnorm(network: &Network) -> Vec<Id> {
    network
        .layers
        .windows(2)
        .filter_map(|pair| match pair {
            [Layer::Linear { b, .. }, Layer::BatchNorm { .. }] => Some(b.value),
            _ => None,
        })
        .collect()
}

/// Starting values of the GAN on random images from `rng`.
fn random_start(gan: &Gan, rng: &mut rand::rngs::StdRng) -> InitialValues {
    let pixels: Vec<u8> = (0..gan.shapes.train_count * gan.shapes.pixels).map(|_| rng.random()).collect();
    let mut values = gan.initial_values(&pixels);
    values.u32s.push((gan.images, pack_pixels(&pixels)));
    values.u32s.push((gan.order, epoch_order(gan.config.seed, 0, gan.shapes.train_count)));
    values
}

/// The GAN on random images, started alike on the CPU and on the GPU.
fn start(gpu: &Gpu, gan: &Gan, seed: u64) -> (InitialValues, CpuState, GpuState) {
    let values = random_start(gan, &mut rng(seed));
    let mut cpu = CpuState::new(&gan.graph);
    cpu.load(&values);
    let state = GpuState::new(gpu, &gan.graph);
    state.load(gpu, &values);
    (values, cpu, state)
}

/// A GAN of `config` with two steps an epoch, started alike on the CPU and the GPU, and its
/// training step bound on the GPU.
fn two_steps_an_epoch(gpu: &Gpu, config: &Config) -> (Gan, CpuState, GpuState, GpuProgram) {
    let gan = Gan::new(config, Shapes { pixels: 16, train_count: 12, loss_slots: 8, samples: 4 });
    let (_, cpu, state) = start(gpu, &gan, 16);
    let step = state.program(gpu, &gan.train_step);
    (gan, cpu, state, step)
}

fn check_preset(config: &Config) {
    let Some(gpu) = gpu() else { return };
    check_preset_on(gpu, config);
}

fn check_preset_on(gpu: &Gpu, config: &Config) {
    let shapes = Shapes { pixels: 16, train_count: 30, loss_slots: 8, samples: 4 };
    let gan = Gan::new(config, shapes);
    let (values, mut cpu, state) = start(gpu, &gan, 15);
    let step = state.program(gpu, &gan.train_step);
    let sample = state.program(gpu, &gan.sample);
    for _ in 0..STEPS {
        gpu.run(|pass| step.record(pass));
        cpu.run(&gan.train_step);
    }
    gpu.run(|pass| sample.record(pass));
    cpu.run(&gan.sample);

    let read = |id: Id| pollster::block_on(state.read_f32(gpu, id)).unwrap();
    let mut checked: Vec<Id> =
        [gan.generator.params(), gan.discriminator.params()].concat().iter().map(|p| p.value).collect();
    checked.extend(gan.generator.buffers());
    // The moving average of G, where the preset keeps one: it is what the samples come from.
    if let Some(average) = &gan.average {
        checked.extend(average.params().iter().map(|p| p.value).chain(average.buffers()));
    }
    checked.extend([gan.g_losses, gan.d_losses, gan.samples]);
    for id in checked {
        let name = &gan.graph.tensors[id].name;
        assert_close(&format!("{} after {STEPS} steps: {name}", config.preset), &read(id), cpu.f32(id), 1e-5, 1e-3);
    }
    // The steps did something, and the same thing: each parameter's change (from its initial value, or
    // zero where it starts at zero, as batch norm's beta) agrees between the GPU and the CPU within a
    // tolerance relative to the change itself, and each network has parameters that changed (the
    // paper's tiny initial weights give G gradients too small to move every f32, so not every tensor).
    for network in [&gan.generator, &gan.discriminator] {
        let mut moved = 0;
        // A bias right before batch norm changes by rounding noise: it is held to the CPU only through
        // its value above.
        let cancelled = biases_before_batchnorm(network);
        for p in network.params().into_iter().filter(|p| !cancelled.contains(&p.value)) {
            let zeros = vec![0.0; gan.graph.tensors[p.value].len()];
            let start = values.f32s.iter().find(|(id, _)| *id == p.value).map_or(&zeros, |(_, v)| v);
            let change = |now: &[f32]| -> Vec<f32> { now.iter().zip(start).map(|(a, b)| a - b).collect() };
            let (on_gpu, on_cpu) = (change(&read(p.value)), change(cpu.f32(p.value)));
            let largest = on_cpu.iter().fold(0.0f32, |m, d| m.max(d.abs()));
            let name = &gan.graph.tensors[p.value].name;
            assert_close(
                &format!("{}: change of {name}", config.preset),
                &on_gpu,
                &on_cpu,
                1e-3 * largest + 1e-7,
                1e-2,
            );
            moved += usize::from(largest > 0.0);
        }
        assert!(moved > 0, "{}: no parameter of {} changed", config.preset, network.name);
    }
    let losses = cpu.f32(gan.d_losses);
    assert!(
        losses[..STEPS].iter().all(|l| l.is_finite() && *l > 0.0) && losses[STEPS..].iter().all(|&l| l == 0.0),
        "D losses {losses:?}"
    );
    assert_eq!(pollster::block_on(state.read_u32(gpu, 0)).unwrap(), [STEPS as u32], "clock");
}

#[test]
fn every_preset_steps_alike_on_gpu_and_cpu() {
    for name in PRESETS {
        check_preset(&shrunk(name));
    }
}

/// The kernels a real GPU takes (see Variant::default_for, ELEMENTWISE and UPDATES), forced here: the tiled
/// matmul, and element-wise kernels and updates in place reading storage instead of texel copies, with
/// maxout and dropout in one kernel (as the browser runs them, and as real GPUs may choose), and each
/// weight gradient with its SGD update in one kernel.
#[test]
fn every_preset_steps_alike_with_the_kernels_for_real_gpus() {
    if gpu().is_none() {
        return;
    }
    let forced = [
        ("matmul", "tiled-64x64"),
        ("elementwise", "storage"),
        ("updates", "storage"),
        ("maxout-dropout", "fused"),
        ("weight-gradient-sgd", "fused"),
    ]
    .into_iter()
    .collect();
    let options = GpuOptions { subgroups: false, kernels: forced, tune_cache: None };
    let gpu = Gpu::open_blocking(options).expect("a second device");
    for name in PRESETS {
        check_preset_on(&gpu, &shrunk(name));
    }
    let variants: std::collections::BTreeSet<String> = gpu.kernel_choices().into_values().map(|c| c.variant).collect();
    assert_eq!(variants, ["fused", "storage", "tiled-64x64"].map(String::from).into(), "other kernels ran");
}

/// Maxout and the dropout of its units run as one kernel each way where the adapter runs that faster
/// (each times both ways): the default preset's steps leave every tensor bit for bit as the two
/// kernels apart do, with 8 dispatches fewer a step (D's two maxout layers followed by dropout, in its
/// two passes, forward and backward).
#[test]
fn a_step_with_maxout_and_dropout_in_one_kernel_equals_the_step_with_them_apart() {
    let Some((gan, _, fused)) = fused_steps_equal_steps_apart("maxout-dropout", "weight-gradient-sgd", 8) else {
        return;
    };
    let dropped = gan.graph.find("D.pass1.2.out").expect("D's first maxout's dropout");
    assert!(fused[dropped].contains(&0) && fused[dropped].iter().any(|&v| v != 0), "no mask to tell");
}

/// Each weight gradient computed with its SGD update in one kernel (the SGD epilogue) where the
/// adapter runs that faster: the default preset's steps leave every tensor bit for bit as the matmul
/// and the update apart do, with 6 dispatches fewer a step (G's and D's three weights each), though
/// each gradient's matmul then runs at its update, after the layers below it have taken their
/// input gradients from the old weights.
#[test]
fn a_step_with_each_weights_sgd_update_in_its_gradients_matmul_equals_the_step_with_them_apart() {
    let Some((gan, values, fused)) = fused_steps_equal_steps_apart("weight-gradient-sgd", "maxout-dropout", 6) else {
        return;
    };
    let w = gan.discriminator.params()[0].value;
    let initial = &values.f32s.iter().find(|(id, _)| *id == w).expect("D's first weight's start").1;
    assert!(fused[w].iter().zip(initial).any(|(a, b)| *a != b.to_bits()), "D's first weight never moved");
}

/// STEPS steps of the default preset with the fusion `family` forced `fused` and `separate` (and the
/// fusion `other` forced apart in both, so that nothing else differs) leave every tensor with the same
/// bits, with `fewer` dispatches a step fused; the GAN, its start and every tensor's bits fused (None
/// where the GPU tests are skipped).
fn fused_steps_equal_steps_apart(
    family: &'static str,
    other: &'static str,
    fewer: usize,
) -> Option<(Gan, InitialValues, Vec<Vec<u32>>)> {
    gpu()?;
    let shapes = Shapes { pixels: 16, train_count: 30, loss_slots: 8, samples: 4 };
    let gan = Gan::new(&shrunk("paper-code-ema"), shapes);
    let values = random_start(&gan, &mut rng(17));
    let run = |fusion| steps_with_kernels(&gan, &values, [(family, fusion), (other, "separate")]);
    let ((fused_dispatches, fused), (apart_dispatches, apart)) = (run("fused"), run("separate"));
    assert_eq!(apart_dispatches, gan.train_step.len(), "{family} apart: one dispatch per operation");
    assert_eq!(fused_dispatches + fewer, apart_dispatches, "dispatches a step, {family} fused and apart");
    for (id, (a, b)) in fused.iter().zip(&apart).enumerate() {
        assert!(a == b, "after {STEPS} steps, {} differs with {family} fused", gan.graph.tensors[id].name);
    }
    Some((gan, values, fused))
}

/// A weight gradient moves to its SGD update, to run in one kernel with it, only where nothing between
/// them could tell: not past an operation that writes X or dY or reads the gradient, and only a plain
/// Xᵀ·dY (no bias, no activation).
#[test]
fn a_weight_gradient_joins_its_update_only_past_operations_that_leave_its_operands_alone() {
    if gpu().is_none() {
        return;
    }
    let kernels = [("weight-gradient-sgd", "fused"), ("matmul", "block-8x8")].into_iter().collect();
    let options = GpuOptions { kernels, tune_cache: None, ..GpuOptions::from_env().unwrap() };
    let gpu = Gpu::open_blocking(options).expect("a second device");
    let mut graph = gan_wgpu::graph::Graph::new(0);
    let [x, dy, other] = ["x", "dy", "other"].map(|name| graph.tensor(name, &[4, 8]));
    let [w, grad, velocity, square] = ["w", "w.grad", "w.velocity", "square"].map(|name| graph.tensor(name, &[8, 8]));
    let hyper = graph.tensor_u32("hyper", &[5]);
    let state = GpuState::new(&gpu, &graph);
    let gradient = |act| Op::Matmul { layout: Layout::TransposeA, a: x, b: dy, bias: None, act, c: grad };
    let update = Op::SgdUpdate { hyper, param: w, grad, velocity };
    let relu = |x, y| Op::Activation { act: Activation::Relu, x, y };
    // One dispatch for the two where they join, and one for each operation between.
    let dispatches = |between: Vec<Op>| {
        let ops: Vec<Op> =
            [gradient(Activation::Identity)].into_iter().chain(between).chain([update.clone()]).collect();
        state.program(&gpu, &ops).len()
    };
    assert_eq!(dispatches(vec![]), 1, "side by side");
    assert_eq!(dispatches(vec![relu(x, other), relu(dy, other)]), 3, "past operations that read its operands");
    assert_eq!(dispatches(vec![relu(other, x)]), 3, "past an operation that writes X");
    assert_eq!(dispatches(vec![relu(other, dy)]), 3, "past an operation that writes dY");
    assert_eq!(dispatches(vec![relu(grad, square)]), 3, "past an operation that reads the gradient");
    let with_relu = state.program(&gpu, &[gradient(Activation::Relu), update]);
    assert_eq!(with_relu.len(), 2, "a gradient with an activation");
}

/// Every tensor's bits after STEPS steps from `values` on a device with `forced` kernels (besides
/// the 16×16 block, texel reads for element-wise kernels and storage for updates in place), and the
/// dispatches a step.
fn steps_with_kernels(
    gan: &Gan,
    values: &InitialValues,
    forced: [(&'static str, &'static str); 2],
) -> (usize, Vec<Vec<u32>>) {
    let kernels =
        [("matmul", "block-16x16"), ("elementwise", "texels"), ("updates", "storage")].into_iter().chain(forced);
    let options = GpuOptions { kernels: kernels.collect(), tune_cache: None, ..GpuOptions::from_env().unwrap() };
    let gpu = Gpu::open_blocking(options).expect("a second device");
    let state = GpuState::new(&gpu, &gan.graph);
    state.load(&gpu, values);
    let step = state.program(&gpu, &gan.train_step);
    for _ in 0..STEPS {
        gpu.run(|pass| step.record(pass));
    }
    let bits: Vec<Vec<u32>> = (0..gan.graph.tensors.len())
        .map(|id| match gan.graph.tensors[id].kind {
            Kind::F32 => pollster::block_on(state.read_f32(&gpu, id)).unwrap().iter().map(|v| v.to_bits()).collect(),
            Kind::U32 => pollster::block_on(state.read_u32(&gpu, id)).unwrap(),
        })
        .collect();
    (step.len(), bits)
}

/// An average that starts at a later epoch (`ema_from_epoch`) is G itself until then, exactly, and an
/// average after; on the GPU as in the CPU reference. The normalised one is a copy at its first step
/// too, where G weighs all there is.
#[test]
fn an_average_from_a_later_epoch_is_g_until_then() {
    let Some(gpu) = gpu() else { return };
    for (ema_weights, copies_until) in [(EmaWeights::FromCopy, 2), (EmaWeights::Normalised, 3)] {
        let config = Config { ema: Some(0.99998), ema_from_epoch: 1, ema_weights, ..shrunk("paper-code-ema") };
        // Two steps an epoch: the average starts at step 2.
        let (gan, mut cpu, state, step) = two_steps_an_epoch(gpu, &config);
        let read = |id: Id| pollster::block_on(state.read_f32(gpu, id)).unwrap();
        let average = gan.average.as_ref().expect("paper-code-ema keeps an average");
        for s in 0..5 {
            gpu.run(|pass| step.record(pass));
            cpu.run(&gan.train_step);
            let mut copies = 0;
            for (g, a) in gan.generator.params().iter().zip(average.params()) {
                let name = &gan.graph.tensors[a.value].name;
                let a_values = read(a.value);
                copies += usize::from(a_values == read(g.value));
                assert_close(&format!("{ema_weights:?}, step {s}: {name}"), &a_values, cpu.f32(a.value), 1e-5, 1e-3);
            }
            // From its first step the average lags G (in the biases at least: the weights of this
            // small G move by less than their rounding in its first steps).
            let tensors = average.params().len();
            if s < copies_until {
                assert_eq!(copies, tensors, "{ema_weights:?}, step {s}: the average is not G");
            } else {
                assert!(copies < tensors, "{ema_weights:?}, step {s}: the average is still a copy of G");
            }
        }
    }
}

/// The default preset's average, over epochs' ends alike (two steps an epoch, from epoch 1): G itself
/// through epoch 1 and kept through epoch 2's first step, then G at the end of epoch 2, kept through
/// epoch 3's first step, then the mean of G at the ends of epochs 2 and 3; on the GPU as in the CPU
/// reference. This small G moves little in a step, so only exact values tell the steps apart.
#[test]
fn an_average_of_epochs_ends_is_the_mean_of_g_at_each_epochs_last_step() {
    let Some(gpu) = gpu() else { return };
    let config = Config { ema_from_epoch: 1, ..shrunk("paper-code-ema") };
    assert_eq!((config.ema, config.ema_weights), (Some(1.0), EmaWeights::EpochEnds), "the default preset's");
    let (gan, mut cpu, state, step) = two_steps_an_epoch(gpu, &config);
    let read = |id: Id| pollster::block_on(state.read_f32(gpu, id)).unwrap();
    let average = gan.average.as_ref().expect("paper-code-ema keeps an average");
    let pairs: Vec<_> = gan.generator.params().iter().zip(average.params()).map(|(g, a)| (g.value, a.value)).collect();
    let mut g_at = Vec::new();
    for s in 0..6 {
        gpu.run(|pass| step.record(pass));
        cpu.run(&gan.train_step);
        g_at.push(pairs.iter().map(|&(g, _)| read(g)).collect::<Vec<_>>());
        for (i, &(_, a)) in pairs.iter().enumerate() {
            let (got, name) = (read(a), &gan.graph.tensors[a].name);
            assert_close(&format!("step {s}: {name}"), &got, cpu.f32(a), 1e-5, 1e-3);
            let want: Vec<f32> = match s {
                0..=1 => g_at[s][i].clone(),
                2 => g_at[1][i].clone(),
                3 | 4 => g_at[3][i].clone(),
                _ => g_at[3][i].iter().zip(&g_at[5][i]).map(|(x, y)| 0.5 * x + 0.5 * y).collect(),
            };
            // Copies, and halves summed, are exact in f32.
            assert_eq!(got, want, "step {s}: {name} against G's");
        }
    }
}

/// Inside an epoch the default preset's step leaves out its average's updates (one per tensor of G),
/// and nothing else; a per-step average is in every step.
#[test]
fn the_step_inside_an_epoch_leaves_out_only_an_average_of_epochs_ends() {
    let shapes = Shapes { pixels: 16, train_count: 12, loss_slots: 8, samples: 4 };
    let gan = Gan::new(&shrunk("paper-code-ema"), shapes);
    let inside = gan.train_step_inside_epoch().expect("the default preset averages epochs' ends");
    assert_eq!(inside.from_step, 2 * 285, "two steps an epoch, from epoch 285");
    let inside = inside.ops;
    let inside_ops: Vec<String> = inside.iter().map(|op| format!("{op:?}")).collect();
    let left_out: Vec<&Op> = gan.train_step.iter().filter(|op| !inside_ops.contains(&format!("{op:?}"))).collect();
    assert_eq!(left_out.len(), gan.generator.params().len(), "{left_out:?}");
    assert!(
        left_out.iter().all(|op| matches!(op, Op::Ema { averaging, .. } if averaging.weights == EmaWeights::EpochEnds))
    );
    assert_eq!(inside.len() + left_out.len(), gan.train_step.len());
    assert!(Gan::new(&shrunk("paper-ema"), shapes).train_step_inside_epoch().is_none());
}

#[test]
fn a_linear_lr_schedule_steps_alike_on_gpu_and_cpu() {
    let config = Config { lr_schedule: LrSchedule::LinearToZero, epochs: 2, ..shrunk("quality") };
    check_preset(&config);
}

#[test]
fn simultaneous_updates_judge_the_fakes_once() {
    // G's loss and D's come from one judgement: D's output on the fakes for G's update equals its
    // output on the fake rows of its own update, dropout masks included. G first with masks of its
    // own (the reference's order) judges them differently.
    for (order, same) in [(Order::Simultaneous, true), (Order::GeneratorFirst, false)] {
        let config = Config { order, ..shrunk("paper-code-ema") };
        let shapes = Shapes { pixels: 16, train_count: 30, loss_slots: 8, samples: 4 };
        let gan = Gan::new(&config, shapes);
        let mut cpu = CpuState::new(&gan.graph);
        cpu.load(&random_start(&gan, &mut rng(4)));
        cpu.run(&gan.train_step);
        let last = gan.discriminator.layers.len() - 1;
        let output = |pass: u32| cpu.f32(gan.graph.find(&format!("D.pass{pass}.{last}.out")).unwrap()).to_vec();
        let (for_g, for_d) = (output(0), output(1));
        assert_eq!(for_g.len(), config.batch);
        assert_eq!(for_g == for_d[config.batch..], same, "{order:?}: G's judgement {for_g:?}, D's {for_d:?}");
    }
}

#[test]
fn the_output_bias_from_marginals_starts_g_and_its_average_at_the_mean_image() {
    let config = shrunk("paper-code-ema");
    let shapes = Shapes { pixels: 16, train_count: 4, loss_slots: 8, samples: 4 };
    let gan = Gan::new(&config, shapes);
    // Pixel 0 always black, 1 always white, 2 half the time, 3 a quarter grey: the rest random.
    let mut images: Vec<u8> = (0..4 * 16).map(|i| (i * 37 % 256) as u8).collect();
    for (n, image) in images.chunks_mut(16).enumerate() {
        image[..4].copy_from_slice(&[0, 255, if n % 2 == 0 { 255 } else { 0 }, 64]);
    }
    let want = marginal_log_odds(&images, 16);
    let clipped = (1e-7f64 / (1.0 - 1e-7)).ln() as f32;
    assert_eq!(want[..3], [clipped, -clipped, 0.0]);
    assert!((want[3] - (64.0f32 / 191.0).ln()).abs() < 1e-6, "{}", want[3]);
    let values = gan.initial_values(&images);
    let bias = |network: &Network| match network.layers.last() {
        Some(Layer::Linear { b, .. }) => values.f32s.iter().find(|(id, _)| *id == b.value).unwrap().1.clone(),
        other => panic!("G ends in {other:?}"),
    };
    assert_eq!(bias(&gan.generator), want, "G's output bias");
    assert_eq!(bias(gan.average.as_ref().unwrap()), want, "the average's output bias");
    let as_drawn = Gan::new(&shrunk("paper"), shapes).initial_values(&images);
    assert!(as_drawn.f32s.iter().all(|(_, v)| v != &want), "the paper preset's own bias is from marginals too");
}

#[test]
fn seed_preset_at_full_size_steps_alike_on_gpu_and_cpu() {
    let Some(gpu) = gpu() else { return };
    let config = Config::preset("seed").unwrap();
    let shapes = Shapes { pixels: 784, train_count: 128, loss_slots: 4, samples: 2 };
    let gan = Gan::new(&config, shapes);
    let (_, mut cpu, state) = start(gpu, &gan, 16);
    let step = state.program(gpu, &gan.train_step);
    for _ in 0..2 {
        gpu.run(|pass| step.record(pass));
        cpu.run(&gan.train_step);
    }
    // Biases right before batch norm get rounding noise that Adam scales to steps of about lr: they
    // agree to 2·lr per step, the rest to rounding.
    let noise_only = biases_before_batchnorm(&gan.generator);
    assert_eq!(noise_only.len(), 2);
    for p in [gan.generator.params(), gan.discriminator.params()].concat() {
        let name = &gan.graph.tensors[p.value].name;
        let got = pollster::block_on(state.read_f32(gpu, p.value)).unwrap();
        let atol = if noise_only.contains(&p.value) { 2.0 * 2e-4 * 2.0 } else { 1e-5 };
        assert_close(&format!("seed preset, 2 steps: {name}"), &got, cpu.f32(p.value), atol, 1e-3);
    }
}

/// The losses of one step from a given state, with both learning rates 0 so that the step changes
/// no parameter: (D's loss, G's loss), and the state after it (whose `.grad` tensors hold the step's
/// gradients). The clock is set back first, so noise, labels, batch and dropout masks are the same
/// every time.
fn losses_at(gan: &Gan, start: &CpuState, params: &[(Id, Vec<f32>)]) -> (f64, f64, CpuState) {
    let mut cpu = start.clone();
    for (id, values) in params {
        cpu.set_f32(*id, values.clone());
    }
    cpu.run(&gan.train_step);
    let (d, g) = (cpu.f32(gan.d_losses)[0] as f64, cpu.f32(gan.g_losses)[0] as f64);
    (d, g, cpu)
}

#[test]
fn the_steps_gradients_are_those_of_the_gans_losses() {
    // Directional finite differences of the GAN's own losses, on the CPU reference in f32: D's loss
    // (BCE of D on [real; fake] against its targets) along a random direction of D's parameters, and
    // G's non-saturating loss (BCE of D(G(z)) against 1, through D) along a random direction of G's,
    // batch norm in training mode and dropout masks fixed by the clock. A sign error in G's objective,
    // or D's gradient reaching G wrongly, fails here even where GPU and CPU agree.
    //
    // The losses have kinks (ReLU, maxout, dropout), which f32 differences of h = 1e-3 cross: D's loss
    // is measured on batches of 6, where few rows cross; G's on batches of 32, since batch norm's
    // statistics over 6 rows make G's loss too sharp for them (there the seed preset's G gradients were
    // checked against PyTorch's autograd in float64 instead: equal within 1e-8).
    let mut rng = rng(31);
    for name in PRESETS {
        for (which, batch) in [("D", 6), ("G", 32)] {
            let config = Config { batch, ..shrunk(name) };
            let (analytic, numeric) = directional_derivatives(&config, which, &mut rng);
            let tolerance = 0.02 * numeric.abs().max(analytic.abs()) + 1e-4;
            assert!(
                (analytic - numeric).abs() <= tolerance,
                "{name}: {which}'s gradient along a random direction is {analytic}, finite differences give {numeric}"
            );
            assert!(analytic.abs() > 1e-3, "{name}: {which}'s directional derivative {analytic} is too small to test");
        }
    }
}

/// `which` network's gradient from one step of `config`, and central differences of its loss, along
/// one random direction of all its parameters.
fn directional_derivatives(config: &Config, which: &str, rng: &mut rand::rngs::StdRng) -> (f64, f64) {
    let mut config = config.clone();
    for optimizer in [&mut config.optimizer_g, &mut config.optimizer_d] {
        match optimizer {
            OptimizerConfig::Sgd { lr, .. } | OptimizerConfig::Adam { lr, .. } => *lr = 0.0,
        }
    }
    let shapes = Shapes { pixels: 16, train_count: 2 * config.batch, loss_slots: 8, samples: 4 };
    let gan = Gan::new(&config, shapes);
    let mut start = CpuState::new(&gan.graph);
    start.load(&random_start(&gan, rng));
    // Away from the paper's tiny initial weights, whose gradients are too small to measure in f32.
    for network in [&gan.generator, &gan.discriminator] {
        for p in network.params() {
            let v: Vec<f32> = start.f32(p.value).iter().map(|&w| w + rng.random_range(-0.3..0.3)).collect();
            start.set_f32(p.value, v);
        }
    }
    let network = if which == "D" { &gan.discriminator } else { &gan.generator };
    let params = network.params();
    let (_, _, stepped) = losses_at(&gan, &start, &[]);
    // Along the gradient plus as much random direction: the derivative is then large enough that the
    // kinks f32 differences cross stay small beside it, and a wrong sign or a wrong term still shows.
    let norm = |vs: &[Vec<f32>]| vs.iter().flatten().map(|&v| (v as f64).powi(2)).sum::<f64>().sqrt() as f32;
    let gradient: Vec<Vec<f32>> = params.iter().map(|p| stepped.f32(p.grad).to_vec()).collect();
    let random: Vec<Vec<f32>> =
        gradient.iter().map(|g| g.iter().map(|_| rng.random_range(-1.0..1.0)).collect()).collect();
    let (g_norm, r_norm) = (norm(&gradient), norm(&random));
    let direction: Vec<Vec<f32>> = gradient
        .iter()
        .zip(&random)
        .map(|(g, r)| g.iter().zip(r).map(|(g, r)| g / g_norm + r / r_norm).collect())
        .collect();
    let analytic = params.iter().zip(&direction).map(|(p, v)| dot(stepped.f32(p.grad), v)).sum();
    let h = 1e-3f32;
    let loss = |sign: f32| {
        let moved: Vec<(Id, Vec<f32>)> = params
            .iter()
            .zip(&direction)
            .map(|(p, v)| (p.value, start.f32(p.value).iter().zip(v).map(|(w, d)| w + sign * h * d).collect()))
            .collect();
        let (d, g, _) = losses_at(&gan, &start, &moved);
        if which == "D" { d } else { g }
    };
    (analytic, (loss(1.0) - loss(-1.0)) / (2.0 * h as f64))
}

#[test]
fn two_steps_equal_pytorchs() {
    // tests/fixtures/make_torch_steps.py ran two steps of the reference GAN in PyTorch from these
    // weights, noise, images and labels (tuned's structure shrunk, no dropout): the CPU reference
    // running the project's step list reaches the same losses and parameters.
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/torch_steps.safetensors");
    let fixture = gan_wgpu::checkpoint::load(&path).unwrap();
    let get = |name: &str| -> Vec<f32> {
        match &fixture.tensors.get(name).unwrap_or_else(|| panic!("the fixture has no {name}")).values {
            gan_wgpu::checkpoint::Values::F32(v) => v.clone(),
            gan_wgpu::checkpoint::Values::U32(v) => v.iter().map(|&b| b as f32).collect(),
            other => panic!("{name}: {other:?}"),
        }
    };
    let mut config = shrunk("tuned");
    config.discriminator.retain(|layer| !matches!(layer, LayerSpec::Dropout { .. }));
    let steps = 2;
    let shapes = Shapes { pixels: 16, train_count: steps * config.batch, loss_slots: 8, samples: 4 };
    let gan = Gan::new(&config, shapes);
    let images: Vec<u8> = (0..steps).flat_map(|s| get(&format!("step{s}.images"))).map(|b| b as u8).collect();
    let mut cpu = CpuState::new(&gan.graph);
    cpu.load(&gan.initial_values(&images));
    let params = [gan.generator.params(), gan.discriminator.params()].concat();
    for p in &params {
        cpu.set_f32(p.value, get(&format!("initial.{}", gan.graph.tensors[p.value].name)));
    }
    cpu.set_u32(gan.images, pack_pixels(&images));
    cpu.set_u32(gan.order, (0..shapes.train_count as u32).collect());
    // The step's own draws of z and of the real labels give way to PyTorch's.
    let (z, labels) = (gan.graph.find("z").unwrap(), gan.graph.find("D.real_targets").unwrap());
    let ops: Vec<Op> = gan
        .train_step
        .iter()
        .filter(|op| !matches!(op, Op::Normal { out, .. } | Op::Uniform { out, .. } if *out == z || *out == labels))
        .cloned()
        .collect();
    assert_eq!(ops.len(), gan.train_step.len() - 2);
    for step in 0..steps {
        cpu.set_f32(z, get(&format!("step{step}.z")));
        cpu.set_f32(labels, get(&format!("step{step}.real_labels")));
        cpu.run(&ops);
        for (losses, name) in [(gan.g_losses, "g_loss"), (gan.d_losses, "d_loss")] {
            let want = get(&format!("step{step}.{name}"));
            assert_close(&format!("step {step}: {name}"), &cpu.f32(losses)[step..step + 1], &want, 1e-6, 1e-5);
        }
    }
    // Biases right before batch norm move by Adam-scaled rounding noise: within lr per step.
    let noise_only = biases_before_batchnorm(&gan.generator);
    for p in &params {
        let name = &gan.graph.tensors[p.value].name;
        assert_close(
            &format!("{name} after {steps} steps"),
            cpu.f32(p.value),
            &get(&format!("final.{name}")),
            if noise_only.contains(&p.value) { 2e-4 * steps as f32 } else { 1e-6 },
            1e-4,
        );
    }
}
