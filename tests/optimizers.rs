//! sgd.wgsl and adam.wgsl against the CPU reference over several steps, and against values
//! worked out by hand from PyTorch's update rules.

mod common;

use common::*;
use gan_wgpu::config::EmaWeights;
use gan_wgpu::gpu::Tensor;
use gan_wgpu::ops::adam::{self, AdamHyper};
use gan_wgpu::ops::ema::{self, Averaging};
use gan_wgpu::ops::random::Clock;
use gan_wgpu::ops::schedule;
use gan_wgpu::ops::sgd::{self, SgdHyper};

const STEPS: usize = 5;

#[test]
fn sgd_matches_reference_over_steps_with_decaying_lr() {
    for gpu in gpus_both_reads() {
        let mut rng = rng(12);
        // Over one row of the texel copies (1,024 texels), ending inside the next.
        let n = 5000;
        let mut h = SgdHyper { lr: 0.1, momentum: 0.5, weight_decay: 1e-3, lr_decay: 1.000004, lr_min: 1e-6 };
        let mut param = random_vec(&mut rng, n, -1.0, 1.0);
        let mut velocity = vec![0.0; n];
        let grads: Vec<Vec<f32>> = (0..STEPS).map(|_| random_vec(&mut rng, n, -1.0, 1.0)).collect();
        let th = Tensor::from_slice(gpu, &[1], &[h]);
        let (tp, tv) = (upload(gpu, &[n], &param), Tensor::zeros(gpu, &[n]));
        for g in &grads {
            let tg = upload(gpu, &[n], g);
            let ops = [sgd::update(gpu, &th, &tp, &tg, &tv), sgd::decay(gpu, &th)];
            gpu.run(|pass| ops.iter().for_each(|op| op.record(pass)));
            sgd::reference::update(&h, &mut param, g, &mut velocity);
            sgd::reference::decay(&mut h);
        }
        assert_close("sgd param", &download(gpu, &tp), &param, 1e-6, 1e-5);
        assert_close("sgd velocity", &download(gpu, &tv), &velocity, 1e-6, 1e-5);
        assert_close("sgd lr", &[download(gpu, &th)[0].lr], &[h.lr], 0.0, 1e-6);
    }
}

#[test]
fn sgd_by_hand() {
    // p = 1, g = 2, momentum 0.9, lr 0.1: v1 = 2, p1 = 0.8; v2 = 0.9·2 + 2 = 3.8, p2 = 0.8 - 0.38 = 0.42.
    let h = SgdHyper { lr: 0.1, momentum: 0.9, weight_decay: 0.0, lr_decay: 1.0, lr_min: 0.0 };
    let (mut p, mut v) = (vec![1.0], vec![0.0]);
    sgd::reference::update(&h, &mut p, &[2.0], &mut v);
    assert_close("p1", &p, &[0.8], 1e-7, 0.0);
    sgd::reference::update(&h, &mut p, &[2.0], &mut v);
    assert_close("p2", &p, &[0.42], 1e-6, 0.0);
    assert_close("v2", &v, &[3.8], 1e-6, 0.0);
}

#[test]
fn adam_matches_reference_over_steps() {
    for gpu in gpus_both_reads() {
        let mut rng = rng(13);
        // Over one row of the texel copies, and not a whole number of texels.
        let n = 4777;
        let mut h = AdamHyper { lr: 2e-4, beta1: 0.5, beta2: 0.999, eps: 1e-8, weight_decay: 0.0, step: 0 };
        let mut param = random_vec(&mut rng, n, -1.0, 1.0);
        let (mut m, mut v) = (vec![0.0; n], vec![0.0; n]);
        let th = Tensor::from_slice(gpu, &[1], &[h]);
        let (tp, tm, tv) = (upload(gpu, &[n], &param), Tensor::zeros(gpu, &[n]), Tensor::zeros(gpu, &[n]));
        for _ in 0..STEPS {
            let g = random_vec(&mut rng, n, -1.0, 1.0);
            let tg = upload(gpu, &[n], &g);
            let ops = [adam::tick(gpu, &th), adam::update(gpu, &th, &tp, &tg, &tm, &tv)];
            gpu.run(|pass| ops.iter().for_each(|op| op.record(pass)));
            h.step += 1;
            adam::reference::update(&h, &mut param, &g, &mut m, &mut v);
        }
        assert_eq!(download(gpu, &th)[0].step, STEPS as u32);
        assert_close("adam param", &download(gpu, &tp), &param, 1e-6, 1e-5);
        assert_close("adam m", &download(gpu, &tm), &m, 1e-6, 1e-5);
        assert_close("adam v", &download(gpu, &tv), &v, 1e-7, 1e-5);
    }
}

