//! gan-wgpu: the GAN of Goodfellow et al. (2014) trained with WGSL compute shaders through wgpu.

pub mod data;
pub mod gpu;
pub mod grid;
pub mod ops;
pub mod rng;
pub mod shaders;
