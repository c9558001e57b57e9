//! The generator on its own, rebuilt from `generator.safetensors` (or a checkpoint): what the
//! `generate` command and the browser run.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, bail, ensure};
use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::checkpoint::{self, Loaded, Stored, Values};
use crate::config::{Config, Noise};
use crate::gpu::Gpu;
use crate::graph::cpu::CpuState;
use crate::graph::gpu::{GpuProgram, GpuState};
use crate::graph::{Graph, Id, InitialValues, Op};
use crate::nn::{Apply, Init, LayerSpec, Network};
use crate::ops::activation::Activation;
use crate::rng::RngKey;

/// The random stream `generate` draws z from: the same z for a seed everywhere.
const GENERATE_STREAM: u32 = 7;

/// z for `count` samples from `seed`, as the architecture's noise says.
pub fn noise(noise: Noise, seed: u32, count: usize, z_dim: usize) -> Vec<f32> {
    let key = RngKey { seed, stream: GENERATE_STREAM, step: 0 };
    (0..count * z_dim)
        .map(|i| match noise {
            Noise::Normal { std } => key.normal(i, 0.0, std),
            Noise::Uniform { lo, hi } => key.uniform(i, lo, hi),
        })
        .collect()
}

/// A generator file's tensors and metadata.
pub type GeneratorFile = (Vec<(String, Stored)>, HashMap<String, String>);

/// What it takes to rebuild G: its input size, output size and hidden layers (the output layer is
/// always linear to `pixels` with a sigmoid).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GeneratorArchitecture {
    pub z_dim: usize,
    pub pixels: usize,
    pub layers: Vec<crate::nn::LayerSpec>,
    pub noise: crate::config::Noise,
}

impl GeneratorArchitecture {
    /// Refuses sizes no generator of this project has, so that a hostile file cannot make the
    /// loader allocate without bound.
    pub fn check(&self) -> Result<(), String> {
        const MAX_WIDTH: usize = 1 << 16;
        let sizes = self.layers.iter().flat_map(|l| match *l {
            LayerSpec::Linear { outputs, .. } => vec![outputs],
            LayerSpec::Maxout { units, pieces } => vec![units, pieces, units * pieces],
            _ => vec![],
        });
        let bad = [self.z_dim, self.pixels].into_iter().chain(sizes).find(|&n| n == 0 || n > MAX_WIDTH);
        match bad {
            _ if self.layers.len() > 64 => Err(format!("{} layers (at most 64)", self.layers.len())),
            Some(n) => Err(format!("a size of {n} (sizes are 1 to {MAX_WIDTH})")),
            None => Ok(()),
        }
    }
}

/// G in evaluation mode for a batch of `count`, with its weights.
pub struct Generator {
    pub architecture: GeneratorArchitecture,
    pub graph: Graph,
    pub z: Id,
    pub output: Id,
    pub forward: Vec<Op>,
    pub weights: InitialValues,
}

/// Which generator to take from a checkpoint whose run keeps an average of G.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FromCheckpoint {
    /// The average: what the run samples and ships.
    #[default]
    Average,
    /// G itself, as trained.
    Trained,
}

/// G's tensors under the project's names (`G.<layer>.<what>`) and layout, whichever way the file
/// holds them: PyTorch's state_dict (exports, and files saved by PyTorch), the project's own names
/// (exports written before the PyTorch layout), or a checkpoint (`which` of its generators).
fn project_tensors(
    loaded: &Loaded,
    architecture: &GeneratorArchitecture,
    which: FromCheckpoint,
) -> anyhow::Result<HashMap<String, Stored>> {
    let averaged = loaded.metadata.contains_key("config")
        && loaded.metadata_json::<Config>("config").is_ok_and(|c| c.ema.is_some());
    ensure!(
        averaged || which == FromCheckpoint::Average,
        "{} holds a single generator: G as trained, beside its average, is only in the checkpoint of a run that \
         keeps an average (\"ema\" in its config)",
        loaded.path.display()
    );
    if crate::torch::is_torch_layout(loaded) {
        return crate::torch::import(loaded, architecture);
    }
    let prefix = if averaged && which == FromCheckpoint::Average { "G.ema." } else { "G." };
    let names = loaded.tensors.iter().filter_map(|(name, stored)| Some((name.strip_prefix(prefix)?, stored)));
    Ok(names.map(|(rest, stored)| (format!("G.{rest}"), stored.clone())).collect())
}

