//! The trainer end to end through its command line: outputs, resume, checkpoints, bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use gan_wgpu::checkpoint::{self, Values};
use gan_wgpu::config::{Config, EmaWeights, LrSchedule, TwoTimeScale};
use gan_wgpu::generator::Generator;
use gan_wgpu::nn::LayerSpec;

mod common;

/// The tuned preset at a width that trains in seconds on a software adapter.
fn small_config(dir: &Path) -> PathBuf {
    small("tuned", dir)
}

/// A preset at a width that trains in seconds on a software adapter, written as a config file.
fn small(preset: &str, dir: &Path) -> PathBuf {
    small_amended(preset, dir, &format!("small-{preset}.json"), |_| {})
}

/// [`small`], amended by `amend`, written as the file `name` in `dir`.
fn small_amended(preset: &str, dir: &Path, name: &str, amend: impl FnOnce(&mut Config)) -> PathBuf {
    let mut config = Config::preset(preset).unwrap();
    if config.validation_images > 0 {
        // Enough held-out images for the quick score (1,000 choose σ, the rest are scored).
        config.validation_images = 1_200;
    }
    for spec in config.generator.iter_mut().chain(config.discriminator.iter_mut()) {
        match spec {
            LayerSpec::Linear { outputs, .. } => *outputs = 32,
            LayerSpec::Maxout { units, .. } => *units = 16,
            _ => {}
        }
    }
    config.batch = 16;
    amend(&mut config);
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string(&config).unwrap()).unwrap();
    path
}

/// `train` with `args` on the first 64 MNIST images (a resumed run keeps its own), without a
/// progress bar.
fn command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_train"));
    command.args(args).arg("--data-dir").arg(common::mnist_dir()).arg("--quiet");
    if !args.contains(&"--resume") {
        command.args(["--limit", "64"]);
    }
    command
}

fn train(args: &[&str]) -> Output {
    command(args).args(["--log-every", "3"]).output().unwrap()
}

fn ok(output: Output) -> Output {
    assert!(output.status.success(), "train failed:\n{}", String::from_utf8_lossy(&output.stderr));
    output
}

fn skip_gpu() -> bool {
    std::env::var(common::SKIP_ENV).is_ok_and(|v| v == "1")
}

#[test]
fn a_short_run_writes_every_output() {
    if skip_gpu() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let config = small_config(dir.path());
    let out = dir.path().join("run");
    let config = config.to_str().unwrap();
    ok(train(&["--config", config, "--epochs", "2", "--snapshot-every", "1", "--out", out.to_str().unwrap()]));
    for file in [
        "config.json",
        "losses.csv",
        "losses.png",
        "final.png",
        "history.png",
        "checkpoint.safetensors",
        "generator.safetensors",
        "samples/epoch_001.png",
        "samples/epoch_002.png",
    ] {
        assert!(out.join(file).is_file(), "{file} was not written");
    }
    // 64 images in batches of 16: 4 steps an epoch, each step's losses logged.
    let csv = std::fs::read_to_string(out.join("losses.csv")).unwrap();
    let steps: Vec<u64> = csv.lines().skip(1).map(|l| l.split(',').next().unwrap().parse().unwrap()).collect();
    assert_eq!(steps, (1..=8).collect::<Vec<_>>());
    // The final grid is G on its training noise, as `generate --seed 0` gives it.
    let grid = image::open(out.join("final.png")).unwrap().to_luma8();
    assert_eq!((grid.width(), grid.height()), (10 * 30 + 2, 10 * 30 + 2));
    let samples = Generator::load(&out.join("generator.safetensors"), 100).unwrap().generate_cpu(0);
    let want = gan_wgpu::grid::samples_grid(&samples, 784);
    let worst = grid.pixels().zip(want.pixels()).map(|(a, b)| a.0[0].abs_diff(b.0[0])).max().unwrap();
    assert!(worst <= 1, "final.png differs from generate --seed 0 by up to {worst} levels");
    let generator = checkpoint::load(&out.join("generator.safetensors")).unwrap();
    assert_eq!(generator.metadata["format"], "gan-wgpu generator");
    // PyTorch's state_dict of the reference's nn.Sequential: weight and bias of 3 linear modules; weight,
    // bias, running mean, running variance and batch count of 2 batch norms.
    assert_eq!(generator.tensors.len(), 2 * 3 + 5 * 2);
    assert_eq!(generator.tensors["0.weight"].shape, [32, 100], "linear weights as [out, in]");
    assert_eq!(generator.tensors["1.running_var"].shape, [32]);
    // G after each epoch (--snapshot-every 1): the last is the final G (this preset keeps no average).
    let snapshot = checkpoint::load(&out.join("snapshots/epoch_002.safetensors")).unwrap();
    assert_eq!(snapshot.metadata["epoch"], "2");
    assert_eq!(tensors(&out.join("snapshots/epoch_002.safetensors")), tensors(&out.join("generator.safetensors")));
    assert_ne!(tensors(&out.join("snapshots/epoch_001.safetensors")), tensors(&out.join("generator.safetensors")));
    let every_second = dir.path().join("every-second");
    ok(train(&["--config", config, "--epochs", "2", "--snapshot-every", "2", "--out", every_second.to_str().unwrap()]));
    assert!(!every_second.join("snapshots/epoch_001.safetensors").exists());
    assert!(every_second.join("snapshots/epoch_002.safetensors").is_file());
}

