//! Compiled kernels and prepared dispatches.
//!
//! Every kernel follows one binding convention: `@binding(0)` is a uniform holding the kernel's
//! parameters (shapes, scalars), and `@binding(1..)` are its tensors, each a storage buffer or, for
//! tensors a kernel reads, a texture the buffer is copied into (see [`Access::Texels`]). (Matmul
//! reads its shape from a storage buffer instead: lavapipe recompiles shaders whose loops depend on
//! uniform values, see `shaders/matmul/common.wgsl`.) A
//! [`Dispatch`] binds concrete buffers once, so a layer can build its dispatches when it is created
//! and record them into every training step at no further cost.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, Weak};

use wgpu::util::DeviceExt;

use crate::gpu::Gpu;
use crate::gpu::tune::Family;
use crate::shaders::{Epilogue, Reads, Shader};

/// How element-wise kernels read their inputs: from texel copies (llvmpipe fetches those for all
/// SIMD lanes at once) or from the storage buffers themselves (no copies: real GPUs). Chosen once per
/// adapter by timing a ReLU both ways, or forced (`GAN_WGPU_KERNELS=elementwise=storage`).
pub static ELEMENTWISE: Family =
    Family { name: "elementwise", variants: &[Reads::Texels.name(), Reads::Storage.name()] };

/// The same choice for the kernels that update buffers in place (SGD, Adam, the average of G), timed
/// on an SGD update: reading storage saves them copying the buffers they write ([`Access::OldValues`]),
/// so they may prefer it where other element-wise kernels do not (lavapipe does).
pub static UPDATES: Family = Family { name: "updates", variants: &[Reads::Texels.name(), Reads::Storage.name()] };

/// How a kernel uses a tensor's buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    Read,
    ReadWrite,
    /// Read through a copy in an rgba32float texture (`texture_2d<f32>`), laid out linearly: texel t
    /// holds elements 4t..4t+4 and sits at (t % 1024, t / 1024), see `shaders/common/texels.wgsl`.
    /// The copy is recorded before the dispatch unless the same command buffer already holds a
    /// current one (made for an earlier dispatch, the buffer unwritten since). Worth it where loads
    /// dominate: llvmpipe fetches texels for all SIMD lanes at once, but reads a storage buffer lane
    /// by lane, element by element. Element-wise kernels may read the buffer itself instead where
    /// the adapter does so faster ([`ELEMENTWISE`]).
    Texels,
    /// The values before this dispatch of a buffer that the kernel updates in place through a later
    /// `ReadWrite` binding `NAME`; the texel-reading binding module declares it as the texture
    /// `NAME_old`. Bound as [`Access::Texels`] (a binding cannot be read as storage and written in one
    /// dispatch); where element-wise kernels read storage it is not bound at all, and the storage
    /// binding module reads `NAME` itself before the kernel writes it.
    OldValues,
}

/// Row length of a linear texture, in texels (`shaders/common/texels.wgsl`): a power of two, so that
/// the kernels find a texel with a mask and a shift.
const TEXEL_ROW: u32 = 1024;
const TEXEL_BYTES: u32 = 16;

/// A tensor's buffer and the texture it is copied into before a dispatch reads it. Dispatches that
/// read the same buffer share one: a [`Recorder`] copies it once and again only after a dispatch has
/// written the buffer.
struct Upload {
    buffer: wgpu::Buffer,
    texture: wgpu::Texture,
    view: wgpu::TextureView,
}

/// Rows of the texture that holds `texels`: as many as they fill, rounded up to a power of two.
/// llvmpipe compiles a variant of a kernel for each combination of power-of-two and other texture
/// sizes it is bound to, seconds each for the matmul blocks where Mesa's shader cache is cold (a
/// first run on a machine: the kernel choices for `paper-ema` took 72 s, 46 s with every height a
/// power of two, the timed dispatches free of compiles).
fn texture_rows(texels: u32) -> u32 {
    texels.div_ceil(TEXEL_ROW).max(1).next_power_of_two()
}

