//! Rebuilding G from generator.safetensors: the GPU and the CPU reference agree, the command
//! writes the grid and the .npy, and bad files are refused with a clear message.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use common::*;
use gan_wgpu::checkpoint::{self, Stored, Values};
use gan_wgpu::config::Noise;
use gan_wgpu::generator::{self, Generator, GeneratorArchitecture};
use gan_wgpu::nn::LayerSpec;
use gan_wgpu::ops::activation::Activation;

/// A generator file with random weights: 8 → 16 (batchnorm, ReLU) → 16 pixels.
fn write_generator(path: &Path) {
    write_generator_from(path, 21);
}

/// As [`write_generator`], the weights drawn from `seed`.
fn write_generator_from(path: &Path, seed: u64) {
    let mut rng = rng(seed);
    let architecture = GeneratorArchitecture {
        z_dim: 8,
        pixels: 16,
        layers: vec![
            LayerSpec::Linear { outputs: 16, activation: Activation::Identity },
            LayerSpec::BatchNorm,
            LayerSpec::Activation { activation: Activation::Relu },
        ],
        noise: Noise::Normal { std: 1.0 },
    };
    let mut tensor = |name: &str, shape: Vec<usize>, lo: f32, hi: f32| {
        let n = shape.iter().product();
        (name.to_string(), Stored { shape, values: Values::F32(random_vec(&mut rng, n, lo, hi)) })
    };
    let tensors = vec![
        tensor("G.0.weight", vec![8, 16], -0.5, 0.5),
        tensor("G.0.bias", vec![16], -0.1, 0.1),
        tensor("G.1.gamma", vec![16], 0.5, 1.5),
        tensor("G.1.beta", vec![16], -0.1, 0.1),
        tensor("G.1.running", vec![32], 0.1, 1.0),
        tensor("G.3.weight", vec![16, 16], -0.5, 0.5),
        tensor("G.3.bias", vec![16], -0.1, 0.1),
    ];
    let metadata = HashMap::from([
        ("format".to_string(), "gan-wgpu generator".to_string()),
        ("architecture".to_string(), serde_json::to_string(&architecture).unwrap()),
    ]);
    checkpoint::save(path, &tensors, metadata).unwrap();
}

/// The generator of `write_generator`, loaded for batches of 10 (its file's directory beside it).
fn small_generator() -> (tempfile::TempDir, Generator) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("generator.safetensors");
    write_generator(&path);
    let generator = Generator::load(&path, 10).unwrap();
    (dir, generator)
}

#[test]
fn gpu_and_cpu_generate_the_same_samples() {
    let Some(gpu) = gpu() else { return };
    let (_dir, generator) = small_generator();
    let on_gpu = pollster::block_on(generator.generate_gpu(gpu, 3)).unwrap();
    let on_cpu = generator.generate_cpu(3);
    assert_eq!(on_gpu.len(), 10 * 16);
    assert_close("samples", &on_gpu, &on_cpu, 1e-5, 1e-5);
    assert_ne!(generator.generate_cpu(4), on_cpu, "another seed must give other samples");
}

#[test]
fn a_generator_kept_on_the_gpu_runs_again_and_overlapping_runs_read_their_own_samples() {
    // The page keeps G on its device and may start a walk while a grid is still running.
    let Some(gpu) = gpu() else { return };
    let (_dir, generator) = small_generator();
    let on_gpu = generator.on_gpu(gpu);
    let (z3, z4) = (generator.noise(3), generator.noise(4));
    for z in [&z3, &z4, &z3] {
        let samples = pollster::block_on(on_gpu.run(gpu, z)).unwrap();
        assert_close("a run again", &samples, &generator.run_cpu(z), 1e-5, 1e-5);
    }
    let (first, second) = pollster::block_on(async { futures::join!(on_gpu.run(gpu, &z3), on_gpu.run(gpu, &z4)) });
    assert_close("the first of two overlapping runs", &first.unwrap(), &generator.run_cpu(&z3), 1e-5, 1e-5);
    assert_close("the second of two overlapping runs", &second.unwrap(), &generator.run_cpu(&z4), 1e-5, 1e-5);
}