#[test]
fn a_run_logged_to_a_file_prints_a_line_per_epoch() {
    if skip_gpu() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let config = small_config(dir.path());
    let out = dir.path().join("run");
    // As `command`, but without --quiet: stderr is a pipe here, where no progress bar can draw.
    let output = Command::new(env!("CARGO_BIN_EXE_train"))
        .args(["--config", config.to_str().unwrap(), "--epochs", "2", "--limit", "64", "--out", out.to_str().unwrap()])
        .arg("--data-dir")
        .arg(common::mnist_dir())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&ok(output).stderr).to_string();
    for line in ["step 4/8", "epoch 1/2", "step 8/8", "epoch 2/2"] {
        assert!(stderr.contains(line), "no {line:?} in:\n{stderr}");
    }
    // An estimate of the time left after each epoch but the last.
    let line = |step: &str| stderr.lines().find(|l| l.starts_with(step)).unwrap_or_default().to_string();
    assert!(line("step 4/8").contains(" left: epoch 1/2"), "no time left after the first epoch:\n{stderr}");
    assert!(!line("step 8/8").contains(" left"), "time left after the last epoch:\n{stderr}");
}

#[test]
fn resuming_a_finished_run_says_there_is_nothing_left_to_train() {
    if skip_gpu() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let config = small_config(dir.path());
    let out = dir.path().join("run");
    let out = out.to_str().unwrap();
    ok(train(&["--config", config.to_str().unwrap(), "--epochs", "1", "--out", out]));
    let generator = tensors(&Path::new(out).join("generator.safetensors"));
    let stderr = String::from_utf8_lossy(&ok(train(&["--resume", "--out", out])).stderr).to_string();
    assert!(stderr.contains("nothing left to train") && stderr.contains("--epochs"), "{stderr}");
    assert_eq!(tensors(&Path::new(out).join("generator.safetensors")), generator, "the generator changed");
    // A run that goes on says nothing of the kind.
    let stderr = String::from_utf8_lossy(&ok(train(&["--resume", "--epochs", "2", "--out", out])).stderr).to_string();
    assert!(!stderr.contains("nothing left to train"), "{stderr}");
}

fn tensors(path: &Path) -> Vec<(String, Values)> {
    let loaded = checkpoint::load(path).unwrap();
    let mut all: Vec<(String, Values)> = loaded.tensors.into_iter().map(|(k, v)| (k, v.values)).collect();
    all.sort_by(|a, b| a.0.cmp(&b.0));
    all
}

#[test]
fn a_resumed_run_ends_with_the_same_weights() {
    if skip_gpu() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let config = small_config(dir.path());
    let (straight, split) = (dir.path().join("straight"), dir.path().join("split"));
    ok(train(&["--config", config.to_str().unwrap(), "--epochs", "2", "--out", straight.to_str().unwrap()]));
    ok(train(&["--config", config.to_str().unwrap(), "--epochs", "1", "--out", split.to_str().unwrap()]));
    ok(train(&["--resume", "--epochs", "2", "--out", split.to_str().unwrap()]));
    assert_eq!(tensors(&straight.join("checkpoint.safetensors")), tensors(&split.join("checkpoint.safetensors")));
    assert_eq!(tensors(&straight.join("generator.safetensors")), tensors(&split.join("generator.safetensors")));
    assert_eq!(
        std::fs::read_to_string(straight.join("losses.csv")).unwrap(),
        std::fs::read_to_string(split.join("losses.csv")).unwrap()
    );
}

/// The learning rate in an optimizer's hyper-parameter tensor ("D" or "G") of a run's checkpoint.
fn learning_rate(run: &Path, network: &str) -> f32 {
    let name = format!("{network}.optimizer.hyper");
    match tensors(&run.join("checkpoint.safetensors")).into_iter().find(|(n, _)| *n == name) {
        Some((_, Values::U32(words))) => f32::from_bits(words[gan_wgpu::optim::Optimizer::LR_WORD]),
        other => panic!("{name}: {other:?}"),
    }
}

