//! Every matmul variant (shaders/matmul/) against the CPU reference, each one forced, with each
//! epilogue, and the linear layer's backward against finite differences.

mod common;

use common::*;
use gan_wgpu::gpu::{Gpu, Tensor};
use gan_wgpu::ops::activation::{self, Activation};
use gan_wgpu::ops::matmul::{
    Layout, SgdUpdate, VARIANTS, Variant, matmul, matmul_with, reference, weight_gradient_sgd_with,
};
use gan_wgpu::ops::sgd::{self, SgdHyper};
use gan_wgpu::ops::{matmul, reduce};

fn check(layout: Layout, m: usize, k: usize, n: usize, with_bias: bool, act: Activation) {
    let Some(gpu) = gpu() else { return };
    check_on(gpu, &VARIANTS, layout, m, k, n, with_bias, act);
}

/// Each variant's product against the CPU reference, computed once.
#[allow(clippy::too_many_arguments)]
fn check_on(
    gpu: &Gpu,
    variants: &[Variant],
    layout: Layout,
    m: usize,
    k: usize,
    n: usize,
    with_bias: bool,
    act: Activation,
) {
    let mut rng = rng((m * 31 + k * 7 + n) as u64);
    let (a_shape, b_shape) = layout.stored(m, k, n);
    let a = random_vec(&mut rng, m * k, -1.0, 1.0);
    let b = random_vec(&mut rng, k * n, -1.0, 1.0);
    let bias = with_bias.then(|| random_vec(&mut rng, n, -1.0, 1.0));
    let (ta, tb) = (upload(gpu, &a_shape, &a), upload(gpu, &b_shape, &b));
    let t_bias = bias.as_ref().map(|v| upload(gpu, &[n], v));
    let want = reference::matmul(layout, &a, a_shape, &b, b_shape, bias.as_deref(), act);
    // Sums of k products of values in [-1, 1]: rounding grows like sqrt(k)·eps·|terms|.
    let atol = 1e-5 * (k as f32).sqrt() * 4.0;
    for variant in variants {
        let c = Tensor::zeros(gpu, &[m, n]);
        let op = matmul_with(gpu, *variant, layout, &ta, &tb, t_bias.as_ref(), act, &c);
        gpu.run(|pass| op.record(pass));
        let what = format!("{} {layout:?} {m}×{k}×{n} bias={with_bias} {act:?}", variant.name());
        assert_close(&what, &download(gpu, &c), &want, atol, 1e-5);
    }
}

const LAYOUTS: [Layout; 3] = [Layout::Plain, Layout::TransposeA, Layout::TransposeB];

/// Unaligned shapes are read element by element, aligned ones (multiples of 4) as vec4s, including
/// partial blocks and tiles at the edges; in the block variant the small products take the `small`
/// entry, (65, 129, 63), (33, 20, 70) and (100, 7, 130) its `main`.
const ODD_SHAPES: [(usize, usize, usize); 12] = [
    (1, 1, 1),
    (4, 4, 4),
    (20, 12, 36),
    (36, 20, 12),
    (3, 17, 5),
    (17, 3, 100),
    (129, 100, 17),
    (65, 129, 63),
    (2, 784, 3),
    (33, 20, 70),
    (100, 7, 130),
    (128, 256, 1),
];

#[test]
fn odd_shapes() {
    for layout in LAYOUTS {
        for (m, k, n) in ODD_SHAPES {
            check(layout, m, k, n, false, Activation::Identity);
        }
    }
}

/// Where the adapter has subgroups of 8 (lavapipe), `odd_shapes` runs the blocks that share rows
/// across a subgroup; this runs the ones every other adapter gets.
#[test]
fn odd_shapes_without_subgroups() {
    let Some(gpu) = gpu_without_subgroups() else { return };
    assert!(!gpu.uses_subgroups());
    let blocks: Vec<Variant> = VARIANTS.into_iter().filter(|v| matches!(v, Variant::Block { .. })).collect();
    for layout in LAYOUTS {
        for (m, k, n) in ODD_SHAPES {
            check_on(gpu, &blocks, layout, m, k, n, true, Activation::Relu);
        }
    }
}

/// The names `GAN_WGPU_KERNELS` takes map to the variants and back.
#[test]
fn variant_names_round_trip() {
    for variant in VARIANTS {
        assert_eq!(Variant::named(variant.name()), Some(variant));
    }
    assert_eq!(Variant::named("tiled-64x64"), Some(Variant::Tiled));
    assert_eq!(Variant::named("warp-9000"), None);
}

#[test]
fn model_shapes() {
    // Generator 100→256→512→784 and the discriminators' 784→512·3, 784→240·5, 1200→240·5 at batches 64 and 100.
    for (m, k, n) in [
        (64, 100, 256),
        (64, 256, 512),
        (64, 512, 784),
        (64, 784, 1536),
        (100, 784, 1200),
        (100, 240, 1200),
        (100, 100, 1200),
    ] {
        check(Layout::Plain, m, k, n, true, Activation::Identity);
        check(Layout::TransposeA, k, m, n, false, Activation::Identity);
        check(Layout::TransposeB, m, n, k, false, Activation::Identity);
    }
}