fn generate(weights: &Path, dir: &Path, seed: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_gan-wgpu"))
        .args(["generate", "--count", "12", "--seed", seed, "--weights"])
        .arg(weights)
        .arg("--out")
        .arg(dir.join("grid.png"))
        .arg("--npy")
        .arg(dir.join("samples.npy"))
        .output()
        .unwrap()
}

#[test]
fn the_command_writes_a_grid_and_an_npy_array() {
    if gpu().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("generator.safetensors");
    write_generator(&path);
    let output = generate(&path, dir.path(), "5");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let npy = std::fs::read(dir.path().join("samples.npy")).unwrap();
    assert_eq!(&npy[..8], b"\x93NUMPY\x01\x00");
    let header_len = u16::from_le_bytes([npy[8], npy[9]]) as usize;
    assert_eq!((10 + header_len) % 64, 0, "the data must start 64-byte aligned");
    let header = std::str::from_utf8(&npy[10..10 + header_len]).unwrap();
    assert!(header.contains("'descr': '<f4'") && header.contains("'shape': (12, 16)"), "{header}");
    let values: Vec<f32> =
        npy[10 + header_len..].chunks(4).map(|b| f32::from_le_bytes(b.try_into().unwrap())).collect();
    let want = Generator::load(&path, 12).unwrap().generate_cpu(5);
    assert_close("npy samples", &values, &want, 1e-5, 1e-5);
    let grid = image::open(dir.path().join("grid.png")).unwrap();
    assert_eq!((grid.width(), grid.height()), (10 * 6 + 2, 2 * 6 + 2), "4×4 images, 10 wide, 2 rows");
}

#[test]
fn a_run_folder_stands_for_its_generator_or_while_it_trains_its_checkpoint() {
    let run = tempfile::tempdir().unwrap();
    let message = generator::weights_file(run.path()).unwrap_err().to_string();
    assert!(
        message.contains(&run.path().display().to_string()) && message.contains("generator.safetensors"),
        "{message}"
    );
    // A run in progress has only its checkpoint (any file the loader reads stands in for it here).
    write_generator_from(&run.path().join("checkpoint.safetensors"), 31);
    assert_eq!(generator::weights_file(run.path()).unwrap(), run.path().join("checkpoint.safetensors"));
    // A finished run's generator file comes first.
    write_generator_from(&run.path().join("generator.safetensors"), 32);
    assert_eq!(generator::weights_file(run.path()).unwrap(), run.path().join("generator.safetensors"));
    let file = run.path().join("generator.safetensors");
    assert_eq!(generator::weights_file(&file).unwrap(), file);
    if gpu().is_none() {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let output = generate(run.path(), out.path(), "5");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success() && stdout.contains(&file.display().to_string()), "{stdout}");
    let want = Generator::load(&file, 12).unwrap().generate_cpu(5);
    assert_close("samples of the run's folder", &read_npy(&out.path().join("samples.npy"), 16), &want, 1e-5, 1e-5);
}

#[test]
fn wrong_and_truncated_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("generator.safetensors");
    write_generator(&path);
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let output = generate(&path, dir.path(), "0");
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("truncated or corrupt"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // A valid safetensors file without the architecture.
    let plain = vec![("x".to_string(), Stored { shape: vec![1], values: Values::F32(vec![0.0]) })];
    checkpoint::save(&path, &plain, HashMap::new()).unwrap();
    let stderr = String::from_utf8_lossy(&generate(&path, dir.path(), "0").stderr).to_string();
    assert!(stderr.contains("neither a gan-wgpu generator, a checkpoint, nor a PyTorch state_dict"), "{stderr}");
}