/// The architecture a file describes: a generator export's metadata, or a checkpoint's config.
fn architecture(loaded: &Loaded) -> anyhow::Result<GeneratorArchitecture> {
    if loaded.metadata.get("format").map(String::as_str) == Some("gan-wgpu generator") {
        return Ok(loaded.metadata_json("architecture")?);
    }
    if loaded.metadata.contains_key("config") {
        let config: Config = loaded.metadata_json("config")?;
        let last = config.generator.len();
        let Some(bias) = loaded.tensors.get(&format!("G.{last}.bias")) else {
            bail!("{}: the checkpoint has no output layer G.{last}", loaded.path.display());
        };
        return Ok(GeneratorArchitecture {
            z_dim: config.z_dim,
            pixels: bias.shape[0],
            layers: config.generator,
            noise: config.noise,
        });
    }
    if crate::torch::is_torch_layout(loaded) {
        return crate::torch::infer_architecture(loaded);
    }
    bail!(
        "{} is neither a gan-wgpu generator, a checkpoint, nor a PyTorch state_dict of one (no architecture in \
         its metadata, and names other than PyTorch's)",
        loaded.path.display()
    )
}

/// The metadata of a generator file: what `generate`, `eval` and the browser need to rebuild G.
pub fn file_metadata(architecture: &GeneratorArchitecture, preset: &str) -> anyhow::Result<HashMap<String, String>> {
    Ok(HashMap::from([
        ("format".to_string(), "gan-wgpu generator".to_string()),
        ("architecture".to_string(), serde_json::to_string(architecture)?),
        ("preset".to_string(), preset.to_string()),
    ]))
}

/// A checkpoint's generator (`which` of them) as the generator file its run would ship, so that
/// checkpoints and generator files can be averaged together; any other file as it is.
pub fn as_generator_file(loaded: Loaded, which: FromCheckpoint) -> anyhow::Result<Loaded> {
    if !loaded.metadata.contains_key("config") {
        return Ok(loaded);
    }
    let architecture = architecture(&loaded)?;
    let config: Config = loaded.metadata_json("config")?;
    let tensors = crate::torch::export(&architecture, &project_tensors(&loaded, &architecture, which)?)?;
    let metadata = file_metadata(&architecture, &config.preset)?;
    Ok(Loaded { path: loaded.path, tensors: tensors.into_iter().collect(), metadata })
}

/// The weights file `path` names: the file itself, or in a run's folder the generator it wrote at its
/// end, else (a run still training) its checkpoint.
#[cfg(not(target_arch = "wasm32"))]
pub fn weights_file(path: &Path) -> anyhow::Result<std::path::PathBuf> {
    if !path.is_dir() {
        return Ok(path.to_path_buf());
    }
    ["generator.safetensors", "checkpoint.safetensors"]
        .into_iter()
        .map(|name| path.join(name))
        .find(|f| f.is_file())
        .with_context(|| {
            format!(
                "{} is a folder without generator.safetensors (a finished run's) or checkpoint.safetensors (a run's \
                 in progress); name a generator file",
                path.display()
            )
        })
}

impl Generator {
    pub fn load(path: &Path, count: usize) -> anyhow::Result<Self> {
        Self::load_from(path, count, FromCheckpoint::Average)
    }

    /// As [`Generator::load`], taking `which` generator where the file is a checkpoint with an average.
    pub fn load_from(path: &Path, count: usize, which: FromCheckpoint) -> anyhow::Result<Self> {
        let loaded = checkpoint::load(path)?;
        Self::from_loaded(&loaded, count, which)
    }

    pub fn from_loaded(loaded: &Loaded, count: usize, which: FromCheckpoint) -> anyhow::Result<Self> {
        let architecture = architecture(loaded)?;
        if let Err(why) = architecture.check() {
            bail!("{}: the architecture in its metadata has {why}", loaded.path.display());
        }
        let (mut generator, network) = Self::build(architecture, count);
        let mut weights = project_tensors(loaded, &generator.architecture, which)?;
        for id in network.params().iter().map(|p| p.value).chain(network.buffers()) {
            let info = &generator.graph.tensors[id];
            let name = loaded.path.display();
            let stored =
                weights.remove(&info.name).with_context(|| format!("{name} has no tensor for {}", info.name))?;
            ensure!(
                stored.shape == info.shape,
                "{name}: {} has shape {:?}, expected {:?}",
                info.name,
                stored.shape,
                info.shape
            );
            let Values::F32(values) = stored.values else { bail!("{name}: {} should hold f32 values", info.name) };
            generator.weights.f32s.push((id, values));
        }
        Ok(generator)
    }