impl Upload {
    fn new(gpu: &Gpu, buffer: &wgpu::Buffer) -> Self {
        let texels = (buffer.size() / TEXEL_BYTES as u64) as u32;
        let width = TEXEL_ROW;
        let height = texture_rows(texels);
        let max = gpu.device.limits().max_texture_dimension_2d;
        assert!(
            height <= max,
            "a tensor of {} values is too large to read as texels: {height} rows of {width} exceed this \
             adapter's limit of {max}",
            texels * 4
        );
        let texture = gpu.device.create_texture(&wgpu::TextureDescriptor {
            label: None,
            size: wgpu::Extent3d { width, height, depth_or_array_layers: 1 },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format: wgpu::TextureFormat::Rgba32Float,
            usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
            view_formats: &[],
        });
        let view = texture.create_view(&Default::default());
        Self { buffer: buffer.clone(), texture, view }
    }

    /// Copies whole rows, then the part of the last row the tensor fills.
    fn record(&self, encoder: &mut wgpu::CommandEncoder) {
        let texels = (self.buffer.size() / TEXEL_BYTES as u64) as u32;
        let width = self.texture.width();
        let (full_rows, rest) = (texels / width, texels % width);
        let copy = |encoder: &mut wgpu::CommandEncoder, first_row: u32, size: wgpu::Extent3d| {
            let offset = first_row as u64 * width as u64 * TEXEL_BYTES as u64;
            encoder.copy_buffer_to_texture(
                wgpu::TexelCopyBufferInfo {
                    buffer: &self.buffer,
                    layout: wgpu::TexelCopyBufferLayout {
                        offset,
                        bytes_per_row: Some(width * TEXEL_BYTES),
                        rows_per_image: None,
                    },
                },
                wgpu::TexelCopyTextureInfo {
                    texture: &self.texture,
                    mip_level: 0,
                    origin: wgpu::Origin3d { x: 0, y: first_row, z: 0 },
                    aspect: wgpu::TextureAspect::All,
                },
                size,
            );
        };
        if full_rows > 0 {
            copy(encoder, 0, wgpu::Extent3d { width, height: full_rows, depth_or_array_layers: 1 });
        }
        if rest > 0 {
            copy(encoder, full_rows, wgpu::Extent3d { width: rest, height: 1, depth_or_array_layers: 1 });
        }
    }
}

/// A kernel: an entry point of a shader, its storage bindings, and values for its `override` constants.
#[derive(Clone, Debug)]
pub struct KernelSpec {
    pub shader: &'static Shader,
    pub entry: &'static str,
    pub storage: &'static [Access],
    pub constants: Vec<(&'static str, f64)>,
    /// A matmul's epilogue (other kernels have none).
    pub epilogue: Epilogue,
}

impl KernelSpec {
    pub fn new(shader: &'static Shader, entry: &'static str, storage: &'static [Access]) -> Self {
        Self { shader, entry, storage, constants: Vec::new(), epilogue: Epilogue::Store }
    }

    pub fn with_epilogue(self, epilogue: Epilogue) -> Self {
        assert!(self.shader.has_epilogues(), "{} has no epilogues", self.shader.name);
        Self { epilogue, ..self }
    }

    pub fn with(mut self, name: &'static str, value: f64) -> Self {
        self.constants.push((name, value));
        self
    }

    /// The shader module's name: the shader's, marked where an element-wise kernel reads storage
    /// and where a matmul's epilogue is not the plain one.
    fn module_name(&self, reads: Reads) -> String {
        let marker = if reads == Reads::Storage { ":storage" } else { "" };
        format!("{}{marker}{}", self.shader.name, self.epilogue.marker())
    }

