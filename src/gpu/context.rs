//! The GPU context: which adapter, which device, and the kernel cache.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::PathBuf;

use crate::gpu::kernel::{KernelCache, Recorder};
use crate::gpu::tune::{self, Choice, RunKernels, Tuning};

/// Environment variable that picks an adapter by (case-insensitive) name substring, e.g. `llvmpipe`.
pub const ADAPTER_ENV: &str = "GAN_WGPU_ADAPTER";
/// Environment variable that restricts the backends searched, e.g. `vulkan` or `metal,dx12`.
pub const BACKEND_ENV: &str = "GAN_WGPU_BACKEND";

#[derive(Debug, thiserror::Error)]
pub enum GpuError {
    #[error(
        "no GPU adapter found (backends searched: {backends}).\n\
         gan-wgpu needs a Vulkan, Metal, DX12 or WebGPU adapter. Install your GPU's driver, or on a \
         headless Linux machine a software Vulkan driver: `apt-get install mesa-vulkan-drivers` (lavapipe)."
    )]
    NoAdapter { backends: String },
    #[error(
        "no adapter matches {ADAPTER_ENV}={wanted:?}; available adapters:\n{available}\n\
         Unset {ADAPTER_ENV}, or set it to a part of one of these names."
    )]
    AdapterNotFound { wanted: String, available: String },
    #[error("the adapter {adapter:?} refused to create a device: {error}")]
    Device { adapter: String, error: wgpu::RequestDeviceError },
    #[error("reading a buffer back from the GPU failed: {0}")]
    ReadBack(String),
    #[error("{0}")]
    Kernels(String),
}

/// A short description of an adapter, as printed by logs and `gan-wgpu adapters`.
#[derive(Clone, Debug)]
pub struct AdapterSummary {
    pub name: String,
    pub backend: wgpu::Backend,
    pub device_type: wgpu::DeviceType,
    pub driver: String,
}

impl From<wgpu::AdapterInfo> for AdapterSummary {
    fn from(info: wgpu::AdapterInfo) -> Self {
        let driver =
            [info.driver, info.driver_info].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" ");
        Self { name: info.name, backend: info.backend, device_type: info.device_type, driver }
    }
}

impl AdapterSummary {
    /// The key of this adapter's kernel choices in the cache: name, backend and driver.
    pub fn tune_key(&self) -> String {
        format!("{} | {:?} | {}", self.name, self.backend, self.driver)
    }
}

impl fmt::Display for AdapterSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({:?}, {:?}", self.name, self.backend, self.device_type)?;
        if !self.driver.is_empty() {
            write!(f, ", {}", self.driver)?;
        }
        write!(f, ")")
    }
}

/// Everything needed to run kernels: the device, its queue and the compiled pipelines.
pub struct Gpu {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub adapter: AdapterSummary,
    /// Subgroups are always 8 invocations (llvmpipe on 256-bit SIMD): matmul then shares its rows
    /// across a workgroup of 8 with subgroup operations (`src/shaders/matmul_block.rs` writes them).
    pub(crate) subgroups_of_8: bool,
    pub(crate) kernels: KernelCache,
    pub(crate) tuning: Tuning,
}

/// How to open a device: whether kernels may use subgroups, forced kernel variants, and where the
/// kernel choices are cached.
#[derive(Clone, Debug)]
pub struct GpuOptions {
    /// Subgroup operations where the adapter has subgroups of exactly 8 (tests turn them off to
    /// check the kernels that other adapters run).
    pub subgroups: bool,
    /// Variants forced by name, per op (`GAN_WGPU_KERNELS`).
    pub kernels: HashMap<&'static str, &'static str>,
    /// The choices cache file (`GAN_WGPU_TUNE_CACHE`); None keeps them in memory.
    pub tune_cache: Option<PathBuf>,
}

impl GpuOptions {
    /// Subgroups allowed, and `GAN_WGPU_KERNELS` and `GAN_WGPU_TUNE_CACHE` as set.
    pub fn from_env() -> Result<Self, GpuError> {
        let kernels = match std::env::var(tune::KERNELS_ENV) {
            Ok(value) => tune::parse_forced(&value).map_err(GpuError::Kernels)?,
            Err(_) => HashMap::new(),
        };
        Ok(Self { subgroups: true, kernels, tune_cache: tune::cache_path_from_env() })
    }
}

