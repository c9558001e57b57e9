//! The GPU runtime: context, tensors and kernel dispatch. Nothing above this module touches wgpu
//! beyond recording a [`Dispatch`] into a [`Recorder`].

mod context;
mod kernel;
mod tensor;
pub mod tune;

#[cfg(not(target_arch = "wasm32"))]
pub use context::quiet_window_system_probe;
pub use context::{ADAPTER_ENV, AdapterSummary, BACKEND_ENV, Gpu, GpuError, GpuOptions, list_adapters};
pub use kernel::{Access, Dispatch, ELEMENTWISE_WORKGROUP, KernelSpec, Recorder, grid_1d};
pub use tensor::Tensor;