    fn key(&self, reads: Reads) -> String {
        format!("{}:{}:{:?}", self.module_name(reads), self.entry, self.constants)
    }
}

/// A dispatch for [`Gpu::measure_reads`], the tensor it writes, the values it should write, and
/// the buffers it reads (kept alive while it runs).
#[cfg(not(target_arch = "wasm32"))]
struct ReadsProbe {
    op: Dispatch,
    output: crate::gpu::Tensor,
    want: Vec<f32>,
    _inputs: Vec<wgpu::Buffer>,
}

pub(crate) struct Kernel {
    pipeline: wgpu::ComputePipeline,
    layout: wgpu::BindGroupLayout,
}

/// Pipelines compiled so far, so that each (shader, entry, constants) is compiled once per device,
/// and the texel copies of buffers that live dispatches read.
#[derive(Default)]
pub(crate) struct KernelCache {
    modules: Mutex<HashMap<String, wgpu::ShaderModule>>,
    /// How element-wise kernels read their inputs here ([`ELEMENTWISE`]).
    elementwise_reads: std::sync::OnceLock<Reads>,
    /// The same for updates in place ([`UPDATES`]).
    in_place_reads: std::sync::OnceLock<Reads>,
    kernels: Mutex<HashMap<String, Arc<Kernel>>>,
    uploads: Mutex<HashMap<wgpu::Buffer, Weak<Upload>>>,
}

fn layout_entry(binding: u32, ty: wgpu::BindingType) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry { binding, visibility: wgpu::ShaderStages::COMPUTE, ty, count: None }
}

fn buffer_binding(ty: wgpu::BufferBindingType) -> wgpu::BindingType {
    wgpu::BindingType::Buffer { ty, has_dynamic_offset: false, min_binding_size: None }
}

/// How a binding declared with `access` is bound where the kernel reads `reads`: for storage reads,
/// texels become storage reads, and old values are not bound at all (the kernel reads the buffer it
/// updates).
fn bound_as(access: Access, reads: Reads) -> Option<Access> {
    match (reads, access) {
        (Reads::Storage, Access::OldValues) => None,
        (Reads::Storage, Access::Texels) => Some(Access::Read),
        _ => Some(access),
    }
}

fn binding_type(access: Access) -> wgpu::BindingType {
    match access {
        Access::Read => buffer_binding(wgpu::BufferBindingType::Storage { read_only: true }),
        Access::ReadWrite => buffer_binding(wgpu::BufferBindingType::Storage { read_only: false }),
        Access::Texels | Access::OldValues => wgpu::BindingType::Texture {
            sample_type: wgpu::TextureSampleType::Float { filterable: false },
            view_dimension: wgpu::TextureViewDimension::D2,
            multisampled: false,
        },
    }
}

impl Gpu {
    /// How `spec` reads what it declares as texels: storage for an element-wise kernel on an adapter
    /// that reads storage faster for kernels of its kind, texels otherwise.
    fn reads(&self, spec: &KernelSpec) -> Reads {
        if !spec.shader.is_elementwise() {
            return Reads::Texels;
        }
        match spec.storage.contains(&Access::OldValues) {
            true => self.in_place_reads(),
            false => self.elementwise_reads(),
        }
    }

    /// How updates in place read here, chosen now if not yet (see [`Gpu::elementwise_reads`]).
    pub(crate) fn in_place_reads(&self) -> Reads {
        *self.kernels.in_place_reads.get_or_init(|| self.choose_reads(true))
    }

    /// How element-wise kernels read their inputs here, chosen now if not yet: call it before
    /// measuring anything that dispatches them, as no choice can be made while another is measured.
    pub(crate) fn elementwise_reads(&self) -> Reads {
        *self.kernels.elementwise_reads.get_or_init(|| self.choose_reads(false))
    }

    fn choose_reads(&self, in_place: bool) -> Reads {
        let default = if self.adapter.device_type == wgpu::DeviceType::Cpu { Reads::Texels } else { Reads::Storage };
        #[cfg(target_arch = "wasm32")]
        let measure = || None;
        #[cfg(not(target_arch = "wasm32"))]
        let measure = || Some(self.measure_reads(in_place));
        let (family, key) = match in_place {
            true => (&UPDATES, "updates in place (SGD, 784×1536)"),
            false => (&ELEMENTWISE, "elementwise reads (ReLU, 784×1536)"),
        };
        let chosen = self.tuning.choose(family, key, default.name(), measure);
        Reads::ALL.into_iter().find(|reads| reads.name() == chosen).unwrap_or(default)
    }

