//! The evaluation: classifier metrics and the Fréchet distance on constructed cases, the
//! classifier trained by the project's kernels (GPU step = CPU reference step, and its accuracy),
//! and the evaluator's reference rows on a slice of MNIST.

mod common;

use common::*;
use gan_wgpu::data::{self, Dataset, DatasetSpec, LoadOptions};
use gan_wgpu::eval::classifier::{Classifier, ClassifierConfig, TrainingGraph};
use gan_wgpu::eval::metrics::{Gaussian, class_metrics, frechet_distance};
use gan_wgpu::eval::{EvalOptions, Evaluator};
use gan_wgpu::gan::epoch_order;
use gan_wgpu::graph::cpu::CpuState;
use gan_wgpu::graph::gpu::GpuState;
use nalgebra::{DMatrix, DVector};
use rand::Rng;

fn mnist() -> Dataset {
    let options = LoadOptions { data_dir: Some(mnist_dir()), ..Default::default() };
    data::load(&DatasetSpec::mnist(), &options).expect("MNIST")
}

#[test]
fn class_metrics_of_constructed_predictions() {
    // Confident predictions spread evenly over 10 classes: every class covered, KL 0, IS 10.
    let even: Vec<f32> = (0..100).flat_map(|i| (0..10).map(move |c| if c == i % 10 { 1.0 } else { 0.0 })).collect();
    let m = class_metrics(&even, 10);
    assert_eq!((m.classes_covered, m.mean_confidence), (10, 1.0));
    assert!(m.kl_from_uniform.abs() < 1e-12 && (m.inception_score - 10.0).abs() < 1e-9, "{m:?}");
    // All the same digit: one class, KL = ln 10, IS 1.
    let same: Vec<f32> = (0..100).flat_map(|_| (0..10).map(|c| if c == 3 { 0.9 } else { 0.1 / 9.0 })).collect();
    let m = class_metrics(&same, 10);
    assert_eq!(m.classes_covered, 1);
    assert!((m.kl_from_uniform - 10f64.ln()).abs() < 1e-9 && (m.inception_score - 1.0).abs() < 1e-6, "{m:?}");
    assert!((m.mean_confidence - 0.9).abs() < 1e-6 && (m.shares[3] - 1.0).abs() < 1e-12);
}

fn random_covariance(rng: &mut rand::rngs::StdRng, dims: usize) -> DMatrix<f64> {
    let a = DMatrix::from_fn(dims, dims, |_, _| rng.random_range(-1.0..1.0));
    &a * a.transpose() + DMatrix::identity(dims, dims) * 0.1
}

#[test]
fn frechet_distance_closed_forms() {
    let mut rng = rng(40);
    let dims = 6;
    // A sample with itself: 0.
    let features = random_vec(&mut rng, 200 * dims, -1.0, 1.0);
    let fitted = Gaussian::fit(&features, dims);
    assert!(frechet_distance(&fitted, &fitted).abs() < 1e-8);
    // Equal covariances: only the means differ.
    let covariance = random_covariance(&mut rng, dims);
    let a = Gaussian { mean: DVector::from_element(dims, 0.5), covariance: covariance.clone() };
    let b = Gaussian { mean: DVector::from_element(dims, -0.5), covariance };
    assert!((frechet_distance(&a, &b) - dims as f64).abs() < 1e-8);
    // Diagonal covariances: Σ (√aᵢ - √bᵢ)² + |Δμ|².
    let (va, vb) = ([1.0, 4.0, 9.0, 0.25, 2.0, 1.0], [4.0, 1.0, 9.0, 1.0, 0.5, 16.0]);
    let a = Gaussian { mean: DVector::zeros(dims), covariance: DMatrix::from_diagonal(&DVector::from_row_slice(&va)) };
    let b = Gaussian {
        mean: DVector::from_element(dims, 1.0),
        covariance: DMatrix::from_diagonal(&DVector::from_row_slice(&vb)),
    };
    let want: f64 =
        va.iter().zip(&vb).map(|(x, y): (&f64, &f64)| (x.sqrt() - y.sqrt()).powi(2)).sum::<f64>() + dims as f64;
    assert!((frechet_distance(&a, &b) - want).abs() < 1e-8, "{} vs {want}", frechet_distance(&a, &b));
    // Symmetric in its arguments for general covariances.
    let c = Gaussian { mean: DVector::zeros(dims), covariance: random_covariance(&mut rng, dims) };
    assert!((frechet_distance(&a, &c) - frechet_distance(&c, &a)).abs() < 1e-6);
}