#[test]
fn adam_first_step_moves_by_lr_times_sign() {
    // After one step m̂ = g and v̂ = g², so the update is lr·g/(|g| + eps) ≈ lr·sign(g).
    let h = AdamHyper { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.0, step: 1 };
    let mut p = vec![0.5, 0.5, 0.5];
    let (mut m, mut v) = (vec![0.0; 3], vec![0.0; 3]);
    adam::reference::update(&h, &mut p, &[3.0, -0.2, 1e-3], &mut m, &mut v);
    assert_close("adam step 1", &p, &[0.49, 0.51, 0.49], 1e-5, 0.0);
}

#[test]
fn ema_matches_reference_over_steps_and_decay_zero_copies() {
    for gpu in gpus_both_reads() {
        let mut rng = rng(14);
        // Over one row of the texel copies, and not a whole number of texels.
        let n = 4421;
        let mut average = random_vec(&mut rng, n, -1.0, 1.0);
        let ta = upload(gpu, &[n], &average);
        let clock = Clock::new(gpu, 0);
        for _ in 0..STEPS {
            let param = random_vec(&mut rng, n, -1.0, 1.0);
            let tp = upload(gpu, &[n], &param);
            let op = ema::update(gpu, from_copy(0.999, 0), &clock, &tp, &ta);
            gpu.run(|pass| op.record(pass));
            ema::reference::update(0.999, &param, &mut average);
        }
        assert_close("ema average", &download(gpu, &ta), &average, 1e-7, 1e-6);
        let param = random_vec(&mut rng, n, -1.0, 1.0);
        let tp = upload(gpu, &[n], &param);
        let op = ema::update(gpu, Averaging::COPY, &clock, &tp, &ta);
        gpu.run(|pass| op.record(pass));
        assert_eq!(download(gpu, &ta), param, "decay 0 copies the parameters exactly");
    }
}

/// An average that starts at step 3 copies the parameters at steps 0–2 (the clock's), then averages.
#[test]
fn an_ema_from_a_later_step_copies_until_then() {
    for gpu in gpus_both_reads() {
        let mut rng = rng(15);
        let n = 1030;
        let mut average = random_vec(&mut rng, n, -1.0, 1.0);
        let ta = upload(gpu, &[n], &average);
        let clock = Clock::new(gpu, 0);
        for step in 0..STEPS as u32 {
            let param = random_vec(&mut rng, n, -1.0, 1.0);
            let tp = upload(gpu, &[n], &param);
            let ops = [ema::update(gpu, from_copy(0.9, 3), &clock, &tp, &ta), clock.advance(gpu)];
            gpu.run(|pass| ops.iter().for_each(|op| op.record(pass)));
            ema::reference::update(ema::reference::decay_at(from_copy(0.9, 3), step), &param, &mut average);
            let got = download(gpu, &ta);
            if step < 3 {
                assert_eq!(got, param, "step {step}: before the first step of the average, a copy");
            } else {
                assert_ne!(got, param, "step {step}: averaging");
                assert_close(&format!("step {step}"), &got, &average, 1e-7, 1e-6);
            }
        }
    }
}

fn from_copy(decay: f32, from_step: u32) -> Averaging {
    Averaging { decay, from_step, weights: EmaWeights::FromCopy, epoch_steps: 1 }
}