    /// Each way of reading, checked on 100 values and timed on a discriminator layer's weights' worth.
    #[cfg(not(target_arch = "wasm32"))]
    fn measure_reads(&self, in_place: bool) -> Vec<(&'static str, crate::gpu::tune::Timing)> {
        Reads::ALL
            .into_iter()
            .map(|reads| {
                let small = self.reads_probe(in_place, reads, 100);
                self.run(|r| small.op.record(r));
                let timing = match small.output.read_blocking(self) {
                    Ok(got) if got == small.want => {
                        let large = self.reads_probe(in_place, reads, 784 * 1536);
                        self.seconds_per_dispatch(&large.op, 1);
                        Ok(self.seconds_per_dispatch(&large.op, 10))
                    }
                    Ok(got) => Err(format!("gave {:?}, expected {:?}", &got[48..52], &small.want[48..52])),
                    Err(e) => Err(e.to_string()),
                };
                (reads.name(), timing)
            })
            .collect()
    }

    /// A dispatch that reads `n` values (-50, -49, ..., 49, repeated) one way: a ReLU of them, or an
    /// SGD step from them (lr 0.5, gradient 1) for updates in place.
    #[cfg(not(target_arch = "wasm32"))]
    fn reads_probe(&self, in_place: bool, reads: Reads, n: usize) -> ReadsProbe {
        use crate::gpu::Tensor;
        let values: Vec<f32> = (0..n).map(|i| (i % 100) as f32 - 50.0).collect();
        let x = Tensor::from_slice(self, &[n], &values);
        let groups = grid_1d(n.div_ceil(4), ELEMENTWISE_WORKGROUP);
        if in_place {
            use crate::ops::sgd::{self, SgdHyper};
            let h = SgdHyper { lr: 0.5, momentum: 0.0, weight_decay: 0.0, lr_decay: 1.0, lr_min: 0.0 };
            let hyper = Tensor::from_slice(self, &[1], &[h]);
            let (grad, velocity) = (Tensor::from_slice(self, &[n], &vec![1.0f32; n]), Tensor::<f32>::zeros(self, &[n]));
            let buffers = [hyper.buffer(), x.buffer(), grad.buffer(), velocity.buffer(), x.buffer(), velocity.buffer()];
            let op = self.dispatch_reading(reads, &sgd::update_spec(), &(n.div_ceil(4) as u32), &buffers, groups);
            let inputs = vec![hyper.buffer().clone(), grad.buffer().clone(), velocity.buffer().clone()];
            ReadsProbe { op, want: values.iter().map(|v| v - 0.5).collect(), output: x, _inputs: inputs }
        } else {
            let y = Tensor::zeros(self, &[n]);
            let spec = KernelSpec::new(&crate::shaders::ACTIVATION, "forward", &[Access::Texels, Access::ReadWrite])
                .with("ACT", crate::ops::activation::Activation::Relu.code() as f64);
            // activation.wgsl's parameters: the number of values, and a slope it does not use here.
            let op = self.dispatch_reading(reads, &spec, &[n as u32, 0], &[x.buffer(), y.buffer()], groups);
            let want = values.iter().map(|v| v.max(0.0)).collect();
            ReadsProbe { op, want, output: y, _inputs: vec![x.buffer().clone()] }
        }
    }

