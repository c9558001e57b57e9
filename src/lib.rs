//! gan-wgpu: the GAN of Goodfellow et al. (2014) trained with WGSL compute shaders through wgpu.

pub mod checkpoint;
pub mod config;
pub mod data;
pub mod eval;
pub mod gan;
pub mod generator;
pub mod gpu;
pub mod graph;
pub mod grid;
pub mod nn;
pub mod ops;
pub mod optim;
pub mod plot;
pub mod rng;
pub mod shaders;
pub mod train;