#[test]
fn a_grid_name_that_is_not_png_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("generator.safetensors");
    write_generator(&path);
    let output = Command::new(env!("CARGO_BIN_EXE_gan-wgpu"))
        .args(["generate", "--weights"])
        .arg(&path)
        .arg("--out")
        .arg(dir.path().join("grid"))
        .arg("--npy")
        .arg(dir.path().join("samples.npy"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success() && stderr.contains("name ending in .png"), "{stderr}");
    assert!(!dir.path().join("samples.npy").exists(), "nothing is written after the refusal");
}

#[test]
fn architectures_beyond_any_generator_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hostile.safetensors");
    let architecture = serde_json::json!({
        "z_dim": 100_000_000, "pixels": 784, "layers": [], "noise": { "kind": "normal", "std": 1.0 }
    });
    let metadata = HashMap::from([
        ("format".to_string(), "gan-wgpu generator".to_string()),
        ("architecture".to_string(), architecture.to_string()),
    ]);
    checkpoint::save(&path, &[], metadata).unwrap();
    let error = Generator::load(&path, 100).err().expect("a hostile architecture must be refused");
    let message = format!("{error:#}");
    assert!(message.contains("hostile.safetensors") && message.contains("100000000"), "{message}");
}

#[test]
fn interpolation_runs_from_one_point_to_the_other() {
    let (a, b) = ([0.0, 1.0, -2.0], [1.0, 1.0, 2.0]);
    let path = gan_wgpu::generator::interpolate(&a, &b, 5);
    assert_eq!(path.len(), 15);
    assert_eq!(&path[..3], &a);
    assert_eq!(&path[12..], &b);
    assert_eq!(&path[6..9], &[0.5, 1.0, 0.0]);
}

/// An .npy file's f32 values (the fixtures are C-order float32).
fn read_npy(path: &Path, width: usize) -> Vec<f32> {
    gan_wgpu::data::read_npy_rows(path, width, "rows").unwrap()
}

#[test]
fn a_generator_saved_by_pytorch_draws_what_pytorch_drew() {
    let interop = interop_dir();
    let weights = interop.join("torch_seed_generator.safetensors");
    let z = read_npy(&interop.join("torch_seed_generator_z.npy"), 100);
    let want = read_npy(&interop.join("torch_seed_generator_out.npy"), 784);
    let generator = Generator::load(&weights, 16).unwrap();
    // Names and shapes alone give the reference's architecture: ReLU between, sigmoid at the end.
    let specs: Vec<String> = generator.architecture.layers.iter().map(|l| format!("{l:?}")).collect();
    assert_eq!(specs.len(), 6, "{specs:?}");
    assert_close("PyTorch's G on the CPU reference", &generator.run_cpu(&z), &want, 1e-5, 0.0);
    if let Some(gpu) = gpu() {
        let on_gpu = pollster::block_on(generator.run_gpu(gpu, &z)).unwrap();
        assert_close("PyTorch's G on the GPU", &on_gpu, &want, 1e-5, 0.0);
        // And through the command, with the noise from the file.
        let dir = tempfile::tempdir().unwrap();
        let output = Command::new(env!("CARGO_BIN_EXE_gan-wgpu"))
            .args(["generate", "--weights"])
            .arg(&weights)
            .arg("--z")
            .arg(interop.join("torch_seed_generator_z.npy"))
            .arg("--out")
            .arg(dir.path().join("grid.png"))
            .arg("--npy")
            .arg(dir.path().join("samples.npy"))
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        assert_close("generate --z", &read_npy(&dir.path().join("samples.npy"), 784), &want, 1e-5, 0.0);
    }
}

