//! Kernel variants chosen by measurement (gpu::tune): the cache file is written, reused, and
//! never trusted when damaged or foreign; GAN_WGPU_KERNELS forces a variant and refuses unknown ones.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use common::*;
use gan_wgpu::gpu::tune::{Source, kernels_fingerprint, parse_forced};
use gan_wgpu::gpu::{Gpu, GpuOptions, Tensor};
use gan_wgpu::ops::activation::Activation;
use gan_wgpu::ops::matmul::{FAMILY, Layout, matmul, reference};

/// A device of its own with the given cache file and forced variants, or None when GPU tests are skipped.
fn device(cache: Option<&Path>, forced: &[(&'static str, &'static str)]) -> Option<Gpu> {
    gpu()?;
    let options = GpuOptions {
        subgroups: true,
        kernels: forced.iter().copied().collect(),
        tune_cache: cache.map(Path::to_path_buf),
    };
    Some(Gpu::open_blocking(options).expect("a device"))
}

fn temp_cache(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gan-wgpu-tune-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("kernels.json")
}

const SHAPE: (usize, usize, usize) = (48, 40, 56);
const KEY: &str = "matmul Plain 48x40x56 +bias Relu";

/// One product at SHAPE through `matmul`, checked against the reference; returns the variant chosen.
fn multiply(gpu: &Gpu) -> String {
    let (m, k, n) = SHAPE;
    let mut rng = rng(3);
    let (a, b, bias) = (
        random_vec(&mut rng, m * k, -1.0, 1.0),
        random_vec(&mut rng, k * n, -1.0, 1.0),
        random_vec(&mut rng, n, -1.0, 1.0),
    );
    let c = Tensor::zeros(gpu, &[m, n]);
    let op = matmul(
        gpu,
        Layout::Plain,
        &upload(gpu, &[m, k], &a),
        &upload(gpu, &[k, n], &b),
        Some(&upload(gpu, &[n], &bias)),
        Activation::Relu,
        &c,
    );
    gpu.run(|r| op.record(r));
    let want = reference::matmul(Layout::Plain, &a, [m, k], &b, [k, n], Some(&bias), Activation::Relu);
    assert_close("chosen matmul", &download(gpu, &c), &want, 1e-4, 1e-5);
    gpu.kernel_choices().get(KEY).unwrap_or_else(|| panic!("no choice for {KEY}")).variant.clone()
}

fn cached_variant(cache: &Path, gpu: &Gpu) -> Option<String> {
    let adapters = gan_wgpu::gpu::tune::cached_choices(cache);
    Some(adapters.get(&gpu.adapter.tune_key())?.get(KEY)?.variant.clone())
}

#[test]
fn a_choice_is_measured_once_then_read_from_the_cache() {
    let cache = temp_cache("reuse");
    let Some(first) = device(Some(&cache), &[]) else { return };
    let variant = multiply(&first);
    assert!(FAMILY.variants.contains(&variant.as_str()), "{variant} is not a matmul variant");
    assert_eq!(first.kernel_choices()[KEY].source, Source::Measured);
    assert!(!first.kernel_choices()[KEY].seconds.is_empty(), "no candidate was timed");
    assert_eq!(cached_variant(&cache, &first).as_deref(), Some(variant.as_str()), "the choice was not saved");

    let second = device(Some(&cache), &[]).unwrap();
    assert_eq!(multiply(&second), variant);
    assert_eq!(second.kernel_choices()[KEY].source, Source::Cached, "the second device measured again");
}

#[test]
fn a_damaged_cache_is_measured_again_and_rewritten() {
    let cache = temp_cache("damaged");
    std::fs::write(&cache, b"{\"format\": \"gan-wgpu kernel choices 1\", \"adapters\": {\"x\": [").unwrap();
    let Some(gpu) = device(Some(&cache), &[]) else { return };
    let variant = multiply(&gpu);
    assert_eq!(gpu.kernel_choices()[KEY].source, Source::Measured);
    assert_eq!(cached_variant(&cache, &gpu), Some(variant), "the damaged file was not replaced");
}

#[test]
fn a_foreign_variant_in_the_cache_is_not_trusted() {
    let cache = temp_cache("foreign");
    let Some(gpu) = device(Some(&cache), &[]) else { return };
    std::fs::write(&cache, cache_file(&gpu, kernels_fingerprint(), "warp-9000")).unwrap();
    let variant = multiply(&gpu);
    assert!(FAMILY.variants.contains(&variant.as_str()));
    assert_eq!(gpu.kernel_choices()[KEY].source, Source::Measured, "an unknown variant was taken from the cache");
}