/// A normalised average from step 3 equals Σ decay^age · param / Σ decay^age over the parameters of
/// steps 3 on, worked out in f64; over 40 steps of decay 0.99 the kernel's 1 − decay^n takes both
/// of its ways (the series up to n = 9, exp above).
#[test]
fn a_normalised_ema_weighs_each_step_by_its_age_alone() {
    for gpu in gpus_both_reads() {
        let mut rng = rng(16);
        let (n, steps, from_step, decay) = (1030, 40u32, 3u32, 0.99f32);
        let averaging = Averaging { decay, from_step, weights: EmaWeights::Normalised, epoch_steps: 1 };
        let ta = upload(gpu, &[n], &random_vec(&mut rng, n, -1.0, 1.0));
        let clock = Clock::new(gpu, 0);
        let (mut weighted, mut weights) = (vec![0f64; n], 0f64);
        for step in 0..steps {
            let param = random_vec(&mut rng, n, -1.0, 1.0);
            let tp = upload(gpu, &[n], &param);
            let ops = [ema::update(gpu, averaging, &clock, &tp, &ta), clock.advance(gpu)];
            gpu.run(|pass| ops.iter().for_each(|op| op.record(pass)));
            if step <= from_step {
                assert_eq!(download(gpu, &ta), param, "step {step}: up to the average's first step, a copy");
            }
            if step >= from_step {
                let age = steps - 1 - step;
                let weight = (decay as f64).powi(age as i32);
                weighted.iter_mut().zip(&param).for_each(|(w, &p)| *w += weight * p as f64);
                weights += weight;
            }
        }
        let want: Vec<f32> = weighted.iter().map(|w| (w / weights) as f32).collect();
        assert_close("normalised average", &download(gpu, &ta), &want, 1e-6, 1e-5);
    }
}

/// Far from its first step (75,000 steps of 0.99998: the default preset's average at its end) the
/// normalised decay is decay · (1 − decay^n) / (1 − decay^(n+1)) as f64 gives it, on the GPU too.
#[test]
fn a_normalised_ema_keeps_its_decay_far_from_its_first_step() {
    let decay = 0.99998f32;
    let averaging = Averaging { decay, from_step: 20_000, weights: EmaWeights::Normalised, epoch_steps: 1 };
    for n in [0u32, 1, 2, 100, 499, 500, 501, 5_000, 75_000, 105_000] {
        let d = decay as f64;
        let want = d * (1.0 - d.powi(n as i32)) / (1.0 - d.powi(n as i32 + 1));
        let got = ema::reference::decay_at(averaging, 20_000 + n) as f64;
        assert!((got - want).abs() <= 1e-5 * want.max(1e-3), "n = {n}: decay {got}, expected {want}");
    }
    for gpu in gpus_both_reads() {
        let mut rng = rng(17);
        let n = 777;
        let mut average = random_vec(&mut rng, n, -1.0, 1.0);
        let param = random_vec(&mut rng, n, -1.0, 1.0);
        let (ta, tp) = (upload(gpu, &[n], &average), upload(gpu, &[n], &param));
        let step = 20_000 + 105_000;
        let op = ema::update(gpu, averaging, &Clock::new(gpu, step), &tp, &ta);
        gpu.run(|pass| op.record(pass));
        ema::reference::update(ema::reference::decay_at(averaging, step), &param, &mut average);
        assert_close("normalised average at step 125,000", &download(gpu, &ta), &average, 1e-7, 1e-6);
    }
}