    /// Seconds per dispatch of `op`, recorded `reps` times into one submission and waited for.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn seconds_per_dispatch(&self, op: &Dispatch, reps: usize) -> f64 {
        self.seconds_per_run(std::slice::from_ref(op), reps)
    }

    /// The same for a list of dispatches recorded in order, `reps` times over: seconds per list.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn seconds_per_run(&self, ops: &[Dispatch], reps: usize) -> f64 {
        let started = std::time::Instant::now();
        self.run(|recorder| (0..reps).for_each(|_| ops.iter().for_each(|op| op.record(recorder))));
        self.wait();
        started.elapsed().as_secs_f64() / reps as f64
    }

    fn kernel(&self, spec: &KernelSpec, reads: Reads) -> Arc<Kernel> {
        let key = spec.key(reads);
        if let Some(kernel) = self.kernels.kernels.lock().unwrap().get(&key) {
            return kernel.clone();
        }
        let module_name = spec.module_name(reads);
        let module = self
            .kernels
            .modules
            .lock()
            .unwrap()
            .entry(module_name.clone())
            .or_insert_with(|| {
                let source = spec.shader.source(reads, spec.epilogue);
                self.device.create_shader_module(wgpu::ShaderModuleDescriptor {
                    label: Some(&module_name),
                    source: wgpu::ShaderSource::Wgsl(source.into()),
                })
            })
            .clone();
        let mut entries = vec![layout_entry(0, buffer_binding(wgpu::BufferBindingType::Uniform))];
        for (i, access) in spec.storage.iter().enumerate() {
            if let Some(access) = bound_as(*access, reads) {
                entries.push(layout_entry(i as u32 + 1, binding_type(access)));
            }
        }
        let layout = self
            .device
            .create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor { label: Some(&key), entries: &entries });
        let pipeline_layout = self.device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some(&key),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let pipeline = self.device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some(&key),
            layout: Some(&pipeline_layout),
            module: &module,
            entry_point: Some(spec.entry),
            compilation_options: wgpu::PipelineCompilationOptions {
                constants: &spec.constants,
                // Every kernel writes its workgroup memory before reading it.
                zero_initialize_workgroup_memory: false,
            },
            cache: None,
        });
        let kernel = Arc::new(Kernel { pipeline, layout });
        self.kernels.kernels.lock().unwrap().insert(key, kernel.clone());
        kernel
    }

    /// The texel copy of `buffer` that dispatches share; entries whose dispatches are all gone are
    /// dropped here, so the cache holds no buffer alive for long.
    fn upload(&self, buffer: &wgpu::Buffer) -> Arc<Upload> {
        let mut uploads = self.kernels.uploads.lock().unwrap();
        if let Some(upload) = uploads.get(buffer).and_then(Weak::upgrade) {
            return upload;
        }
        uploads.retain(|_, upload| upload.strong_count() > 0);
        let upload = Arc::new(Upload::new(self, buffer));
        uploads.insert(buffer.clone(), Arc::downgrade(&upload));
        upload
    }

    /// Binds `params` and `buffers` to the kernel `spec`, ready to be recorded with `workgroups`.
    pub fn dispatch<P: bytemuck::Pod>(
        &self,
        spec: &KernelSpec,
        params: &P,
        buffers: &[&wgpu::Buffer],
        workgroups: [u32; 3],
    ) -> Dispatch {
        self.dispatch_reading(self.reads(spec), spec, params, buffers, workgroups)
    }

    /// [`Gpu::dispatch`], reading what `spec` declares as texels the way `reads` says.
    fn dispatch_reading<P: bytemuck::Pod>(
        &self,
        reads: Reads,
        spec: &KernelSpec,
        params: &P,
        buffers: &[&wgpu::Buffer],
        workgroups: [u32; 3],
    ) -> Dispatch {
        assert_eq!(
            buffers.len(),
            spec.storage.len(),
            "kernel {}::{} takes {} storage buffers",
            spec.shader.name,
            spec.entry,
            spec.storage.len()
        );
        let kernel = self.kernel(spec, reads);
        let uniform = self.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some(spec.entry),
            contents: bytemuck::bytes_of(params),
            usage: wgpu::BufferUsages::UNIFORM,
        });
        let bound = || buffers.iter().zip(spec.storage);
        assert!(
            bound().all(|(b, a)| *a != Access::OldValues || bound().any(|(w, a)| *a == Access::ReadWrite && w == b)),
            "kernel {}::{}: old values of a buffer it does not update",
            spec.shader.name,
            spec.entry
        );
        let as_bound: Vec<Option<Access>> = spec.storage.iter().map(|a| bound_as(*a, reads)).collect();
        let uploads: Vec<Option<Arc<Upload>>> = buffers
            .iter()
            .zip(&as_bound)
            .map(|(buffer, access)| {
                matches!(access, Some(Access::Texels | Access::OldValues)).then(|| self.upload(buffer))
            })
            .collect();
        let mut entries = vec![wgpu::BindGroupEntry { binding: 0, resource: uniform.as_entire_binding() }];
        for (i, ((buffer, access), upload)) in buffers.iter().zip(&as_bound).zip(&uploads).enumerate() {
            let resource = match (access, upload) {
                (None, _) => continue,
                (Some(_), Some(upload)) => wgpu::BindingResource::TextureView(&upload.view),
                (Some(_), None) => buffer.as_entire_binding(),
            };
            entries.push(wgpu::BindGroupEntry { binding: i as u32 + 1, resource });
        }
        let bind_group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some(spec.entry),
            layout: &kernel.layout,
            entries: &entries,
        });
        let uploads = uploads.into_iter().flatten().collect();
        let writes = buffers
            .iter()
            .zip(spec.storage)
            .filter(|(_, access)| **access == Access::ReadWrite)
            .map(|(buffer, _)| (*buffer).clone())
            .collect();
        Dispatch { pipeline: kernel.pipeline.clone(), bind_group, workgroups, uploads, writes }
    }
}

