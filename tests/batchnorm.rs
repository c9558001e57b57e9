//! batchnorm.wgsl against the CPU reference and finite differences.

mod common;

use common::*;
use gan_wgpu::gpu::Tensor;
use gan_wgpu::ops::batchnorm::{backward, forward_eval, forward_train, reference};

#[test]
fn train_eval_and_backward_match_reference() {
    let Some(gpu) = gpu() else { return };
    let mut rng = rng(8);
    for (rows, features) in [(2, 1), (3, 5), (64, 256), (64, 512), (100, 1200), (7, 300)] {
        let x = random_vec(&mut rng, rows * features, -2.0, 3.0);
        let gamma = random_vec(&mut rng, features, 0.5, 1.5);
        let beta = random_vec(&mut rng, features, -0.5, 0.5);
        let running = [random_vec(&mut rng, features, -0.1, 0.1), random_vec(&mut rng, features, 0.9, 1.1)].concat();
        let dy = random_vec(&mut rng, rows * features, -1.0, 1.0);
        let shape = [rows, features];
        let (tx, tg, tb, trun) = (
            upload(gpu, &shape, &x),
            upload(gpu, &[features], &gamma),
            upload(gpu, &[features], &beta),
            upload(gpu, &[2 * features], &running),
        );
        let (ty, tstats, teval) =
            (Tensor::zeros(gpu, &shape), Tensor::zeros(gpu, &[2 * features]), Tensor::zeros(gpu, &shape));
        let (tdy, tdx, tdg, tdb) = (
            upload(gpu, &shape, &dy),
            Tensor::zeros(gpu, &shape),
            Tensor::zeros(gpu, &[features]),
            Tensor::zeros(gpu, &[features]),
        );
        let ops = [
            forward_train(gpu, &tx, &tg, &tb, &ty, &tstats, &trun),
            backward(gpu, &tx, &tg, &tstats, &tdy, &tdx, &tdg, &tdb),
            forward_eval(gpu, &tx, &tg, &tb, &teval, &trun),
        ];
        gpu.run(|pass| ops.iter().for_each(|op| op.record(pass)));
        let what = format!("{rows}×{features}");
        let (y, stats, new_running) = reference::forward_train(&x, &gamma, &beta, &running);
        assert_close(&format!("{what} y"), &download(gpu, &ty), &y, 1e-5, 1e-4);
        assert_close(&format!("{what} stats"), &download(gpu, &tstats), &stats, 1e-5, 1e-4);
        assert_close(&format!("{what} running"), &download(gpu, &trun), &new_running, 1e-5, 1e-4);
        let (dx, dg, db) = reference::backward(&x, &gamma, &stats, &dy);
        assert_close(&format!("{what} dx"), &download(gpu, &tdx), &dx, 1e-4, 1e-3);
        assert_close(&format!("{what} dgamma"), &download(gpu, &tdg), &dg, 1e-4, 1e-4);
        assert_close(&format!("{what} dbeta"), &download(gpu, &tdb), &db, 1e-4, 1e-4);
        // Evaluation ran after the running statistics moved.
        assert_close(
            &format!("{what} eval"),
            &download(gpu, &teval),
            &reference::forward_eval(&x, &gamma, &beta, &new_running),
            1e-5,
            1e-4,
        );
    }
}

#[test]
fn backward_matches_finite_differences() {
    let mut rng = rng(9);
    let (rows, features) = (6, 4);
    let x = random_vec(&mut rng, rows * features, -2.0, 2.0);
    let gamma = random_vec(&mut rng, features, 0.5, 1.5);
    let beta = random_vec(&mut rng, features, -0.5, 0.5);
    let running = vec![0.0; 2 * features];
    let r = random_vec(&mut rng, rows * features, -1.0, 1.0);
    let loss = |x: &[f32], g: &[f32], b: &[f32]| dot(&r, &reference::forward_train(x, g, b, &running).0);
    let (_, stats, _) = reference::forward_train(&x, &gamma, &beta, &running);
    let (dx, dg, db) = reference::backward(&x, &gamma, &stats, &r);
    let all = |n: usize| (0..n).collect::<Vec<_>>();
    let h = 1e-2;
    assert_gradient(
        "dx",
        &dx,
        &numeric_gradient(|x| loss(x, &gamma, &beta), &x, &all(x.len()), h),
        &all(x.len()),
        5e-3,
    );
    assert_gradient(
        "dgamma",
        &dg,
        &numeric_gradient(|g| loss(&x, g, &beta), &gamma, &all(features), h),
        &all(features),
        5e-3,
    );
    assert_gradient(
        "dbeta",
        &db,
        &numeric_gradient(|b| loss(&x, &gamma, b), &beta, &all(features), h),
        &all(features),
        5e-3,
    );
}