#[test]
fn the_export_has_pytorchs_own_names_shapes_and_dtypes_and_round_trips() {
    let interop = interop_dir();
    let weights = interop.join("torch_seed_generator.safetensors");
    let original = checkpoint::load(&weights).unwrap();
    let generator = Generator::load(&weights, 1).unwrap();
    // The project's tensors, exported again under PyTorch's names.
    let ours: HashMap<String, Stored> = generator
        .weights
        .f32s
        .iter()
        .map(|(id, v)| {
            let info = &generator.graph.tensors[*id];
            (info.name.clone(), Stored { shape: info.shape.clone(), values: Values::F32(v.clone()) })
        })
        .collect();
    let exported: HashMap<String, Stored> =
        gan_wgpu::torch::export(&generator.architecture, &ours).unwrap().into_iter().collect();
    let keys: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(interop.join("torch_seed_generator_keys.json")).unwrap())
            .unwrap();
    let keys = keys.as_object().unwrap();
    let mut names: Vec<&String> = exported.keys().collect();
    names.sort();
    let mut want: Vec<&String> = keys.keys().collect();
    want.sort();
    assert_eq!(names, want, "the state_dict names of the reference's nn.Sequential");
    for (name, key) in keys {
        let stored = &exported[name];
        let shape: Vec<usize> = key["shape"].as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as usize).collect();
        assert_eq!(stored.shape, shape, "{name}");
        let dtype = match stored.values {
            Values::F32(_) => "torch.float32",
            Values::I64(_) => "torch.int64",
            Values::U32(_) => "torch.uint32",
        };
        assert_eq!(dtype, key["dtype"], "{name}");
        if let Values::F32(_) = stored.values {
            assert_eq!(stored.values, original.tensors[name].values, "{name} round-trips exactly");
        }
    }
}

#[test]
fn commands_print_no_window_system_errors() {
    if gpu().is_none() {
        return;
    }
    // Mesa complains about XDG_RUNTIME_DIR when it is unset, though compute needs no window system.
    let output =
        Command::new(env!("CARGO_BIN_EXE_gan-wgpu")).arg("adapters").env_remove("XDG_RUNTIME_DIR").output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(!stderr.contains("XDG_RUNTIME_DIR"), "{stderr}");
}

#[test]
fn generate_uses_the_shipped_generator_and_says_where_it_is_missing() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert!(root.join("models/generator.safetensors").is_file(), "the shipped generator is missing");
    let elsewhere = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_gan-wgpu"))
        .args(["generate", "--out", "grid.png", "--npy", "samples.npy"])
        .current_dir(elsewhere.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success() && stderr.contains("models/generator.safetensors is not here"), "{stderr}");
    if gpu().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_gan-wgpu"))
        .args(["generate", "--count", "4", "--out"])
        .arg(dir.path().join("grid.png"))
        .arg("--npy")
        .arg(dir.path().join("samples.npy"))
        .current_dir(root)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(read_npy(&dir.path().join("samples.npy"), 784).len(), 4 * 784);
}

fn f32s(tensors: &[(String, Stored)], name: &str) -> Vec<f32> {
    match &tensors.iter().find(|(n, _)| n == name).unwrap().1.values {
        Values::F32(values) => values.clone(),
        other => panic!("{name} holds {other:?}"),
    }
}

