//! Shared by the test files: the GPU, random inputs, comparisons and finite differences.
#![allow(dead_code)]

use std::sync::OnceLock;

use gan_wgpu::gpu::{Gpu, GpuOptions, Tensor};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Set to 1 to skip the GPU tests (for machines without any adapter). CI never sets it.
pub const SKIP_ENV: &str = "GAN_WGPU_SKIP_GPU_TESTS";

/// The GPU shared by a test binary, or None when the user asked to skip GPU tests.
/// Panics, saying how to get an adapter, when there is none.
pub fn gpu() -> Option<&'static Gpu> {
    static GPU: OnceLock<Option<Gpu>> = OnceLock::new();
    GPU.get_or_init(|| {
        if std::env::var(SKIP_ENV).is_ok_and(|v| v == "1") {
            eprintln!("{SKIP_ENV}=1: skipping GPU tests");
            return None;
        }
        match Gpu::new_blocking() {
            Ok(gpu) => {
                eprintln!("GPU tests run on {} (subgroup kernels: {})", gpu.adapter, gpu.uses_subgroups());
                Some(gpu)
            }
            Err(e) => panic!("GPU tests need an adapter ({SKIP_ENV}=1 skips them): {e}"),
        }
    })
    .as_ref()
}

/// A second device on the same adapter with subgroup operations turned off: the kernels that
/// adapters without subgroups of 8 (browsers, real GPUs) run.
pub fn gpu_without_subgroups() -> Option<&'static Gpu> {
    static GPU: OnceLock<Option<Gpu>> = OnceLock::new();
    GPU.get_or_init(|| {
        gpu()?;
        let options = GpuOptions { subgroups: false, ..GpuOptions::from_env().expect("GAN_WGPU_KERNELS") };
        Some(Gpu::open_blocking(options).unwrap_or_else(|e| panic!("a second device failed to open: {e}")))
    })
    .as_ref()
}

/// The devices an element-wise kernel runs on in these tests: the default one (texel reads on
/// lavapipe) and a second with storage reads forced, as real GPUs choose ([`gpu()`]'s opt-out applies).
pub fn gpus_both_reads() -> Vec<&'static Gpu> {
    static GPU: OnceLock<Option<Gpu>> = OnceLock::new();
    let Some(first) = gpu() else { return Vec::new() };
    let storage = GPU.get_or_init(|| {
        let kernels = [("elementwise", "storage"), ("updates", "storage")].into_iter().collect();
        let options = GpuOptions { kernels, tune_cache: None, ..GpuOptions::from_env().expect("GAN_WGPU_KERNELS") };
        Some(Gpu::open_blocking(options).unwrap_or_else(|e| panic!("a second device failed to open: {e}")))
    });
    [Some(first), storage.as_ref()].into_iter().flatten().collect()
}

pub fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

pub fn random_vec(rng: &mut StdRng, n: usize, lo: f32, hi: f32) -> Vec<f32> {
    (0..n).map(|_| rng.random_range(lo..hi)).collect()
}

pub fn upload(gpu: &Gpu, shape: &[usize], data: &[f32]) -> Tensor {
    Tensor::from_slice(gpu, shape, data)
}

pub fn download<T: bytemuck::Pod>(gpu: &Gpu, t: &Tensor<T>) -> Vec<T> {
    t.read_blocking(gpu).expect("read-back failed")
}

/// Asserts |got - want| <= atol + rtol·|want| everywhere, naming the worst element.
pub fn assert_close(what: &str, got: &[f32], want: &[f32], atol: f32, rtol: f32) {
    assert_eq!(got.len(), want.len(), "{what}: {} values, expected {}", got.len(), want.len());
    let mut worst: Option<(usize, f32)> = None;
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let excess = (g - w).abs() - (atol + rtol * w.abs());
        let bad = excess.is_nan() || excess > 0.0;
        if bad && worst.is_none_or(|(_, e)| excess > e) {
            worst = Some((i, excess));
        }
    }
    if let Some((i, _)) = worst {
        panic!("{what}: element {i} is {}, expected {} (atol {atol}, rtol {rtol})", got[i], want[i]);
    }
}

/// Central differences of a scalar function at chosen coordinates of x, in f64.
pub fn numeric_gradient(f: impl Fn(&[f32]) -> f64, x: &[f32], coords: &[usize], h: f32) -> Vec<f64> {
    coords
        .iter()
        .map(|&i| {
            let mut plus = x.to_vec();
            plus[i] += h;
            let mut minus = x.to_vec();
            minus[i] -= h;
            (f(&plus) - f(&minus)) / (plus[i] - minus[i]) as f64
        })
        .collect()
}

/// Σ r·y in f64: a scalar loss whose gradient with respect to y is r.
pub fn dot(r: &[f32], y: &[f32]) -> f64 {
    r.iter().zip(y).map(|(&a, &b)| a as f64 * b as f64).sum()
}

/// Asserts an analytic gradient matches finite differences at the sampled coordinates.
pub fn assert_gradient(what: &str, analytic: &[f32], numeric: &[f64], coords: &[usize], tol: f64) {
    for (&i, &n) in coords.iter().zip(numeric) {
        let a = analytic[i] as f64;
        assert!(
            (a - n).abs() <= tol * (1.0 + n.abs()),
            "{what}: d/dx[{i}] is {a} analytically but {n} by finite differences"
        );
    }
}

/// A few coordinates spread over 0..n.
pub fn sample_coords(rng: &mut StdRng, n: usize, count: usize) -> Vec<usize> {
    (0..count).map(|_| rng.random_range(0..n)).collect()
}

/// The real MNIST files: GAN_WGPU_TEST_MNIST, else the shared copy beside the checkout, else the
/// vendored one.
pub fn mnist_dir() -> std::path::PathBuf {
    if let Some(dir) = std::env::var_os("GAN_WGPU_TEST_MNIST") {
        return dir.into();
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let shared = root.join("../shared/data/mnist");
    if shared.is_dir() { shared } else { root.join("data/mnist") }
}

/// `../shared/interop` beside the checkout: a generator saved by PyTorch itself, its noise and its
/// outputs (see the README there).
pub fn interop_dir() -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/interop");
    assert!(
        dir.join("torch_seed_generator.safetensors").is_file(),
        "the PyTorch fixtures are missing: {} should hold torch_seed_generator.safetensors (shared/ beside the checkout)",
        dir.display()
    );
    dir
}