#[test]
fn two_time_scale_phases_speed_up_d_from_their_epochs_once_each_also_across_a_resume() {
    if skip_gpu() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let plain = small("paper-code", dir.path());
    let faster = small_amended("paper-code", dir.path(), "two-time-scale.json", |config| {
        config.two_time_scale = vec![
            TwoTimeScale { from_epoch: 1, discriminator_lr_factor: 2.0 },
            TwoTimeScale { from_epoch: 2, discriminator_lr_factor: 2.0 },
        ];
    });
    let [base, straight, split] = ["base", "straight", "split"].map(|name| dir.path().join(name));
    let (plain, faster) = (plain.to_str().unwrap(), faster.to_str().unwrap());
    ok(train(&["--config", plain, "--epochs", "3", "--out", base.to_str().unwrap()]));
    ok(train(&["--config", faster, "--epochs", "3", "--out", straight.to_str().unwrap()]));
    ok(train(&["--config", faster, "--epochs", "2", "--out", split.to_str().unwrap()]));
    ok(train(&["--resume", "--epochs", "3", "--out", split.to_str().unwrap()]));
    // Each applied once: a run resumed at the second phase's first step ends as the uninterrupted one.
    assert_eq!(tensors(&straight.join("checkpoint.safetensors")), tensors(&split.join("checkpoint.safetensors")));
    // D's rate is doubled, then doubled again (powers of two, so that SGD's division after every step
    // keeps the ratio exact); G's is untouched.
    assert_eq!(learning_rate(&straight, "D"), 4.0 * learning_rate(&base, "D"));
    assert_eq!(learning_rate(&straight, "G"), learning_rate(&base, "G"));
    // The first epoch (4 steps of 16 of the 64 images) trains as without the phases; the later ones do not.
    let losses = |run: &Path| std::fs::read_to_string(run.join("losses.csv")).unwrap();
    let (before, after) = (losses(&base), losses(&straight));
    let lines = |text: &str| text.lines().map(str::to_owned).collect::<Vec<_>>();
    let (before, after) = (lines(&before), lines(&after));
    assert_eq!((before.len(), after.len()), (13, 13), "a header and 12 steps each");
    assert_eq!(before[..5], after[..5], "the first epoch");
    assert_ne!(before[5..9], after[5..9], "the second epoch");
    assert_ne!(before[9..], after[9..], "the third epoch");
}

/// `train` given `config` (written to `name` in `dir`) refuses it: its error output.
fn refusal(dir: &Path, config: &Config, name: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string(config).unwrap()).unwrap();
    let output = train(&["--config", path.to_str().unwrap(), "--out", dir.join("run").to_str().unwrap()]);
    assert!(!output.status.success());
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn two_time_scale_phases_with_a_bad_factor_out_of_order_or_beside_a_learning_rate_schedule_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::preset("paper-code").unwrap();
    let refusal = |config: &Config, name: &str| refusal(dir.path(), config, name);
    let phase = |from_epoch, discriminator_lr_factor| TwoTimeScale { from_epoch, discriminator_lr_factor };
    config.two_time_scale = vec![phase(1, 2.0), phase(2, 0.0)];
    assert!(refusal(&config, "zero.json").contains("discriminator_lr_factor 0 is not a positive number"));
    config.two_time_scale = vec![phase(2, 2.0), phase(1, 2.0)];
    let error = refusal(&config, "unordered.json");
    assert!(error.contains("the phases start at epochs [2, 1]; list them in order, one per epoch"), "{error}");
    config.two_time_scale = vec![phase(1, 2.0)];
    for optimizer in [&mut config.optimizer_g, &mut config.optimizer_d] {
        *optimizer = gan_wgpu::optim::OptimizerConfig::sgd(0.1, 0.5);
    }
    config.lr_schedule = LrSchedule::LinearToZero;
    let error = refusal(&config, "schedule.json");
    assert!(error.contains("two_time_scale and lr_schedule LinearToZero both set D's learning rate"), "{error}");
}

#[test]
fn an_average_with_a_decay_its_weights_do_not_take_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let refusal = |config: &Config, name: &str| refusal(dir.path(), config, name);
    let epoch_ends = Config::preset("paper-code-ema").unwrap();
    let per_step = Config { ema: Some(1.0), ema_weights: EmaWeights::Normalised, ..epoch_ends.clone() };
    let error = refusal(&per_step, "per-step.json");
    assert!(
        error.contains("ema 1: with ema_weights \"normalised\" the decay must be at least 0 and below 1"),
        "{error}"
    );
    let error = refusal(&Config { ema: Some(0.0), ..epoch_ends }, "epoch-ends.json");
    assert!(
        error.contains("ema 0: with ema_weights \"epoch_ends\" the decay must be above 0 and at most 1"),
        "{error}"
    );
}

/// The checkpoint in `run` with its metadata entry `key` set to `value`, or removed (None).
fn rewrite_checkpoint_metadata(run: &Path, key: &str, value: Option<&str>) {
    let path = run.join("checkpoint.safetensors");
    let loaded = checkpoint::load(&path).unwrap();
    let mut metadata = loaded.metadata.clone();
    match value {
        Some(value) => metadata.insert(key.to_string(), value.to_string()),
        None => metadata.remove(key),
    };
    let tensors: Vec<(String, checkpoint::Stored)> = loaded.tensors.into_iter().collect();
    checkpoint::save(&path, &tensors, metadata).unwrap();
}

