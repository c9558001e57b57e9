//! maxout.wgsl against the CPU reference and finite differences, and maxout_dropout.wgsl against
//! maxout.wgsl and dropout.wgsl run one after the other.

mod common;

use common::*;
use gan_wgpu::gpu::tune::Source;
use gan_wgpu::gpu::{Gpu, GpuOptions, Tensor};
use gan_wgpu::ops::dropout;
use gan_wgpu::ops::maxout::{
    UnitDropout, backward, backward_dropout, forward, forward_dropout, fuses_dropout, reference,
};
use gan_wgpu::ops::random::{Clock, Stream};

#[test]
fn forward_and_backward_match_reference() {
    let Some(gpu) = gpu() else { return };
    let mut rng = rng(3);
    // Odd sizes, and the discriminators' real ones: 512 and 256 units × 3, 240 units × 5.
    for (rows, units, k) in [(1, 1, 1), (3, 7, 2), (64, 512, 3), (64, 256, 3), (100, 240, 5), (5, 3, 4)] {
        let mut z = random_vec(&mut rng, rows * units * k, -1.0, 1.0);
        if k > 1 {
            z[1] = z[0]; // a tie: the first piece wins
        }
        let dy = random_vec(&mut rng, rows * units, -1.0, 1.0);
        let (tz, ty, targ) = (
            upload(gpu, &[rows, units * k], &z),
            Tensor::zeros(gpu, &[rows, units]),
            Tensor::<u32>::zeros(gpu, &[rows, units]),
        );
        let (tdy, tdz) = (upload(gpu, &[rows, units], &dy), Tensor::zeros(gpu, &[rows, units * k]));
        let ops = [forward(gpu, &tz, &ty, &targ), backward(gpu, &tdy, &targ, &tdz)];
        gpu.run(|pass| ops.iter().for_each(|op| op.record(pass)));
        let (y, arg) = reference::forward(&z, k);
        let what = format!("{rows}×{units}×{k}");
        assert_eq!(download(gpu, &ty), y, "{what} units");
        assert_eq!(download(gpu, &targ), arg, "{what} argmax");
        assert_eq!(download(gpu, &tdz), reference::backward(&dy, &arg, k), "{what} backward");
    }
}

#[test]
fn backward_matches_finite_differences() {
    let mut rng = rng(4);
    let (units, k) = (20, 3);
    let z = random_vec(&mut rng, units * k, -1.0, 1.0);
    let r = random_vec(&mut rng, units, -1.0, 1.0);
    let (_, arg) = reference::forward(&z, k);
    let analytic = reference::backward(&r, &arg, k);
    let coords: Vec<usize> = (0..z.len()).collect();
    // A step far below the gaps between pieces, so no winner changes.
    let numeric = numeric_gradient(|z| dot(&r, &reference::forward(z, k).0), &z, &coords, 1e-4);
    assert_gradient("maxout", &analytic, &numeric, &coords, 1e-2);
}

/// Maxout and the dropout of its units in one kernel, each way, leave every buffer bit for bit as
/// the two kernels apart do, reading texels or storage, at the discriminators' shapes and odd ones,
/// with the mask offsets and keep probabilities of the presets.
#[test]
fn maxout_with_dropout_in_one_kernel_equals_the_two_kernels() {
    let mut rng = rng(5);
    for gpu in gpus_both_reads() {
        let clock = Clock::new(gpu, 7);
        for (rows, units, k, keep, offset) in [
            (1, 1, 1, 0.5, 0),
            (3, 7, 2, 0.5, 21),
            (100, 240, 5, 0.5, 0),
            (100, 240, 5, 0.8, 24_000),
            (5, 3, 4, 0.5, 3),
        ] {
            let stream = Stream { seed: 11, id: 2 };
            let what = format!("{rows}×{units}×{k}, keep {keep}, offset {offset}");
            let z = upload(gpu, &[rows, units * k], &random_vec(&mut rng, rows * units * k, -1.0, 1.0));
            let d_dropped = upload(gpu, &[rows, units], &random_vec(&mut rng, rows * units, -1.0, 1.0));
            let zeros = || Tensor::zeros(gpu, &[rows, units]);
            let run = |fused: bool| {
                let (y, argmax, dropped) = (zeros(), Tensor::<u32>::zeros(gpu, &[rows, units]), zeros());
                let (dy, dz) = (zeros(), Tensor::zeros(gpu, &[rows, units * k]));
                let unit_dropout = UnitDropout { stream, keep, offset };
                let ops = if fused {
                    vec![
                        forward_dropout(gpu, &clock, unit_dropout, &z, &y, &argmax, &dropped),
                        backward_dropout(gpu, &clock, unit_dropout, &d_dropped, &argmax, &dy, &dz),
                    ]
                } else {
                    vec![
                        forward(gpu, &z, &y, &argmax),
                        dropout::apply(gpu, &clock, stream, keep, offset, &y, &dropped),
                        dropout::apply(gpu, &clock, stream, keep, offset, &d_dropped, &dy),
                        backward(gpu, &dy, &argmax, &dz),
                    ]
                };
                gpu.run(|pass| ops.iter().for_each(|op| op.record(pass)));
                let floats = [&y, &dropped, &dy, &dz].map(|t| download(gpu, t));
                (floats, download(gpu, &argmax))
            };
            let ((fused, fused_argmax), (apart, apart_argmax)) = (run(true), run(false));
            assert_eq!(fused_argmax, apart_argmax, "{what}: argmax");
            for (name, (a, b)) in ["units", "dropped units", "units' gradient", "pieces' gradient"]
                .into_iter()
                .zip(fused.iter().zip(&apart))
            {
                let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(a), bits(b), "{what}: {name}");
            }
            // The masks dropped some units and kept others, so the test could tell them apart.
            let kept = fused[1].iter().filter(|v| **v != 0.0).count();
            assert!(rows * units < 8 || (0 < kept && kept < rows * units), "{what}: {kept} units kept");
        }
    }
}

/// Each adapter times maxout with the dropout after it both ways, the fused kernels checked first,
/// and takes the faster.
#[test]
fn the_adapter_times_maxout_with_dropout_both_ways_and_takes_the_faster() {
    if gpu().is_none() {
        return;
    }
    let options = GpuOptions { kernels: Default::default(), tune_cache: None, ..GpuOptions::from_env().unwrap() };
    let gpu = Gpu::open_blocking(options).expect("a second device");
    let fused = fuses_dropout(&gpu);
    let choices = gpu.kernel_choices();
    let (key, choice) = choices.iter().find(|(key, _)| key.starts_with("maxout-dropout")).expect("no choice made");
    assert_eq!(choice.source, Source::Measured, "{key}");
    assert_eq!(choice.variant, if fused { "fused" } else { "separate" }, "{key}");
    let seconds = |variant: &str| choice.seconds.get(variant).copied().unwrap_or_else(|| panic!("{variant} untimed"));
    let (chosen, other) = if fused { ("fused", "separate") } else { ("separate", "fused") };
    assert!(seconds(chosen) <= seconds(other), "{key}: {:?}", choice.seconds);
}