    /// G from a generator file's contents in memory (before or instead of writing it); `name` stands
    /// for the file in errors.
    pub fn from_contents(name: &Path, (tensors, metadata): &GeneratorFile, count: usize) -> anyhow::Result<Self> {
        let loaded =
            Loaded { path: name.to_path_buf(), tensors: tensors.iter().cloned().collect(), metadata: metadata.clone() };
        Self::from_loaded(&loaded, count, FromCheckpoint::Average)
    }

    /// An untrained generator of `architecture`, initialised from `seed` as training starts: the
    /// evaluation's reference for "no training at all".
    pub fn untrained(architecture: GeneratorArchitecture, count: usize, seed: u32) -> Self {
        let (mut generator, network) = Self::build(architecture, count);
        let mut rng = StdRng::seed_from_u64(seed as u64);
        generator.weights.f32s = network.initial_values(&generator.graph, &mut rng);
        generator
    }

    /// G's graph for a batch of `count`, without weights.
    fn build(architecture: GeneratorArchitecture, count: usize) -> (Self, Network) {
        let mut graph = Graph::new(0);
        let specs = [
            architecture.layers.clone(),
            vec![LayerSpec::Linear { outputs: architecture.pixels, activation: Activation::Sigmoid }],
        ]
        .concat();
        let network = Network::new(&mut graph, "G", 1, architecture.z_dim, &specs, Init::PyTorch);
        let z = graph.tensor("z", &[count, architecture.z_dim]);
        let pass = network.apply(&mut graph, z, Apply::eval(0));
        let weights = InitialValues { f32s: Vec::new(), u32s: Vec::new() };
        (Self { architecture, z, output: pass.output, forward: pass.forward, weights, graph }, network)
    }

    pub fn noise(&self, seed: u32) -> Vec<f32> {
        let rows = self.graph.shape(self.z)[0];
        noise(self.architecture.noise, seed, rows, self.architecture.z_dim)
    }

    /// Samples (count × pixels, in [0, 1]) for `seed`, on the GPU.
    pub async fn generate_gpu(&self, gpu: &Gpu, seed: u32) -> anyhow::Result<Vec<f32>> {
        self.run_gpu(gpu, &self.noise(seed)).await
    }

    /// The same samples from the CPU references.
    pub fn generate_cpu(&self, seed: u32) -> Vec<f32> {
        self.run_cpu(&self.noise(seed))
    }

    /// G(z) on the GPU, for z of count × z_dim values.
    pub async fn run_gpu(&self, gpu: &Gpu, z: &[f32]) -> anyhow::Result<Vec<f32>> {
        self.on_gpu(gpu).run(gpu, z).await
    }

    /// G on `gpu` with its weights uploaded and its dispatches bound, to run on many z.
    pub fn on_gpu(&self, gpu: &Gpu) -> GeneratorOnGpu {
        let state = GpuState::new(gpu, &self.graph);
        state.load(gpu, &self.weights);
        let program = state.program(gpu, &self.forward);
        GeneratorOnGpu { state, program, z: self.z, output: self.output }
    }

    /// G(z) with the CPU references.
    pub fn run_cpu(&self, z: &[f32]) -> Vec<f32> {
        let mut state = CpuState::new(&self.graph);
        state.load(&self.weights);
        state.set_f32(self.z, z.to_vec());
        state.run(&self.forward);
        state.f32(self.output).to_vec()
    }
}

/// A generator's buffers and bound dispatches on one device (see [`Generator::on_gpu`]): each run
/// writes z and reads the samples back, with no allocation or upload of weights (the page draws a
/// grid per click).
pub struct GeneratorOnGpu {
    state: GpuState,
    program: GpuProgram,
    z: Id,
    output: Id,
}

