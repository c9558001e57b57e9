//! distance.wgsl and the Parzen estimate against direct CPU computations and hand-checked cases.

mod common;

use common::*;
use gan_wgpu::eval::distance::{Centres, nearest};
use gan_wgpu::eval::parzen::{Estimate, select_sigma, sigma_range};
use gan_wgpu::gpu::Tensor;
use gan_wgpu::ops::distance::{Reduction, reference, squared_norms};

#[test]
fn squared_norms_match_cpu() {
    let Some(gpu) = gpu() else { return };
    let mut rng = rng(30);
    let (rows, dims) = (37, 29);
    let x = random_vec(&mut rng, rows * dims, -1.0, 1.0);
    let (tx, tn) = (upload(gpu, &[rows, dims], &x), Tensor::zeros(gpu, &[rows]));
    let op = squared_norms(gpu, &tx, &tn);
    gpu.run(|pass| op.record(pass));
    let want: Vec<f32> = x.chunks(dims).map(|r| r.iter().map(|v| v * v).sum()).collect();
    assert_close("norms", &download(gpu, &tn), &want, 1e-5, 1e-5);
}

#[test]
fn parzen_of_one_centre_is_a_gaussian_density() {
    let Some(gpu) = gpu() else { return };
    // In 2 dimensions, a query at distance 0.5 from the only centre, σ = 0.25:
    // log N = -0.5²/(2·0.25²) - 2·log(0.25·√(2π)) = -2 - 2·log(0.6266571) = -1.0652883.
    let centres = Centres::new(gpu, &[0.3, -0.2], 2);
    let got = centres.reduce(gpu, &[Reduction::Parzen { sigma: 0.25 }], &[0.6, 0.2]).unwrap();
    assert_close("one centre", &got[0], &[-1.0652883], 1e-5, 0.0);
    // Two centres at the same distance give the same mean; one far away halves it: log 1/2 less.
    let centres = Centres::new(gpu, &[0.3, -0.2, 100.0, 100.0], 2);
    let got = centres.reduce(gpu, &[Reduction::Parzen { sigma: 0.25 }], &[0.6, 0.2]).unwrap();
    assert_close("one near, one far", &got[0], &[-1.0652883 - 2f32.ln()], 1e-5, 0.0);
}

#[test]
fn parzen_and_nearest_match_direct_computation() {
    let Some(gpu) = gpu() else { return };
    let mut rng = rng(31);
    let dims = 50;
    let (queries, centres) = (random_vec(&mut rng, 41 * dims, 0.0, 1.0), random_vec(&mut rng, 300 * dims, 0.0, 1.0));
    let reductions = [
        Reduction::Parzen { sigma: 0.1 },
        Reduction::Parzen { sigma: 0.3 },
        Reduction::Parzen { sigma: 1.0 },
        Reduction::Nearest,
    ];
    let set = Centres::new(gpu, &centres, dims);
    // A chunk of 7 queries: five full chunks and a padded one.
    for got in
        [set.reduce(gpu, &reductions, &queries).unwrap(), set.reduce_in_chunks(gpu, &reductions, &queries, 7).unwrap()]
    {
        for (values, &reduction) in got.iter().zip(&reductions) {
            let want: Vec<f32> =
                reference::reduce(reduction, &queries, &centres, dims).iter().map(|&v| v as f32).collect();
            assert_close(&format!("{reduction:?}"), values, &want, 2e-3, 2e-5);
        }
    }
    // The nearest image of 300 found in blocks of 64 (the last one partial).
    let blocked = nearest(gpu, &queries, &centres, dims, 64).unwrap();
    assert_close("nearest in blocks", &blocked, &got_nearest(&queries, &centres, dims), 2e-3, 2e-5);
}

fn got_nearest(queries: &[f32], centres: &[f32], dims: usize) -> Vec<f32> {
    reference::reduce(Reduction::Nearest, queries, centres, dims).iter().map(|&v| v as f32).collect()
}

#[test]
fn sigma_range_is_parzen_ll_default() {
    let want =
        [0.1, 0.12915497, 0.16681005, 0.21544347, 0.27825594, 0.35938137, 0.464_158_9, 0.59948425, 0.774_263_7, 1.0];
    assert_close("numpy.logspace(-1, 0, 10)", &sigma_range(), &want, 0.0, 1e-6);
}

#[test]
fn sigma_selection_picks_the_likeliest() {
    let Some(gpu) = gpu() else { return };
    // One centre at the origin and one validation point at distance d in D dimensions:
    // log N(d; σ) = -d²/2σ² - D·log σ + c is largest at σ = d/√D. With D = 4 and
    // d = 2·0.27825594, that is the fifth candidate.
    let dims = 4;
    let d = 2.0 * 0.27825594f32;
    let point = [d, 0.0, 0.0, 0.0];
    let centres = Centres::new(gpu, &[0.0; 4], dims);
    let (sigma, scores) = select_sigma(gpu, &centres, &point, &sigma_range()).unwrap();
    assert_eq!(sigma, sigma_range()[4], "scores: {scores:?}");
    for &(s, score) in &scores {
        let want = -(d * d) as f64 / (2.0 * (s * s) as f64)
            - dims as f64 * (s as f64 * (2.0 * std::f64::consts::PI).sqrt()).ln();
        assert!((score - want).abs() < 1e-3, "σ {s}: {score}, expected {want}");
    }
}

#[test]
fn estimate_is_mean_and_standard_error() {
    // numpy: mean 2.5, std (ddof 0) √1.25, stderr √1.25 / 2.
    let e = Estimate::of(&[1.0, 2.0, 3.0, 4.0]);
    assert_eq!(e.mean, 2.5);
    assert!((e.stderr - 1.25f64.sqrt() / 2.0).abs() < 1e-12);
}
