//! The kernel library: one module per operation, each with the functions that bind its WGSL
//! kernels to tensors (returning a [`crate::gpu::Dispatch`] to record) and, in `reference`, the
//! same computation in plain Rust that the tests hold the GPU to.

pub mod activation;
pub mod adam;
pub mod batch;
pub mod batchnorm;
pub mod bce;
pub mod distance;
pub mod dropout;
pub mod ema;
pub mod matmul;
pub mod maxout;
pub mod random;
pub mod reduce;
pub mod schedule;
pub mod sgd;
pub mod softmax;
