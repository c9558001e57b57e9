//! Compiled kernels and prepared dispatches.
//!
//! Every kernel follows one binding convention: `@binding(0)` is a uniform holding the kernel's
//! parameters (shapes, scalars), and `@binding(1..)` are storage buffers. A [`Dispatch`] binds
//! concrete buffers once, so a layer can build its dispatches when it is created and record them
//! into every training step at no further cost.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use wgpu::util::DeviceExt;

use crate::gpu::Gpu;
use crate::shaders::Shader;

/// How a kernel uses a storage buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    Read,
    ReadWrite,
}

/// A kernel: an entry point of a shader, its storage bindings, and values for its `override` constants.
#[derive(Clone, Debug)]
pub struct KernelSpec {
    pub shader: &'static Shader,
    pub entry: &'static str,
    pub storage: &'static [Access],
    pub constants: Vec<(&'static str, f64)>,
}

impl KernelSpec {
    pub fn new(shader: &'static Shader, entry: &'static str, storage: &'static [Access]) -> Self {
        Self { shader, entry, storage, constants: Vec::new() }
    }

    pub fn with(mut self, name: &'static str, value: f64) -> Self {
        self.constants.push((name, value));
        self
    }

    fn key(&self) -> String {
        format!("{}:{}:{:?}", self.shader.name, self.entry, self.constants)
    }
}

pub(crate) struct Kernel {
    pipeline: wgpu::ComputePipeline,
    layout: wgpu::BindGroupLayout,
}

/// Pipelines compiled so far, so that each (shader, entry, constants) is compiled once per device.
#[derive(Default)]
pub(crate) struct KernelCache {
    modules: Mutex<HashMap<&'static str, wgpu::ShaderModule>>,
    kernels: Mutex<HashMap<String, Arc<Kernel>>>,
}

fn layout_entry(binding: u32, ty: wgpu::BufferBindingType) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer { ty, has_dynamic_offset: false, min_binding_size: None },
        count: None,
    }
}

impl Gpu {
    fn kernel(&self, spec: &KernelSpec) -> Arc<Kernel> {
        let key = spec.key();
        if let Some(kernel) = self.kernels.kernels.lock().unwrap().get(&key) {
            return kernel.clone();
        }
        let module = self
            .kernels
            .modules
            .lock()
            .unwrap()
            .entry(spec.shader.name)
            .or_insert_with(|| {
                self.device.create_shader_module(wgpu::ShaderModuleDescriptor {
                    label: Some(spec.shader.name),
                    source: wgpu::ShaderSource::Wgsl(spec.shader.source().into()),
                })
            })
            .clone();
        let mut entries = vec![layout_entry(0, wgpu::BufferBindingType::Uniform)];
        for (i, access) in spec.storage.iter().enumerate() {
            let read_only = *access == Access::Read;
            entries.push(layout_entry(i as u32 + 1, wgpu::BufferBindingType::Storage { read_only }));
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

    /// Binds `params` and `buffers` to the kernel `spec`, ready to be recorded with `workgroups`.
    pub fn dispatch<P: bytemuck::Pod>(
        &self,
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
        let kernel = self.kernel(spec);
        let uniform = self.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some(spec.entry),
            contents: bytemuck::bytes_of(params),
            usage: wgpu::BufferUsages::UNIFORM,
        });
        let mut entries = vec![wgpu::BindGroupEntry { binding: 0, resource: uniform.as_entire_binding() }];
        for (i, buffer) in buffers.iter().enumerate() {
            entries.push(wgpu::BindGroupEntry { binding: i as u32 + 1, resource: buffer.as_entire_binding() });
        }
        let bind_group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some(spec.entry),
            layout: &kernel.layout,
            entries: &entries,
        });
        Dispatch { pipeline: kernel.pipeline.clone(), bind_group, workgroups }
    }
}

/// A kernel with its buffers bound: recording it is three commands.
pub struct Dispatch {
    pipeline: wgpu::ComputePipeline,
    bind_group: wgpu::BindGroup,
    workgroups: [u32; 3],
}

impl Dispatch {
    pub fn record(&self, pass: &mut wgpu::ComputePass<'_>) {
        let [x, y, z] = self.workgroups;
        if x * y * z == 0 {
            return;
        }
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, &self.bind_group, &[]);
        pass.dispatch_workgroups(x, y, z);
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