/// A resumed run trains with the kernels it started with, whatever the cache holds by then: here
/// the first epoch runs with variants forced (the matmul a tuner would not pick on lavapipe), and
/// the resumed run, given neither the forcing nor a cache, takes them from the checkpoint and ends
/// as the straight run does. (On lavapipe every matmul variant rounds alike, so the weights would
/// agree with other kernels too; the summary line shows which were taken. Where variants round
/// differently, keeping them is what keeps the resumed run exact.)
#[test]
fn a_resumed_run_keeps_its_kernels_when_the_cache_has_changed() {
    if skip_gpu() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let config = small_config(dir.path());
    let config = config.to_str().unwrap();
    let (straight, split) = (dir.path().join("straight"), dir.path().join("split"));
    let forced = "matmul=simple,elementwise=storage,updates=storage,maxout-dropout=separate";
    let run = |args: &[&str], kernels: Option<&str>| {
        let mut command = command(args);
        command.args(["--log-every", "3"]).env("GAN_WGPU_TUNE_CACHE", "off");
        match kernels {
            Some(kernels) => command.env("GAN_WGPU_KERNELS", kernels),
            None => command.env_remove("GAN_WGPU_KERNELS"),
        };
        ok(command.output().unwrap())
    };
    run(&["--config", config, "--epochs", "2", "--out", straight.to_str().unwrap()], Some(forced));
    run(&["--config", config, "--epochs", "1", "--out", split.to_str().unwrap()], Some(forced));
    let saved = checkpoint::load(&split.join("checkpoint.safetensors")).unwrap();
    let recorded: serde_json::Value = serde_json::from_str(&saved.metadata["kernels"]).unwrap();
    let variants = recorded["variants"].as_object().unwrap();
    assert!(variants.values().any(|v| v == "simple"), "the checkpoint records no matmul: {recorded}");
    assert!(variants.values().all(|v| ["simple", "storage", "separate"].contains(&v.as_str().unwrap())), "{recorded}");
    let fusion = variants.iter().find(|(key, _)| key.starts_with("maxout-dropout")).map(|(_, v)| v);
    assert_eq!(fusion.and_then(|v| v.as_str()), Some("separate"), "{recorded}");
    let resumed = run(&["--resume", "--epochs", "2", "--out", split.to_str().unwrap()], None);
    let stderr = String::from_utf8_lossy(&resumed.stderr);
    assert!(stderr.contains(&format!("{} as the resumed run chose them", variants.len())), "{stderr}");
    assert_eq!(tensors(&straight.join("checkpoint.safetensors")), tensors(&split.join("checkpoint.safetensors")));

    // Where the checkpoint cannot say (an older one, another adapter), the kernels are chosen
    // afresh and the run says so.
    let (older, elsewhere) = (dir.path().join("older"), dir.path().join("elsewhere"));
    for out in [&older, &elsewhere] {
        run(&["--config", config, "--epochs", "1", "--out", out.to_str().unwrap()], Some(forced));
    }
    rewrite_checkpoint_metadata(&older, "kernels", None);
    rewrite_checkpoint_metadata(&elsewhere, "kernels", Some(r#"{"adapter": "a GPU far away", "variants": {}}"#));
    for (out, why) in [(&older, "does not record the kernels"), (&elsewhere, "another adapter (a GPU far away)")] {
        let resumed = run(&["--resume", "--epochs", "2", "--out", out.to_str().unwrap()], None);
        let stderr = String::from_utf8_lossy(&resumed.stderr);
        assert!(stderr.contains(why) && stderr.contains("chosen afresh"), "{stderr}");
        assert!(!stderr.contains("as the resumed run chose them"), "{stderr}");
    }
}

#[test]
fn scores_during_training_resume_exactly_and_the_average_is_shipped() {
    if skip_gpu() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let config = small("quality", dir.path());
    let (straight, split) = (dir.path().join("straight"), dir.path().join("split"));
    let config = config.to_str().unwrap();
    ok(train(&["--config", config, "--epochs", "2", "--out", straight.to_str().unwrap()]));
    ok(train(&["--config", config, "--epochs", "1", "--out", split.to_str().unwrap()]));
    ok(train(&["--resume", "--epochs", "2", "--out", split.to_str().unwrap()]));
    for file in ["checkpoint.safetensors", "generator.safetensors", "best.safetensors"] {
        assert_eq!(tensors(&straight.join(file)), tensors(&split.join(file)), "{file}");
    }
    let metrics = std::fs::read_to_string(straight.join("metrics.csv")).unwrap();
    assert_eq!(metrics, std::fs::read_to_string(split.join("metrics.csv")).unwrap());
    let rows: Vec<Vec<&str>> = metrics.lines().skip(1).map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.iter().map(|r| r[0]).collect::<Vec<_>>(), ["1", "2"], "a score per epoch:\n{metrics}");
    assert!(rows.iter().all(|r| r[2].parse::<f64>().unwrap().is_finite()), "{metrics}");
    assert!(straight.join("metrics.png").is_file());
    // best.safetensors is the generator of the epoch with the higher score.
    let best_epoch = if rows[1][2].parse::<f64>().unwrap() > rows[0][2].parse::<f64>().unwrap() { "2" } else { "1" };
    assert_eq!(checkpoint::load(&straight.join("best.safetensors")).unwrap().metadata["epoch"], best_epoch);
    // `gan-wgpu validate` scores a file as training did: best.safetensors gets its epoch's figure.
    let validate = |args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_gan-wgpu"));
        command.arg("validate").args(args).arg("--data-dir").arg(common::mnist_dir()).output().unwrap()
    };
    let output = validate(&["--held-out", "1200", straight.join("best.safetensors").to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let best_row = rows.iter().find(|r| r[0] == best_epoch).unwrap();
    let want = format!("| {:.2} ± {:.2} |", best_row[2].parse::<f64>().unwrap(), best_row[3].parse::<f64>().unwrap());
    assert!(stdout.contains(&want), "no {want:?} in:\n{stdout}");
    let missing = dir.path().join("missing.safetensors");
    let output = validate(&["--held-out", "1200", missing.to_str().unwrap()]);
    assert!(!output.status.success() && String::from_utf8_lossy(&output.stderr).contains("missing.safetensors"));
    let output = validate(&["--held-out", "1000", straight.join("best.safetensors").to_str().unwrap()]);
    assert!(!output.status.success() && String::from_utf8_lossy(&output.stderr).contains("--held-out"));
    // The shipped generator is the moving average of G (G.ema.* in the checkpoint), not G itself.
    let checkpoint = checkpoint::load(&straight.join("checkpoint.safetensors")).unwrap();
    let shipped = Generator::load(&straight.join("generator.safetensors"), 1).unwrap();
    for (id, values) in &shipped.weights.f32s {
        let name = &shipped.graph.tensors[*id].name;
        let average = &checkpoint.tensors[&name.replacen("G.", "G.ema.", 1)].values;
        assert_eq!(&Values::F32(values.clone()), average, "{name} is not the average's");
        if !name.ends_with("running") {
            assert_ne!(average, &checkpoint.tensors[name].values, "{name}: the average equals G after 8 steps");
        }
    }
    // `gan-wgpu average` takes a checkpoint for the generator it ships, alone or beside generator files.
    let shipped_file = straight.join("generator.safetensors");
    for files in [
        vec![straight.join("checkpoint.safetensors")],
        vec![shipped_file.clone(), straight.join("checkpoint.safetensors")],
    ] {
        let out = dir.path().join("averaged.safetensors");
        let output = Command::new(env!("CARGO_BIN_EXE_gan-wgpu"))
            .arg("average")
            .arg("--out")
            .arg(&out)
            .args(&files)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        assert_eq!(tensors(&out), tensors(&shipped_file), "the average of {files:?}");
    }
}

/// The default preset's average of G's epochs' ends (here from epoch 1 of 4) ships what `gan-wgpu
/// average` makes of the run's snapshots of those epochs, up to rounding (a running mean in f32
/// against a sum in f64), and a run resumed halfway ships the same bits.
#[test]
fn the_default_presets_average_is_the_mean_of_its_epochs_snapshots() {
    if skip_gpu() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = small_amended("paper-code-ema", dir.path(), "from-epoch-1.json", |config| config.ema_from_epoch = 1);
    let (straight, split) = (dir.path().join("straight"), dir.path().join("split"));
    let config = path.to_str().unwrap();
    let run = |out: &Path, epochs: &str, resume: bool| {
        let mut args = vec!["--epochs", epochs, "--snapshot-every", "1", "--out", out.to_str().unwrap()];
        args.extend(if resume { vec!["--resume"] } else { vec!["--config", config] });
        ok(train(&args));
    };
    run(&straight, "4", false);
    run(&split, "2", false);
    run(&split, "4", true);
    let shipped = straight.join("generator.safetensors");
    assert_eq!(tensors(&shipped), tensors(&split.join("generator.safetensors")), "resumed halfway");
    let snapshots: Vec<PathBuf> =
        (2..=4).map(|e| straight.join(format!("snapshots/epoch_{e:03}.safetensors"))).collect();
    let out = dir.path().join("averaged.safetensors");
    let output =
        Command::new(env!("CARGO_BIN_EXE_gan-wgpu")).arg("average").arg("--out").arg(&out).args(&snapshots).output();
    assert!(output.as_ref().unwrap().status.success(), "{output:?}");
    let snapshots: Vec<Vec<(String, Values)>> = snapshots.iter().map(|path| tensors(path)).collect();
    for (i, ((name, averaged), (_, got))) in tensors(&out).iter().zip(&tensors(&shipped)).enumerate() {
        let (Values::F32(averaged), Values::F32(got)) = (averaged, got) else { continue };
        let epochs: Vec<&Vec<f32>> = snapshots
            .iter()
            .map(|snapshot| match &snapshot[i] {
                (n, Values::F32(values)) if n == name => values,
                other => panic!("{name}: the snapshots hold {other:?} there"),
            })
            .collect();
        // This small G moves by little more than rounding in an epoch: a few units in the last
        // place of its largest value tell the three epochs' mean from other means.
        let scale = epochs.iter().flat_map(|v| v.iter()).fold(0f32, |m, v| m.max(v.abs()));
        for (j, (&got, &want)) in got.iter().zip(averaged).enumerate() {
            assert!((got - want).abs() <= 4.0 * f32::EPSILON * scale, "{name}[{j}]: {got}, the mean is {want}");
        }
        assert_ne!(got, epochs[2], "{name}: the average is the last epoch's G");
    }
}

#[test]
fn an_average_started_on_resume_leaves_g_as_it_was_and_is_shipped() {
    if skip_gpu() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let config = small_config(dir.path());
    let (straight, split) = (dir.path().join("straight"), dir.path().join("split"));
    let (config, split_dir) = (config.to_str().unwrap(), split.to_str().unwrap());
    ok(train(&["--config", config, "--epochs", "2", "--out", straight.to_str().unwrap()]));
    ok(train(&["--config", config, "--epochs", "1", "--out", split_dir]));
    let started = ok(train(&["--resume", "--epochs", "2", "--ema", "0.9", "--out", split_dir]));
    assert!(String::from_utf8_lossy(&started.stderr).contains("starting an average of G"));
    // Training is untouched: every tensor of the straight run is in the split one, equal.
    let with_average = tensors(&split.join("checkpoint.safetensors"));
    let without: Vec<_> = with_average.iter().filter(|(name, _)| !name.starts_with("G.ema.")).cloned().collect();
    assert_eq!(tensors(&straight.join("checkpoint.safetensors")), without);
    assert!(with_average.len() > without.len(), "the checkpoint holds no average");
    // G as trained comes out of the checkpoint on request; the average is what the run ships.
    let trained = gan_wgpu::generator::FromCheckpoint::Trained;
    let g = Generator::load_from(&split.join("checkpoint.safetensors"), 1, trained).unwrap();
    let straight_g = Generator::load(&straight.join("generator.safetensors"), 1).unwrap();
    assert_eq!(g.weights.f32s, straight_g.weights.f32s);
    let shipped = Generator::load(&split.join("generator.safetensors"), 1).unwrap();
    assert_ne!(shipped.weights.f32s, straight_g.weights.f32s, "generator.safetensors holds G, not its average");
    // The run keeps its average from now on; a second one cannot start.
    let saved: Config = serde_json::from_str(&std::fs::read_to_string(split.join("config.json")).unwrap()).unwrap();
    assert_eq!(saved.ema, Some(0.9));
    ok(train(&["--resume", "--epochs", "3", "--out", split_dir]));
    let again = train(&["--resume", "--epochs", "4", "--ema", "0.99", "--out", split_dir]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already keeps an average"));
    // A file with one generator has no other to give.
    let err = Generator::load_from(&straight.join("generator.safetensors"), 1, trained).err().unwrap();
    assert!(format!("{err:#}").contains("keeps an average"), "{err:#}");
}

#[test]
fn bad_flags_fail_before_any_gpu_work() {
    let dir = tempfile::tempdir().unwrap();
    let stderr = |o: Output| {
        assert!(!o.status.success());
        String::from_utf8_lossy(&o.stderr).to_string()
    };
    assert!(stderr(train(&["--batch", "0"])).contains("--batch"));
    assert!(stderr(train(&["--epochs", "0"])).contains("--epochs"));
    assert!(
        stderr(train(&["--batch", "100", "--out", dir.path().to_str().unwrap()]))
            .contains("larger than the 64 training images")
    );
    let file = dir.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let under_a_file = file.join("run");
    let message = stderr(train(&["--batch", "16", "--out", under_a_file.to_str().unwrap()]));
    assert!(message.contains("cannot create the run directory"), "{message}");
    assert!(stderr(train(&["--resume", "--out", dir.path().to_str().unwrap()])).contains("no config.json"));
    assert!(stderr(train(&["--eval-every", "0"])).contains("--eval-every"));
    assert!(stderr(train(&["--snapshot-every", "0"])).contains("--snapshot-every"));
    for decay in ["0", "1", "1.5", "x"] {
        assert!(stderr(train(&["--ema", decay])).contains("not a decay between 0 and 1"), "--ema {decay}");
    }
    let no_held_out = small_config(dir.path());
    let message = stderr(train(&["--config", no_held_out.to_str().unwrap(), "--eval-every", "1"]));
    assert!(message.contains("--eval-every") && message.contains("holds out none"), "{message}");
    let bad_config = dir.path().join("bad.json");
    std::fs::write(&bad_config, "{\"preset\": 1}").unwrap();
    assert!(stderr(train(&["--config", bad_config.to_str().unwrap()])).contains("not a valid configuration"));
}

#[test]
fn an_interrupted_checkpoint_write_keeps_the_previous_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("checkpoint.safetensors");
    let tensor =
        |v: f32| vec![("w".to_string(), checkpoint::Stored { shape: vec![2], values: Values::F32(vec![v, v]) })];
    checkpoint::save(&path, &tensor(1.0), Default::default()).unwrap();
    // The write goes through a temporary file beside the target; where that cannot be written the
    // save fails, as a full disk or a kill would stop it, and the old checkpoint stays whole.
    std::fs::create_dir(path.with_extension(format!("partial-{}", std::process::id()))).unwrap();
    assert!(checkpoint::save(&path, &tensor(2.0), Default::default()).is_err());
    assert_eq!(checkpoint::load(&path).unwrap().tensors["w"].values, Values::F32(vec![1.0, 1.0]));
}

#[test]
fn truncated_or_foreign_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("generator.safetensors");
    let tensor =
        vec![("w".to_string(), checkpoint::Stored { shape: vec![3], values: Values::F32(vec![1.0, 2.0, 3.0]) })];
    checkpoint::save(&path, &tensor, Default::default()).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() - 4]).unwrap();
    let err = checkpoint::load(&path).err().expect("a truncated file must not load").to_string();
    assert!(err.contains("generator.safetensors") && err.contains("truncated or corrupt"), "{err}");
    std::fs::write(&path, b"PNG not a tensor file").unwrap();
    assert!(checkpoint::load(&path).is_err());
    let err = checkpoint::load(&dir.path().join("missing.safetensors")).err().unwrap().to_string();
    assert!(err.contains("missing.safetensors"), "{err}");
}

