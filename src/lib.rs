//! gan-wgpu: the GAN of Goodfellow et al. (2014) trained with WGSL compute shaders through wgpu.

pub mod checkpoint;
pub mod config;
#[cfg(not(target_arch = "wasm32"))]
pub mod data;
#[cfg(not(target_arch = "wasm32"))]
pub mod eval;
pub mod gan;
pub mod generator;
pub mod gpu;
pub mod graph;
#[cfg(not(target_arch = "wasm32"))]
pub mod grid;
pub mod nn;
pub mod ops;
pub mod optim;
#[cfg(not(target_arch = "wasm32"))]
pub mod plot;
pub mod rng;
pub mod shaders;
pub mod torch;
#[cfg(not(target_arch = "wasm32"))]
pub mod train;
#[cfg(target_arch = "wasm32")]
pub mod web;

/// The SHA-256 digest of `bytes` in lower-case hex.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes through a temporary file in the same directory, then renames: readers see the old file
/// or the whole new one, never a part. The error is the system's; callers name the file.
#[cfg(not(target_arch = "wasm32"))]
pub fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension(format!("partial-{}", std::process::id()));
    let result = std::fs::File::create(&tmp).and_then(|mut f| {
        f.write_all(bytes)?;
        f.sync_all()
    });
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}
