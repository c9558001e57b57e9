//! The browser's entry points (wasm-bindgen): load a `generator.safetensors`, then run G on
//! WebGPU through the same kernels as native, or on the CPU references where WebGPU is missing.

use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;

use js_sys::{Float32Array, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::checkpoint;
use crate::generator::{self, FromCheckpoint, Generator, GeneratorOnGpu};
use crate::gpu::{Gpu, GpuOptions};

/// Samples per call: the page's 10×10 grid, or 100 frames of an interpolation.
const BATCH: usize = 100;

struct Loaded {
    generator: Generator,
    /// The page's device and G on it, weights uploaded once per file.
    gpu: Option<(Rc<Gpu>, GeneratorOnGpu)>,
    backend: String,
}

thread_local! {
    /// The page's device, opened once: its compiled pipelines serve every file loaded later (a new
    /// generator of a known architecture compiles nothing).
    static DEVICE: RefCell<Option<Rc<Gpu>>> = const { RefCell::new(None) };
}

/// The page's device; `kernels` forces variants as `GAN_WGPU_KERNELS` does natively (the page's
/// `?kernels=` parameter), on the first call.
async fn page_device(kernels: &str) -> Result<Rc<Gpu>, crate::gpu::GpuError> {
    if let Some(gpu) = DEVICE.with(|d| d.borrow().clone()) {
        return Ok(gpu);
    }
    let kernels = crate::gpu::tune::parse_forced(kernels).map_err(crate::gpu::GpuError::Kernels)?;
    let gpu = Rc::new(Gpu::open(GpuOptions { subgroups: true, kernels, tune_cache: None }).await?);
    DEVICE.with(|d| *d.borrow_mut() = Some(gpu.clone()));
    Ok(gpu)
}

/// A generator ready to run, and the backend it runs on.
#[wasm_bindgen]
pub struct WebGenerator {
    inner: Rc<Loaded>,
}

/// Parses `bytes` (a generator export or a checkpoint; `name` names it in errors) and opens
/// WebGPU unless `use_gpu` is false or it is unavailable; `kernels` forces kernel variants
/// (`matmul=tiled-64x64`; empty: the adapter's default).
#[wasm_bindgen(js_name = loadGenerator)]
pub async fn load_generator(
    bytes: Vec<u8>,
    name: String,
    use_gpu: bool,
    kernels: String,
) -> Result<WebGenerator, JsError> {
    let loaded = checkpoint::parse(Path::new(&name), &bytes).map_err(|e| JsError::new(&e.to_string()))?;
    let generator =
        Generator::from_loaded(&loaded, BATCH, FromCheckpoint::Average).map_err(|e| JsError::new(&format!("{e:#}")))?;
    let (gpu, backend) = if !use_gpu {
        (None, "CPU (WebGPU turned off)".to_string())
    } else {
        match page_device(&kernels).await {
            Err(crate::gpu::GpuError::Kernels(message)) => return Err(JsError::new(&message)),
            Ok(gpu) => {
                // Browsers may keep the adapter's name to themselves.
                let name = &gpu.adapter.name;
                let backend = if name.is_empty() { "WebGPU".to_string() } else { format!("WebGPU ({name})") };
                let on_gpu = generator.on_gpu(&gpu);
                (Some((gpu, on_gpu)), backend)
            }
            Err(_) => (None, "CPU (this browser offers no WebGPU adapter)".to_string()),
        }
    };
    Ok(WebGenerator { inner: Rc::new(Loaded { generator, gpu, backend }) })
}

#[wasm_bindgen]
impl WebGenerator {
    /// "WebGPU (adapter)" or "CPU (why)", and on WebGPU the kernel variants run so far, by op
    /// ("matmul block-32x16, elementwise texels").
    #[wasm_bindgen(getter)]
    pub fn backend(&self) -> String {
        let Some((gpu, _)) = &self.inner.gpu else { return self.inner.backend.clone() };
        let mut variants: Vec<String> = gpu
            .kernel_choices()
            .into_iter()
            .map(|(key, choice)| format!("{} {}", key.split(' ').next().unwrap_or_default(), choice.variant))
            .collect();
        variants.sort();
        variants.dedup();
        [self.inner.backend.clone()].into_iter().chain(variants).collect::<Vec<_>>().join(", ")
    }

    #[wasm_bindgen(getter)]
    pub fn pixels(&self) -> usize {
        self.inner.generator.architecture.pixels
    }

    #[wasm_bindgen(getter, js_name = zDim)]
    pub fn z_dim(&self) -> usize {
        self.inner.generator.architecture.z_dim
    }

    /// z for 100 samples from `seed`: the same as `gan-wgpu generate --seed`.
    pub fn noise(&self, seed: u32) -> Vec<f32> {
        self.inner.generator.noise(seed)
    }

    /// 100 points from the first z of `from` to the first z of `to`.
    pub fn interpolation(&self, from: u32, to: u32) -> Vec<f32> {
        let dims = self.z_dim();
        generator::interpolate(&self.noise(from)[..dims], &self.noise(to)[..dims], BATCH)
    }

    /// G(z) for 100 rows of z: a promise of 100 × pixels values in [0, 1].
    pub fn run(&self, z: Vec<f32>) -> Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            let expected = BATCH * inner.generator.architecture.z_dim;
            if z.len() != expected {
                return Err(JsError::new(&format!("z has {} values, expected {expected}", z.len())).into());
            }
            let samples = match &inner.gpu {
                Some((gpu, on_gpu)) => on_gpu.run(gpu, &z).await.map_err(|e| JsError::new(&format!("{e:#}")))?,
                None => inner.generator.run_cpu(&z),
            };
            Ok(Float32Array::from(samples.as_slice()).into())
        })
    }
}