/// A cache file that holds one choice, `variant` at KEY, measured by the kernels of `fingerprint`.
fn cache_file(gpu: &Gpu, fingerprint: &str, variant: &str) -> String {
    serde_json::json!({
        "format": "gan-wgpu kernel choices 1",
        "kernels": fingerprint,
        "adapters": { gpu.adapter.tune_key(): { KEY: { "variant": variant, "source": "measured" } } }
    })
    .to_string()
}

#[test]
fn choices_measured_for_other_kernel_code_are_measured_again() {
    let cache = temp_cache("older");
    let Some(gpu) = device(Some(&cache), &[]) else { return };
    // The same file with this build's fingerprint would be trusted (block-16x16 is a candidate).
    std::fs::write(&cache, cache_file(&gpu, kernels_fingerprint(), "block-16x16")).unwrap();
    assert_eq!(multiply(&gpu), "block-16x16");
    assert_eq!(gpu.kernel_choices()[KEY].source, Source::Cached);

    std::fs::write(&cache, cache_file(&gpu, "an older build", "block-16x16")).unwrap();
    let again = device(Some(&cache), &[]).unwrap();
    let variant = multiply(&again);
    assert_eq!(again.kernel_choices()[KEY].source, Source::Measured, "choices of other kernel code were trusted");
    let rewritten: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&cache).unwrap()).unwrap();
    assert_eq!(rewritten["kernels"], kernels_fingerprint(), "the cache was not rewritten for this build");
    assert_eq!(cached_variant(&cache, &again), Some(variant));
}

#[test]
fn a_forced_variant_is_used_without_measuring() {
    let cache = temp_cache("forced");
    for variant in FAMILY.variants {
        let Some(gpu) = device(Some(&cache), &[("matmul", variant)]) else { return };
        assert_eq!(multiply(&gpu), *variant);
        assert_eq!(gpu.kernel_choices()[KEY].source, Source::Forced);
    }
    assert!(!cache.exists(), "forced choices were written to the cache");
}

#[test]
fn unknown_forced_variants_are_refused_with_the_list() {
    let error = parse_forced("matmul=warp-9000").unwrap_err();
    assert!(error.contains("warp-9000") && error.contains("tiled-64x64") && error.contains("block-32x16"), "{error}");
    let error = parse_forced("convolution=fast").unwrap_err();
    assert!(error.contains("convolution") && error.contains("matmul="), "{error}");
    assert!(parse_forced("matmul").unwrap_err().contains("family=variant"));
    assert_eq!(parse_forced(" matmul = simple ").unwrap(), HashMap::from([("matmul", "simple")]));

    let output = std::process::Command::new(env!("CARGO_BIN_EXE_gan-wgpu"))
        .arg("adapters")
        .env("GAN_WGPU_KERNELS", "matmul=warp-9000")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "an unknown variant was accepted");
    assert!(stderr.contains("GAN_WGPU_KERNELS") && stderr.contains("tiled-64x64"), "{stderr}");
}

#[test]
fn both_ways_of_reading_pass_their_check_and_are_timed() {
    let Some(gpu) = device(None, &[]) else { return };
    // A ReLU asks for the element-wise reads, an SGD update for the updates in place.
    let (x, y) = (upload(&gpu, &[8], &[1.0; 8]), Tensor::zeros(&gpu, &[8]));
    let relu = gan_wgpu::ops::activation::forward(&gpu, Activation::Relu, &x, &y);
    let h = gan_wgpu::ops::sgd::SgdHyper { lr: 0.5, momentum: 0.0, weight_decay: 0.0, lr_decay: 1.0, lr_min: 0.0 };
    let (hyper, velocity) = (Tensor::from_slice(&gpu, &[1], &[h]), Tensor::zeros(&gpu, &[8]));
    let sgd = gan_wgpu::ops::sgd::update(&gpu, &hyper, &y, &x, &velocity);
    gpu.run(|r| [&relu, &sgd].iter().for_each(|op| op.record(r)));
    assert_eq!(download(&gpu, &y), [0.5; 8]);
    let choices = gpu.kernel_choices();
    for key in ["elementwise reads (ReLU, 784×1536)", "updates in place (SGD, 784×1536)"] {
        let timed: Vec<&String> = choices[key].seconds.keys().collect();
        assert_eq!(timed, ["storage", "texels"], "{key}: a way of reading failed its check (see the warnings)");
    }
}