fn backends_from_env() -> wgpu::Backends {
    match std::env::var(BACKEND_ENV) {
        Ok(list) if !list.trim().is_empty() => wgpu::Backends::from_comma_list(&list),
        // GL is left out unless asked for: its compute support is partial and it probes for a display.
        _ => wgpu::Backends::PRIMARY,
    }
}

fn new_instance(backends: wgpu::Backends) -> wgpu::Instance {
    let mut desc = wgpu::InstanceDescriptor::new_without_display_handle();
    desc.backends = backends;
    wgpu::Instance::new(desc)
}

/// Every adapter wgpu can see, on the backends allowed by `GAN_WGPU_BACKEND`.
pub async fn list_adapters() -> Vec<AdapterSummary> {
    let backends = backends_from_env();
    let instance = new_instance(backends);
    instance.enumerate_adapters(backends).await.into_iter().map(|a| a.get_info().into()).collect()
}

/// The order in which adapters are preferred when none is named: real GPUs before software ones.
fn preference(device_type: wgpu::DeviceType) -> u8 {
    match device_type {
        wgpu::DeviceType::DiscreteGpu => 0,
        wgpu::DeviceType::IntegratedGpu => 1,
        wgpu::DeviceType::VirtualGpu => 2,
        wgpu::DeviceType::Other => 3,
        wgpu::DeviceType::Cpu => 4,
    }
}

async fn select_adapter(instance: &wgpu::Instance, backends: wgpu::Backends) -> Result<wgpu::Adapter, GpuError> {
    let wanted = std::env::var(ADAPTER_ENV).ok().filter(|s| !s.trim().is_empty());
    let mut adapters = instance.enumerate_adapters(backends).await;
    if adapters.is_empty() {
        // Some platforms (the browser) do not enumerate; ask for one instead.
        let options = wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::HighPerformance,
            ..Default::default()
        };
        if let Ok(adapter) = instance.request_adapter(&options).await {
            adapters.push(adapter);
        }
    }
    if adapters.is_empty() {
        return Err(GpuError::NoAdapter { backends: format!("{backends:?}") });
    }
    match wanted {
        Some(wanted) => {
            let needle = wanted.to_lowercase();
            let position = adapters.iter().position(|a| a.get_info().name.to_lowercase().contains(&needle));
            match position {
                Some(i) => Ok(adapters.swap_remove(i)),
                None => {
                    let available = adapters
                        .iter()
                        .map(|a| format!("  - {}", AdapterSummary::from(a.get_info())))
                        .collect::<Vec<_>>()
                        .join("\n");
                    Err(GpuError::AdapterNotFound { wanted, available })
                }
            }
        }
        None => {
            adapters.sort_by_key(|a| preference(a.get_info().device_type));
            Ok(adapters.swap_remove(0))
        }
    }
}

/// The limits the kernels need: WebGPU's defaults, with buffers as large as the adapter allows
/// (the MNIST training set and the evaluation sets are bigger than the default 128 MiB binding).
fn required_limits(adapter: &wgpu::Adapter) -> wgpu::Limits {
    let supported = adapter.limits();
    wgpu::Limits {
        max_storage_buffer_binding_size: supported.max_storage_buffer_binding_size,
        max_buffer_size: supported.max_buffer_size,
        // Operands read as texels wrap onto rows of 1,024 texels: taller textures hold bigger ones.
        max_texture_dimension_2d: supported.max_texture_dimension_2d,
        ..wgpu::Limits::defaults()
    }
}

impl Gpu {
    /// Opens the preferred adapter (or the one `GAN_WGPU_ADAPTER` names) and creates a device.
    pub async fn new() -> Result<Self, GpuError> {
        Self::open(GpuOptions::from_env()?).await
    }

    /// [`Gpu::new`] with the given options.
    pub async fn open(options: GpuOptions) -> Result<Self, GpuError> {
        let subgroups = options.subgroups;
        let backends = backends_from_env();
        let instance = new_instance(backends);
        let adapter = select_adapter(&instance, backends).await?;
        let info = adapter.get_info();
        let summary = AdapterSummary::from(info.clone());
        let subgroups_of_8 = subgroups
            && adapter.features().contains(wgpu::Features::SUBGROUP)
            && info.subgroup_min_size == 8
            && info.subgroup_max_size == 8;
        let desc = wgpu::DeviceDescriptor {
            label: Some("gan-wgpu"),
            required_features: if subgroups_of_8 { wgpu::Features::SUBGROUP } else { wgpu::Features::empty() },
            required_limits: required_limits(&adapter),
            ..Default::default()
        };
        let (device, queue) = adapter
            .request_device(&desc)
            .await
            .map_err(|error| GpuError::Device { adapter: summary.name.clone(), error })?;
        let tuning = Tuning::new(options.kernels, options.tune_cache, summary.tune_key());
        Ok(Self { device, queue, adapter: summary, subgroups_of_8, kernels: KernelCache::default(), tuning })
    }