#[test]
fn the_average_of_generator_files_weighs_them_as_asked_and_refuses_other_architectures() {
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<_> = (0..3).map(|i| dir.path().join(format!("epoch_{i}.safetensors"))).collect();
    for (i, path) in paths.iter().enumerate() {
        write_generator_from(path, 21 + i as u64);
    }
    let loaded: Vec<_> = paths.iter().map(|p| checkpoint::load(p).unwrap()).collect();
    let files: Vec<Vec<(String, Stored)>> = loaded.iter().map(|l| l.tensors.clone().into_iter().collect()).collect();
    let weight = |i: usize| f32s(&files[i], "G.0.weight");
    // All alike, then the newest weighing most: 0.25, 0.5 and 1 with a decay of 0.5.
    let (uniform, metadata) = generator::average(&loaded, None).unwrap();
    let want: Vec<f32> = (0..8 * 16).map(|j| (weight(0)[j] + weight(1)[j] + weight(2)[j]) / 3.0).collect();
    assert_close("uniform average", &f32s(&uniform, "G.0.weight"), &want, 1e-6, 1e-6);
    assert_eq!(metadata["averaged_files"], r#"["epoch_0.safetensors","epoch_1.safetensors","epoch_2.safetensors"]"#);
    assert_eq!(metadata["architecture"], loaded[2].metadata["architecture"]);
    let (decayed, _) = generator::average(&loaded, Some(0.5)).unwrap();
    let want: Vec<f32> =
        (0..8 * 16).map(|j| (0.25 * weight(0)[j] + 0.5 * weight(1)[j] + weight(2)[j]) / 1.75).collect();
    assert_close("decayed average", &f32s(&decayed, "G.0.weight"), &want, 1e-6, 1e-6);
    assert_ne!(f32s(&decayed, "G.0.weight"), f32s(&uniform, "G.0.weight"));

    // The command writes a generator that loads, with the same weights.
    let out = dir.path().join("average.safetensors");
    let average = |extra: &[&Path]| {
        Command::new(env!("CARGO_BIN_EXE_gan-wgpu"))
            .args(["average", "--decay", "0.5", "--out"])
            .arg(&out)
            .args(&paths)
            .args(extra)
            .output()
            .unwrap()
    };
    let output = average(&[]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let written: Vec<(String, Stored)> = checkpoint::load(&out).unwrap().tensors.into_iter().collect();
    assert_eq!(f32s(&written, "G.0.weight"), f32s(&decayed, "G.0.weight"));
    Generator::load(&out, 4).unwrap();

    for decay in ["0", "1.5", "x"] {
        let output = Command::new(env!("CARGO_BIN_EXE_gan-wgpu"))
            .args(["average", "--decay", decay, "--out"])
            .arg(&out)
            .args(&paths)
            .output()
            .unwrap();
        assert!(String::from_utf8_lossy(&output.stderr).contains("is not a decay"), "--decay {decay}");
    }
    // A file of another architecture is named, and nothing is written.
    std::fs::remove_file(&out).unwrap();
    let other = dir.path().join("other.safetensors");
    let plain = vec![("x".to_string(), Stored { shape: vec![1], values: Values::F32(vec![0.0]) })];
    checkpoint::save(&other, &plain, HashMap::new()).unwrap();
    let output = average(&[&other]);
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert!(
        !output.status.success() && stderr.contains("other.safetensors") && stderr.contains("one architecture"),
        "{stderr}"
    );
    assert!(!out.exists(), "a failed average wrote {}", out.display());
    // Nor may the average overwrite one of its files.
    let output = Command::new(env!("CARGO_BIN_EXE_gan-wgpu"))
        .args(["average", "--out"])
        .arg(&paths[0])
        .args(&paths)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert!(!output.status.success() && stderr.contains("one of the files to average"), "{stderr}");
    // A missing file, and a folder that is not there for the average: each named once, with the
    // system's reason and nothing about other commands' folders.
    let missing = dir.path().join("missing.safetensors");
    let unwritable = dir.path().join("no such folder/average.safetensors");
    for (out, extra, named) in [(&out, Some(&missing), &missing), (&unwritable, None, &unwritable)] {
        let output = Command::new(env!("CARGO_BIN_EXE_gan-wgpu"))
            .env("RUST_BACKTRACE", "0")
            .args(["average", "--out"])
            .arg(out)
            .args(&paths)
            .args(extra)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).to_string();
        let name = named.display().to_string();
        assert!(!output.status.success() && stderr.contains(&name), "{stderr}");
        assert_eq!(stderr.matches("No such file or directory").count(), 1, "{stderr}");
        assert!(!stderr.contains("cache"), "{stderr}");
    }
}