#[test]
fn a_nan_loss_stops_the_run_naming_the_step_and_keeps_the_last_checkpoint() {
    if skip_gpu() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = small_config(dir.path());
    let out = dir.path().join("run");
    ok(train(&["--config", path.to_str().unwrap(), "--epochs", "1", "--out", out.to_str().unwrap()]));
    let good = std::fs::read(out.join("checkpoint.safetensors")).unwrap();
    // The same run, continued with a learning rate that overflows the weights within a step or two.
    let mut config: Config = serde_json::from_str(&std::fs::read_to_string(out.join("config.json")).unwrap()).unwrap();
    config.optimizer_d = gan_wgpu::optim::OptimizerConfig::adam(1e38, 0.5);
    config.optimizer_g = config.optimizer_d.clone();
    std::fs::write(out.join("config.json"), serde_json::to_string(&config).unwrap()).unwrap();
    let mut checkpoint = checkpoint::load(&out.join("checkpoint.safetensors")).unwrap();
    checkpoint.metadata.insert("config".into(), serde_json::to_string(&config).unwrap());
    // The learning rate lives on the GPU with the optimizer's state: the first word of its hyper-parameters.
    for name in ["G.optimizer.hyper", "D.optimizer.hyper"] {
        if let Values::U32(words) = &mut checkpoint.tensors.get_mut(name).unwrap().values {
            words[0] = 1e38f32.to_bits();
        }
    }
    let tensors: Vec<_> = checkpoint.tensors.clone().into_iter().collect();
    checkpoint::save(&out.join("checkpoint.safetensors"), &tensors, checkpoint.metadata.clone()).unwrap();
    let before = std::fs::read(out.join("checkpoint.safetensors")).unwrap();
    let output = train(&["--resume", "--epochs", "3", "--out", out.to_str().unwrap()]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("at step") && (stderr.contains("NaN") || stderr.contains("infinite")), "{stderr}");
    assert!(stderr.contains("checkpoint.safetensors"), "{stderr}");
    assert_eq!(
        std::fs::read(out.join("checkpoint.safetensors")).unwrap(),
        before,
        "the last good checkpoint was replaced"
    );
    assert_ne!(good.len(), 0);
}