#[test]
fn classifier_step_on_gpu_equals_cpu_reference() {
    let Some(gpu) = gpu() else { return };
    let train = mnist().train.subset(0..40);
    let config = ClassifierConfig { hidden: vec![24, 16], batch: 10, ..Default::default() };
    let model = TrainingGraph::new(&config, train.size(), 10, train.count);
    let initial = model.initial_values(&config, &train);
    let order = epoch_order(config.seed, 0, train.count);
    let state = GpuState::new(gpu, &model.graph);
    state.load(gpu, &initial);
    state.write_u32(gpu, model.order, &order);
    let program = state.program(gpu, &model.step);
    let mut cpu = CpuState::new(&model.graph);
    cpu.load(&initial);
    cpu.set_u32(model.order, order);
    for _ in 0..3 {
        gpu.run(|pass| program.record(pass));
        cpu.run(&model.step);
    }
    assert_close("losses", &download(gpu, state.f32(model.losses)), cpu.f32(model.losses), 1e-5, 1e-4);
    for p in model.network.params() {
        let name = &model.graph.tensors[p.value].name;
        assert_close(name, &download(gpu, state.f32(p.value)), cpu.f32(p.value), 1e-5, 1e-3);
    }
}

#[test]
fn classifier_learns_digits_and_round_trips() {
    let Some(gpu) = gpu() else { return };
    let mnist = mnist();
    let (train, test) = (mnist.train.subset(0..3000), mnist.test.subset(0..1000));
    let config = ClassifierConfig { hidden: vec![128, 128], epochs: 3, ..Default::default() };
    let classifier = Classifier::train(gpu, &config, &train, &test, false).unwrap();
    // The full classifier reaches 98% on all of MNIST; this one sees 3,000 images 3 times.
    assert!(classifier.test_accuracy > 0.85, "accuracy {}", classifier.test_accuracy);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.safetensors");
    classifier.save(&path).unwrap();
    let loaded = Classifier::load(&path).unwrap();
    assert_eq!(loaded.accuracy(gpu, &test).unwrap(), classifier.test_accuracy);
    // A file of another kind is refused by name.
    std::fs::write(&path, b"not a safetensors file").unwrap();
    let error = Classifier::load(&path).err().expect("a corrupt classifier must fail").to_string();
    assert!(error.contains("c.safetensors"), "{error}");
}

#[test]
fn evaluator_reference_rows_order_as_expected() {
    let Some(gpu) = gpu() else { return };
    let mnist = mnist();
    // A slice: 2,000 training images (the last 500 validate σ), 500 test images.
    let data = Dataset { train: mnist.train.subset(0..2000), test: mnist.test.subset(0..500), source: mnist.source };
    let config = ClassifierConfig { hidden: vec![64, 64], epochs: 4, ..Default::default() };
    let classifier = Classifier::train(gpu, &config, &data.train, &data.test, false).unwrap();
    let options = EvalOptions { samples: 400, validation: 100, memorisation: 50 };
    let evaluator = Evaluator::new(gpu, &data, &classifier, options).unwrap();
    let real = evaluator.row("real", &data.train.subset(0..400).to_f32()).unwrap();
    let mut rng = rng(41);
    let noise = evaluator.row("noise", &random_vec(&mut rng, 400 * 784, 0.0, 1.0)).unwrap();
    // Training images are their own nearest training image.
    assert!(real.nearest_train_distance < 1e-2 && real.memorisation_ratio < 1e-2, "{real:?}");
    assert!(noise.memorisation_ratio > 1.5, "{noise:?}");
    assert!(
        real.parzen.test.mean > noise.parzen.test.mean + 100.0,
        "{} vs {}",
        real.parzen.test.mean,
        noise.parzen.test.mean
    );
    assert!(
        real.frechet_distance < noise.frechet_distance / 10.0,
        "{} vs {}",
        real.frechet_distance,
        noise.frechet_distance
    );
    assert!(real.classes.classes_covered == 10 && real.classes.kl_from_uniform < 0.15, "{:?}", real.classes);
    // The summary's table of digit shares: a row per image set, its ten shares in percent, then the
    // smallest and largest.
    let table = gan_wgpu::eval::summary(&[real.clone(), noise]);
    let line = table.lines().filter(|l| l.starts_with("| real |")).nth(1).expect("a digit-shares row for real");
    let cells: Vec<f64> = line.split('|').map(str::trim).filter_map(|c| c.parse().ok()).collect::<Vec<f64>>();
    assert_eq!(cells.len(), 10, "{line}");
    for (cell, share) in cells.iter().zip(&real.classes.shares) {
        assert!((cell - 100.0 * share).abs() <= 0.05, "{line} against {:?}", real.classes.shares);
    }
    let range = line.rsplit('|').nth(1).unwrap().trim();
    let (fewest, most) = range.split_once('–').expect("fewest–most");
    let shares = real.classes.shares.iter().map(|s| 100.0 * s);
    let (low, high) = (shares.clone().fold(f64::INFINITY, f64::min), shares.fold(f64::NEG_INFINITY, f64::max));
    assert!((fewest.parse::<f64>().unwrap() - low).abs() <= 0.05, "{line}");
    assert!((most.parse::<f64>().unwrap() - high).abs() <= 0.05, "{line}");
}