    /// [`Gpu::new`] for native code that has no async runtime.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn new_blocking() -> Result<Self, GpuError> {
        pollster::block_on(Self::new())
    }

    /// The largest storage buffer a kernel can bind on this device, in bytes.
    pub fn max_buffer_bytes(&self) -> u64 {
        self.device.limits().max_storage_buffer_binding_size
    }

    /// Whether kernels may use subgroup operations here (see [`GpuOptions::subgroups`]).
    pub fn uses_subgroups(&self) -> bool {
        self.subgroups_of_8
    }

    /// [`Gpu::open`] for native code that has no async runtime.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn open_blocking(options: GpuOptions) -> Result<Self, GpuError> {
        pollster::block_on(Self::open(options))
    }

    /// The kernel variants chosen so far on this device, by op and shape.
    pub fn kernel_choices(&self) -> BTreeMap<String, Choice> {
        self.tuning.choices()
    }

    /// The kernel variants chosen so far, as a training run records them.
    pub fn run_kernels(&self) -> RunKernels {
        let variants = self.tuning.choices().into_iter().map(|(key, choice)| (key, choice.variant)).collect();
        RunKernels { adapter: self.adapter.tune_key(), variants }
    }

    /// Takes a resumed run's kernel variants for the shapes it met, where it ran on this adapter
    /// (call before creating any dispatch); elsewhere they are chosen afresh, and the error says why.
    pub fn keep_run_kernels(&self, run: &RunKernels) -> Result<(), String> {
        if run.adapter != self.adapter.tune_key() {
            return Err(format!(
                "the run chose its kernels on another adapter ({}); they are chosen afresh here ({})",
                run.adapter,
                self.adapter.tune_key()
            ));
        }
        self.tuning.keep_run_variants(run.variants.clone());
        Ok(())
    }

    /// One line on the kernel variants chosen so far (see `gpu::tune`).
    pub fn kernel_summary(&self) -> String {
        self.tuning.summary()
    }

    /// The variants forced by `GAN_WGPU_KERNELS`, by op.
    pub fn forced_kernels(&self) -> &HashMap<&'static str, &'static str> {
        self.tuning.forced()
    }

    /// Records work and submits it as one command buffer.
    pub fn run(&self, record: impl FnOnce(&mut Recorder)) {
        self.queue.submit([self.record(record)]);
    }

    /// Records work into a command buffer, for [`Gpu::run`] or a caller that times recording and
    /// submission apart.
    pub fn record(&self, record: impl FnOnce(&mut Recorder)) -> wgpu::CommandBuffer {
        let mut recorder = Recorder::new(self.device.create_command_encoder(&Default::default()));
        record(&mut recorder);
        recorder.finish()
    }

    /// Blocks (natively) until all submitted work is done; a no-op in the browser.
    pub fn wait(&self) {
        // A poll error means the device was lost, which the next read-back reports.
        let _ = self.device.poll(wgpu::PollType::wait_indefinitely());
    }
}

/// Mesa's Vulkan drivers (lavapipe among them) print "error: XDG_RUNTIME_DIR is invalid or not set"
/// when the instance probes window systems, which compute does not use. Where the variable is unset,
/// this points it at a private directory so that nothing alarming is printed. Call it first thing in
/// `main`, before any thread starts (the environment is not safe to change once threads run).
#[cfg(not(target_arch = "wasm32"))]
pub fn quiet_window_system_probe() {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt};
    if std::env::var_os("XDG_RUNTIME_DIR").is_some() {
        return;
    }
    let dir = std::env::temp_dir().join("gan-wgpu-runtime");
    // Mesa wants a directory of this user's, not readable by others.
    let _ = std::fs::DirBuilder::new().mode(0o700).create(&dir);
    let ours = std::fs::metadata(&dir).is_ok_and(|m| m.is_dir() && m.mode() & 0o077 == 0);
    if ours {
        // SAFETY: called before the program starts any thread (see above).
        unsafe { std::env::set_var("XDG_RUNTIME_DIR", &dir) };
    }
}