#[test]
fn ctrl_c_finishes_the_step_saves_and_the_run_resumes() {
    if skip_gpu() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let config = small_config(dir.path());
    let out = dir.path().join("run");
    let child = command(&["--config", config.to_str().unwrap(), "--epochs", "1000", "--log-every", "1"])
        .arg("--out")
        .arg(&out)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until a few steps have run, then interrupt as Ctrl-C does.
    let csv = out.join("losses.csv");
    let started = std::time::Instant::now();
    while std::fs::read_to_string(&csv).map_or(0, |t| t.lines().count()) < 4 {
        assert!(started.elapsed().as_secs() < 120, "training did not start");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap().success());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("--resume"), "{stderr}");
    let saved = checkpoint::load(&out.join("checkpoint.safetensors")).unwrap();
    let step: u64 = saved.metadata["step"].parse().unwrap();
    assert!(step >= 3, "stopped at step {step}");
    // Every step up to the checkpoint has its losses logged, and none after it.
    let logged = std::fs::read_to_string(&csv).unwrap().lines().count() as u64 - 1;
    assert_eq!(logged, step);
    let resumed = ok(train(&["--resume", "--epochs", &(step / 4 + 2).to_string(), "--out", out.to_str().unwrap()]));
    assert!(String::from_utf8_lossy(&resumed.stderr).contains("done"));
    assert!(out.join("generator.safetensors").is_file());
}