/// A kernel with its buffers bound: recording it is three commands, after the copies of the
/// operands it reads as texels where those are not current.
pub struct Dispatch {
    pipeline: wgpu::ComputePipeline,
    bind_group: wgpu::BindGroup,
    workgroups: [u32; 3],
    uploads: Vec<Arc<Upload>>,
    /// Buffers bound for writing: their texel copies are stale after the dispatch.
    writes: Vec<wgpu::Buffer>,
}

impl Dispatch {
    pub fn record(&self, recorder: &mut Recorder) {
        let [x, y, z] = self.workgroups;
        if x * y * z == 0 {
            return;
        }
        for upload in &self.uploads {
            if recorder.current.insert(upload.buffer.clone()) {
                upload.record(recorder.encoder());
            }
        }
        let pass = recorder.pass();
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, &self.bind_group, &[]);
        pass.dispatch_workgroups(x, y, z);
        self.writes.iter().for_each(|buffer| {
            recorder.current.remove(buffer);
        });
    }
}

/// One command buffer being recorded: dispatches go into a compute pass that stays open until a
/// copy needs the encoder.
pub struct Recorder {
    encoder: wgpu::CommandEncoder,
    pass: Option<wgpu::ComputePass<'static>>,
    /// Buffers whose texel copies this command buffer has made and no dispatch has written since.
    /// Each command buffer starts with none, as the host may write buffers between submissions.
    current: HashSet<wgpu::Buffer>,
}

impl Recorder {
    pub(crate) fn new(encoder: wgpu::CommandEncoder) -> Self {
        Self { encoder, pass: None, current: HashSet::new() }
    }

    fn pass(&mut self) -> &mut wgpu::ComputePass<'static> {
        self.pass.get_or_insert_with(|| self.encoder.begin_compute_pass(&Default::default()).forget_lifetime())
    }

    /// The encoder, with any open compute pass ended first.
    fn encoder(&mut self) -> &mut wgpu::CommandEncoder {
        self.pass = None;
        &mut self.encoder
    }

    pub(crate) fn finish(mut self) -> wgpu::CommandBuffer {
        self.pass = None;
        self.encoder.finish()
    }
}

/// Workgroup size of the element-wise kernels (`@workgroup_size(256)` in their WGSL).
pub const ELEMENTWISE_WORKGROUP: u32 = 256;
/// Largest workgroup count per dimension that every adapter supports.
const MAX_GROUPS_PER_DIM: u32 = 65535;

/// A grid of workgroups covering `n` invocations of `per_group` each; large grids spill into y,
/// and the kernel folds the two dimensions back into one index.
pub fn grid_1d(n: usize, per_group: u32) -> [u32; 3] {
    let groups = (n as u64).div_ceil(per_group as u64);
    assert!(groups <= (MAX_GROUPS_PER_DIM as u64).pow(2), "{n} elements is too many for one dispatch");
    let groups = groups as u32;
    let x = groups.min(MAX_GROUPS_PER_DIM);
    [x, groups.div_ceil(x.max(1)), 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texture_rows_hold_the_texels_in_a_power_of_two() {
        for (texels, rows) in [(1, 1), (1024, 1), (1025, 2), (3 * 1024 + 1, 4), (3_000_000, 4096)] {
            assert_eq!(texture_rows(texels), rows, "{texels} texels");
        }
    }
}