impl GeneratorOnGpu {
    /// G(z), for z of count × z_dim values. The read-back is queued before the first await, so runs
    /// that overlap (the page's grid and walk) each read their own samples.
    pub async fn run(&self, gpu: &Gpu, z: &[f32]) -> anyhow::Result<Vec<f32>> {
        self.state.write_f32(gpu, self.z, z);
        gpu.run(|pass| self.program.record(pass));
        self.state.read_f32(gpu, self.output).await.context("reading the samples back")
    }
}

/// `steps` points on the straight line from `a` to `b` (rows of a matrix, a first, b last).
pub fn interpolate(a: &[f32], b: &[f32], steps: usize) -> Vec<f32> {
    assert_eq!(a.len(), b.len(), "interpolating between points of different sizes");
    (0..steps)
        .flat_map(|i| {
            let t = if steps > 1 { i as f32 / (steps - 1) as f32 } else { 0.0 };
            a.iter().zip(b).map(move |(&x, &y)| x + t * (y - x))
        })
        .collect()
}

/// The bytes of a .npy file (format 1.0) holding a rows×cols little-endian f32 matrix.
pub fn npy(values: &[f32], rows: usize, cols: usize) -> Vec<u8> {
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {cols}), }}");
    // Magic (6) + version (2) + length (2) + header, padded with spaces to a multiple of 64, ending in \n.
    let total = (10 + header.len() + 1).next_multiple_of(64);
    header.push_str(&" ".repeat(total - 10 - header.len() - 1));
    header.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend((header.len() as u16).to_le_bytes());
    bytes.extend(header.as_bytes());
    values.iter().for_each(|v| bytes.extend(v.to_le_bytes()));
    bytes
}

/// The weighted mean of generator files of one architecture (G at several epochs, from `train
/// --snapshot-every`), in `files`' order, oldest first: file i of n weighs `decay`^(n-1-i), or all
/// alike without a decay. Every float tensor is averaged (in f64); counters (PyTorch's
/// `num_batches_tracked`) and the metadata are the last file's, with the files and decay added.
pub fn average(files: &[Loaded], decay: Option<f64>) -> anyhow::Result<GeneratorFile> {
    let last = files.last().context("no generator files to average")?;
    let n = files.len();
    let weights: Vec<f64> = (0..n).map(|i| decay.map_or(1.0, |d| d.powi((n - 1 - i) as i32))).collect();
    let total: f64 = weights.iter().sum();
    let mut names: Vec<&String> = last.tensors.keys().collect();
    names.sort();
    for file in files {
        let mut theirs: Vec<&String> = file.tensors.keys().collect();
        theirs.sort();
        ensure!(
            theirs == names,
            "{} holds the tensors {theirs:?}, {} holds {names:?}: only files of one architecture can be averaged",
            file.path.display(),
            last.path.display()
        );
        ensure!(
            file.metadata.get("architecture") == last.metadata.get("architecture"),
            "{} is a generator of another architecture than {} (their metadata differ)",
            file.path.display(),
            last.path.display()
        );
    }
    let mut tensors = Vec::new();
    for name in names {
        let stored = &last.tensors[name];
        let Values::F32(_) = stored.values else {
            tensors.push((name.clone(), stored.clone()));
            continue;
        };
        let mut sum = vec![0.0f64; stored.shape.iter().product()];
        for (file, weight) in files.iter().zip(&weights) {
            let Values::F32(values) = file.get(name, &stored.shape)? else {
                bail!("{}: {name} should hold float32 values, as in {}", file.path.display(), last.path.display());
            };
            for (s, v) in sum.iter_mut().zip(values) {
                *s += weight * *v as f64;
            }
        }
        let mean = sum.iter().map(|s| (s / total) as f32).collect();
        tensors.push((name.clone(), Stored { shape: stored.shape.clone(), values: Values::F32(mean) }));
    }
    let mut metadata = last.metadata.clone();
    let file_names: Vec<String> = files
        .iter()
        .map(|f| f.path.file_name().map_or(f.path.display().to_string(), |n| n.to_string_lossy().into()))
        .collect();
    metadata.insert("averaged_files".into(), serde_json::to_string(&file_names)?);
    metadata.insert("averaged_decay".into(), decay.map_or("none".into(), |d| d.to_string()));
    Ok((tensors, metadata))
}