#[test]
fn a_finished_run_is_never_overwritten_and_resume_without_a_checkpoint_says_why() {
    if skip_gpu() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let config = small_config(dir.path());
    let out = dir.path().join("run");
    let (config, run) = (config.to_str().unwrap(), out.to_str().unwrap());
    ok(train(&["--config", config, "--epochs", "1", "--out", run]));
    let saved = std::fs::read(out.join("generator.safetensors")).unwrap();
    let again = train(&["--config", config, "--epochs", "1", "--out", run]);
    assert!(!again.status.success());
    let message = String::from_utf8_lossy(&again.stderr);
    assert!(
        message.contains(&format!("{run} already holds a run"))
            && message.contains("--resume")
            && message.contains("--overwrite"),
        "{message}"
    );
    assert_eq!(std::fs::read(out.join("generator.safetensors")).unwrap(), saved, "the finished run was touched");
    ok(train(&["--config", config, "--epochs", "1", "--out", run, "--overwrite"]));

    // A run that stopped before its first checkpoint: its config.json is there, no checkpoint.
    std::fs::remove_file(out.join("checkpoint.safetensors")).unwrap();
    let resumed = train(&["--resume", "--out", run]);
    assert!(!resumed.status.success());
    let message = String::from_utf8_lossy(&resumed.stderr);
    assert!(message.contains("no checkpoint yet") && message.contains("--overwrite"), "{message}");
}