/// Over epochs' ends (epochs of 3 steps, from step 3): a copy up to step 3, then the parameters of
/// each epoch's last step (5, 8, 11, ...) alone, weighed decay^age per epoch and normalised, as
/// `gan-wgpu average --decay` weighs snapshots (worked out in f64), and no change at the steps
/// between; with decay 1 all alike.
#[test]
fn an_average_of_epochs_ends_weighs_each_epochs_last_parameters_alone() {
    for gpu in gpus_both_reads() {
        for decay in [1.0f32, 0.9] {
            let mut rng = rng(18);
            let (n, steps, from_step, epoch_steps) = (1030, 30u32, 3u32, 3u32);
            let averaging = Averaging { decay, from_step, weights: EmaWeights::EpochEnds, epoch_steps };
            let ta = upload(gpu, &[n], &random_vec(&mut rng, n, -1.0, 1.0));
            let clock = Clock::new(gpu, 0);
            let mut ends = Vec::new();
            for step in 0..steps {
                let before = download(gpu, &ta);
                let param = random_vec(&mut rng, n, -1.0, 1.0);
                let tp = upload(gpu, &[n], &param);
                let ops = [ema::update(gpu, averaging, &clock, &tp, &ta), clock.advance(gpu)];
                gpu.run(|pass| ops.iter().for_each(|op| op.record(pass)));
                let got = download(gpu, &ta);
                let epoch_end = (step + 1) % epoch_steps == 0;
                if step < from_step {
                    assert_eq!(got, param, "decay {decay}, step {step}: before the average starts, a copy");
                } else if !epoch_end {
                    assert_eq!(got, before, "decay {decay}, step {step}: inside an epoch, no change");
                } else {
                    ends.push(param.clone());
                    let weights: Vec<f64> =
                        (0..ends.len()).map(|i| (decay as f64).powi((ends.len() - 1 - i) as i32)).collect();
                    let total: f64 = weights.iter().sum();
                    let want: Vec<f32> = (0..n)
                        .map(|j| (ends.iter().zip(&weights).map(|(e, w)| w * e[j] as f64).sum::<f64>() / total) as f32)
                        .collect();
                    assert_close(&format!("decay {decay}, step {step}"), &got, &want, 1e-6, 1e-5);
                    let mut reference = before.clone();
                    ema::reference::update(ema::reference::decay_at(averaging, step), &param, &mut reference);
                    assert_close(&format!("decay {decay}, step {step}: reference"), &got, &reference, 1e-6, 1e-5);
                }
            }
            assert_eq!(ends.len(), 9, "epochs 2 to 10 ended after the start");
        }
    }
}

#[test]
fn ema_by_hand() {
    // average 1, param 3: decay 0.5 gives 2, then 2.5; decay 0.9 from 2.5 gives 0.9·2.5 + 0.1·3 = 2.55.
    let mut average = vec![1.0];
    ema::reference::update(0.5, &[3.0], &mut average);
    assert_close("first", &average, &[2.0], 0.0, 0.0);
    ema::reference::update(0.5, &[3.0], &mut average);
    assert_close("second", &average, &[2.5], 0.0, 0.0);
    ema::reference::update(0.9, &[3.0], &mut average);
    assert_close("third", &average, &[2.55], 1e-6, 0.0);
}

#[test]
fn linear_decay_sets_lr_from_the_step_counter() {
    // lr 0.1 over 4 steps: 0.1, 0.075, 0.05, 0.025, then 0 from step 4 on.
    let want = [0.1, 0.075, 0.05, 0.025, 0.0, 0.0];
    for (step, want) in want.iter().enumerate() {
        let got = schedule::reference::linear_decay(0.1, 4, step as u32);
        assert_close(&format!("step {step}"), &[got], &[*want], 1e-8, 1e-6);
    }
    let Some(gpu) = gpu() else { return };
    for step in [0u32, 1, 7, 999, 1000, 1500] {
        let clock = Clock::new(gpu, step);
        // Adam's hyper-parameters: lr is the first word, the rest stays.
        let h = AdamHyper { lr: 2e-4, beta1: 0.5, beta2: 0.999, eps: 1e-8, weight_decay: 0.0, step: 3 };
        let hyper = Tensor::from_slice(gpu, &[1], &[h]);
        let op = schedule::linear_decay(gpu, &clock, &hyper.view(), 2e-4, 1000);
        gpu.run(|pass| op.record(pass));
        let after = download(gpu, &hyper)[0];
        let want = schedule::reference::linear_decay(2e-4, 1000, step);
        assert_close(&format!("lr at step {step}"), &[after.lr], &[want], 1e-12, 1e-6);
        assert_eq!(AdamHyper { lr: h.lr, ..after }, h, "only lr changes");
    }
}

#[test]
fn the_momentum_ramp_writes_sgds_momentum_and_nothing_else() {
    let Some(gpu) = gpu() else { return };
    let h = SgdHyper { lr: 0.1, momentum: 0.5, weight_decay: 0.0, lr_decay: 1.000004, lr_min: 1e-6 };
    let hyper = Tensor::from_slice(gpu, &[1], &[h]);
    hyper.view::<u32>().write_at(gpu, SgdHyper::MOMENTUM_WORD, &[0.7f32.to_bits()]);
    assert_eq!(download(gpu, &hyper)[0], SgdHyper { momentum: 0.7, ..h });
}