#[test]
fn fused_bias_and_activations() {
    for act in [Activation::Relu, Activation::LeakyRelu { slope: 0.2 }, Activation::Sigmoid, Activation::Tanh] {
        check(Layout::Plain, 33, 70, 45, true, act);
    }
}

/// A weight gradient with its SGD update in the epilogue, by every variant, reading texels and
/// storage for the update apart: dW, the weight and its velocity equal the matmul followed by the
/// update to the last bit, and the CPU references within rounding; at odd shapes (partial blocks
/// and tiles, unaligned rows) and the paper's first D layer.
#[test]
fn a_weight_gradient_with_its_sgd_update_equals_the_two_apart() {
    for gpu in gpus_both_reads() {
        for (m, k, n) in [(3, 17, 5), (129, 100, 17), (65, 129, 63), (36, 20, 12), (784, 100, 1200)] {
            let mut rng = rng((m * 31 + k * 7 + n) as u64);
            let (x, dy) = (random_vec(&mut rng, k * m, -1.0, 1.0), random_vec(&mut rng, k * n, -1.0, 1.0));
            let (w, v) = (random_vec(&mut rng, m * n, -1.0, 1.0), random_vec(&mut rng, m * n, -0.1, 0.1));
            let h = SgdHyper { lr: 0.05, momentum: 0.7, weight_decay: 0.01, lr_decay: 1.0, lr_min: 0.0 };
            let hyper = Tensor::from_slice(gpu, &[1], &[h]);
            let (tx, tdy) = (upload(gpu, &[k, m], &x), upload(gpu, &[k, n], &dy));
            let mut want_w = w.clone();
            let mut want_v = v.clone();
            let want_dw = reference::matmul(Layout::TransposeA, &x, [k, m], &dy, [k, n], None, Activation::Identity);
            sgd::reference::update(&h, &mut want_w, &want_dw, &mut want_v);
            // dW, the weight and its velocity after the update, as bits.
            let run = |variant: Variant, fused: bool| -> Vec<Vec<u32>> {
                let dw = Tensor::zeros(gpu, &[m, n]);
                let (param, velocity) = (upload(gpu, &[m, n], &w), upload(gpu, &[m, n], &v));
                let ops = if fused {
                    let update = SgdUpdate { hyper: &hyper, param: &param, velocity: &velocity };
                    vec![weight_gradient_sgd_with(gpu, variant, &tx, &tdy, &dw, update)]
                } else {
                    vec![
                        matmul_with(gpu, variant, Layout::TransposeA, &tx, &tdy, None, Activation::Identity, &dw),
                        sgd::update(gpu, &hyper, &param, &dw, &velocity),
                    ]
                };
                gpu.run(|pass| ops.iter().for_each(|op| op.record(pass)));
                [dw, param, velocity]
                    .iter()
                    .map(|t| download(gpu, t).iter().map(|x: &f32| x.to_bits()).collect())
                    .collect()
            };
            let atol = 1e-5 * (k as f32).sqrt() * 4.0;
            for variant in VARIANTS {
                let what = format!("{} Xᵀ·dY {m}×{k}×{n} with SGD", variant.name());
                let fused = run(variant, true);
                assert!(fused == run(variant, false), "{what}: not the bits of the matmul and the update apart");
                let floats = |bits: &[u32]| bits.iter().map(|b| f32::from_bits(*b)).collect::<Vec<_>>();
                assert_close(&format!("{what}: dW"), &floats(&fused[0]), &want_dw, atol, 1e-5);
                assert_close(&format!("{what}: the weight"), &floats(&fused[1]), &want_w, atol, 1e-5);
                assert_close(&format!("{what}: its velocity"), &floats(&fused[2]), &want_v, atol, 1e-5);
            }
        }
    }
}

/// The epilogue updates a weight of the gradient's shape, or refuses by name.
#[test]
#[should_panic(expected = "updates a weight of dW's shape")]
fn an_sgd_epilogue_for_a_weight_of_another_shape_is_refused() {
    let Some(gpu) = gpu() else { panic!("updates a weight of dW's shape (skipped)") };
    let (x, dy, dw) = (Tensor::zeros(gpu, &[4, 5]), Tensor::zeros(gpu, &[4, 7]), Tensor::zeros(gpu, &[5, 7]));
    let hyper = Tensor::from_slice(
        gpu,
        &[1],
        &[SgdHyper { lr: 0.1, momentum: 0.0, weight_decay: 0.0, lr_decay: 1.0, lr_min: 0.0 }],
    );
    let (param, velocity) = (Tensor::zeros(gpu, &[7, 5]), Tensor::zeros(gpu, &[5, 7]));
    matmul::weight_gradient_sgd(gpu, &x, &dy, &dw, SgdUpdate { hyper: &hyper, param: &param, velocity: &velocity });
}