/// A .npy file (format 1.0) with this dtype description, shape and raw little-endian data.
fn npy_file(dir: &std::path::Path, name: &str, descr: &str, shape: &str, data: &[u8]) -> std::path::PathBuf {
    let header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    let header = format!("{header:<width$}\n", width = (10 + header.len() + 1).next_multiple_of(64) - 11);
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend((header.len() as u16).to_le_bytes());
    bytes.extend(header.as_bytes());
    bytes.extend(data);
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn samples_files_are_read_as_written_by_numpy() {
    use gan_wgpu::eval::read_samples;
    let dir = tempfile::tempdir().unwrap();
    let values: Vec<f32> = (0..3 * 16).map(|i| i as f32 / 47.0).collect();
    // What `generate` writes (float32, N×pixels) reads back exactly.
    let f32_path = dir.path().join("f32.npy");
    std::fs::write(&f32_path, gan_wgpu::generator::npy(&values, 3, 16)).unwrap();
    assert_eq!(read_samples(&f32_path, 16).unwrap(), values);
    // float64 and N×4×4 images are accepted too.
    let f64_bytes: Vec<u8> = values.iter().flat_map(|&v| (v as f64).to_le_bytes()).collect();
    let f64_path = npy_file(dir.path(), "f64.npy", "<f8", "(3, 4, 4)", &f64_bytes);
    assert_eq!(read_samples(&f64_path, 16).unwrap(), values);
}

#[test]
fn bad_samples_files_are_named_with_the_problem() {
    use gan_wgpu::eval::read_samples;
    let dir = tempfile::tempdir().unwrap();
    let error = |path: &std::path::Path| format!("{:#}", read_samples(path, 16).unwrap_err());
    let f32s = |values: &[f32]| values.iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>();

    let shape = npy_file(dir.path(), "shape.npy", "<f4", "(2, 15)", &f32s(&[0.5; 30]));
    let message = error(&shape);
    assert!(message.contains("shape.npy") && message.contains("[2, 15]") && message.contains("N×16"), "{message}");

    let ints = npy_file(dir.path(), "ints.npy", "<i4", "(2, 16)", &[0; 128]);
    let message = error(&ints);
    assert!(message.contains("ints.npy") && message.contains("<i4") && message.contains("float32"), "{message}");

    let mut outside = vec![0.5; 32];
    outside[21] = 1.5;
    let range = npy_file(dir.path(), "range.npy", "<f4", "(2, 16)", &f32s(&outside));
    let message = error(&range);
    assert!(
        message.contains("range.npy") && message.contains("1.5") && message.contains("image 1, pixel 5"),
        "{message}"
    );

    let truncated = npy_file(dir.path(), "truncated.npy", "<f4", "(2, 16)", &f32s(&[0.5; 20]));
    let message = error(&truncated);
    assert!(message.contains("truncated.npy") && message.contains("truncated"), "{message}");

    let text = dir.path().join("text.npy");
    std::fs::write(&text, "not numpy").unwrap();
    let message = error(&text);
    assert!(message.contains("text.npy is not a .npy file"), "{message}");

    let missing = dir.path().join("missing.npy");
    assert!(error(&missing).contains("cannot read"), "{}", error(&missing));
}