#[test]
fn a_resumed_run_keeps_its_data_and_refuses_other_data() {
    if skip_gpu() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let config = small_config(dir.path());
    let out = dir.path().join("run");
    let run = out.to_str().unwrap();
    ok(train(&["--config", config.to_str().unwrap(), "--epochs", "1", "--out", run]));
    let saved: Config = serde_json::from_str(&std::fs::read_to_string(out.join("config.json")).unwrap()).unwrap();
    assert_eq!(
        (saved.limit, saved.dataset.as_str()),
        (Some(64), "mnist"),
        "the run's data is part of its configuration"
    );
    for flag in [["--limit", "128"], ["--dataset", "fashion-mnist"]] {
        let output = train(&["--resume", "--epochs", "2", "--out", run, flag[0], flag[1]]);
        let message = String::from_utf8_lossy(&output.stderr);
        assert!(
            !output.status.success() && message.contains(flag[0]) && message.contains("only --epochs"),
            "{message}"
        );
    }
    // Other training images than the checkpoint's (as a changed data directory would give).
    let path = out.join("checkpoint.safetensors");
    let mut checkpoint = checkpoint::load(&path).unwrap();
    checkpoint.metadata.insert("train_images_sha256".into(), "0".repeat(64));
    let tensors: Vec<_> = checkpoint.tensors.clone().into_iter().collect();
    checkpoint::save(&path, &tensors, checkpoint.metadata.clone()).unwrap();
    let output = train(&["--resume", "--epochs", "2", "--out", run]);
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success() && message.contains("training images differ"), "{message}");
}

#[test]
fn a_run_killed_at_any_moment_resumes_from_its_checkpoint_with_every_step_logged_once() {
    if skip_gpu() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let config = small_config(dir.path());
    let config = config.to_str().unwrap();
    let (straight, killed) = (dir.path().join("straight"), dir.path().join("killed"));
    ok(command(&["--config", config, "--epochs", "3", "--log-every", "1", "--out", straight.to_str().unwrap()])
        .output()
        .unwrap());
    let mut child =
        command(&["--config", config, "--epochs", "3", "--log-every", "1", "--out", killed.to_str().unwrap()])
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
    // Past the first epoch's checkpoint (4 steps), in the middle of the second epoch.
    let csv = killed.join("losses.csv");
    let started = std::time::Instant::now();
    while std::fs::read_to_string(&csv).map_or(0, |t| t.lines().count()) < 1 + 6 {
        assert!(started.elapsed().as_secs() < 120, "training did not get going");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL: no handler runs
    child.wait().unwrap();
    ok(train(&["--resume", "--out", killed.to_str().unwrap()]));
    let read = |dir: &Path| std::fs::read_to_string(dir.join("losses.csv")).unwrap();
    assert_eq!(read(&killed), read(&straight), "losses.csv after the kill and resume");
    assert_eq!(tensors(&killed.join("generator.safetensors")), tensors(&straight.join("generator.safetensors")));
}