#[test]
#[should_panic(expected = "inner dimensions")]
fn mismatched_shapes_are_refused() {
    let Some(gpu) = gpu() else { panic!("inner dimensions (skipped)") };
    let a = Tensor::zeros(gpu, &[4, 5]);
    let b = Tensor::zeros(gpu, &[6, 7]);
    let c = Tensor::zeros(gpu, &[4, 7]);
    matmul(gpu, Layout::Plain, &a, &b, None, Activation::Identity, &c);
}

/// y = act(x·W + b); with dz = act'(y)·dy: dx = dz·Wᵀ, dW = xᵀ·dz, db = Σ_rows dz.
#[test]
fn linear_backward_matches_finite_differences_and_gpu() {
    let (rows, inputs, outputs) = (5, 7, 6);
    let act = Activation::Tanh;
    let mut rng = rng(7);
    let x = random_vec(&mut rng, rows * inputs, -1.0, 1.0);
    let w = random_vec(&mut rng, inputs * outputs, -1.0, 1.0);
    let b = random_vec(&mut rng, outputs, -1.0, 1.0);
    let r = random_vec(&mut rng, rows * outputs, -1.0, 1.0);
    let forward = |x: &[f32], w: &[f32], b: &[f32]| {
        reference::matmul(Layout::Plain, x, [rows, inputs], w, [inputs, outputs], Some(b), act)
    };
    let y = forward(&x, &w, &b);
    let dz = activation::reference::backward(act, &y, &r);
    let dx =
        reference::matmul(Layout::TransposeB, &dz, [rows, outputs], &w, [inputs, outputs], None, Activation::Identity);
    let dw =
        reference::matmul(Layout::TransposeA, &x, [rows, inputs], &dz, [rows, outputs], None, Activation::Identity);
    let db = reduce::reference::column_sums(&dz, outputs);

    let all = |n: usize| (0..n).collect::<Vec<_>>();
    let h = 1e-2;
    let num_dx = numeric_gradient(|x| dot(&r, &forward(x, &w, &b)), &x, &all(x.len()), h);
    assert_gradient("dx", &dx, &num_dx, &all(x.len()), 2e-3);
    let num_dw = numeric_gradient(|w| dot(&r, &forward(&x, w, &b)), &w, &all(w.len()), h);
    assert_gradient("dW", &dw, &num_dw, &all(w.len()), 2e-3);
    let num_db = numeric_gradient(|b| dot(&r, &forward(&x, &w, b)), &b, &all(b.len()), h);
    assert_gradient("db", &db, &num_db, &all(b.len()), 2e-3);

    let Some(gpu) = gpu() else { return };
    let (tx, tw, tdz) =
        (upload(gpu, &[rows, inputs], &x), upload(gpu, &[inputs, outputs], &w), upload(gpu, &[rows, outputs], &dz));
    let (gdx, gdw, gdb) =
        (Tensor::zeros(gpu, &[rows, inputs]), Tensor::zeros(gpu, &[inputs, outputs]), Tensor::zeros(gpu, &[outputs]));
    let ops = [
        matmul(gpu, Layout::TransposeB, &tdz, &tw, None, Activation::Identity, &gdx),
        matmul(gpu, Layout::TransposeA, &tx, &tdz, None, Activation::Identity, &gdw),
        reduce::column_sums(gpu, &tdz, &gdb),
    ];
    gpu.run(|pass| ops.iter().for_each(|op| op.record(pass)));
    assert_close("gpu dx", &download(gpu, &gdx), &dx, 1e-5, 1e-5);
    assert_close("gpu dW", &download(gpu, &gdw), &dw, 1e-5, 1e-5);
    assert_close("gpu db", &download(gpu, &gdb), &db, 1e-5, 1e-5);
}

/// Resident memory of this process, in bytes (Linux).
#[cfg(target_os = "linux")]
fn resident_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).expect("VmRSS in /proc/self/status");
    line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 1024
}

/// Lavapipe once recompiled Xᵀ·dY with a power-of-two M at every dispatch, keeping each copy (about
/// 5 MB): the shape then came from the uniform, on which it specialises shaders. Repeating a
/// dispatch must not grow memory.
#[cfg(target_os = "linux")]
#[test]
fn repeated_dispatches_do_not_grow_memory() {
    let Some(gpu) = gpu() else { return };
    let (x, dy, dw) = (Tensor::zeros(gpu, &[16, 16]), Tensor::zeros(gpu, &[16, 4]), Tensor::zeros(gpu, &[16, 4]));
    let op = matmul(gpu, Layout::TransposeA, &x, &dy, None, Activation::Identity, &dw);
    let run = |times: usize| {
        for _ in 0..times {
            gpu.run(|pass| op.record(pass));
            gpu.wait();
        }
    };
    run(5);
    let before = resident_bytes();
    run(40);
    let grown = resident_bytes().saturating_sub(before);
    assert!(grown < 40 << 20, "40 dispatches grew resident memory by {} MB", grown >> 20);
}
