//! Named tensors in safetensors files: training checkpoints and the exported generator.
//! Files are written atomically (temporary file, then rename), so an interrupted write leaves the
//! previous file whole.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use safetensors::{Dtype, SafeTensors};

#[cfg(not(target_arch = "wasm32"))]
use crate::write_atomically;

#[derive(Clone, Debug, PartialEq)]
pub enum Values {
    F32(Vec<f32>),
    U32(Vec<u32>),
    /// PyTorch's batch counters (`num_batches_tracked`), in files that PyTorch loads.
    I64(Vec<i64>),
}

/// A tensor's shape and values.
#[derive(Clone, Debug, PartialEq)]
pub struct Stored {
    pub shape: Vec<usize>,
    pub values: Values,
}

#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("cannot read {path}: {error}")]
    Unreadable { path: PathBuf, error: std::io::Error },
    #[error("{path} is not a valid safetensors file (truncated or corrupt): {reason}")]
    Corrupt { path: PathBuf, reason: String },
    #[error("{path} has no tensor {name:?}; it was written for another configuration")]
    MissingTensor { path: PathBuf, name: String },
    #[error("{path}: tensor {name:?} has shape {found:?}, expected {expected:?}")]
    Shape { path: PathBuf, name: String, expected: Vec<usize>, found: Vec<usize> },
    #[error("{path} has no {key:?} in its metadata: {what}")]
    Metadata { path: PathBuf, key: String, what: String },
    #[error("cannot write {path}: {reason}")]
    Unwritable { path: PathBuf, reason: String },
}

/// Writes `tensors` and `metadata` to `path`, atomically.
#[cfg(not(target_arch = "wasm32"))]
pub fn save(
    path: &Path,
    tensors: &[(String, Stored)],
    metadata: HashMap<String, String>,
) -> Result<(), CheckpointError> {
    let unwritable = |reason: String| CheckpointError::Unwritable { path: path.into(), reason };
    use safetensors::tensor::TensorView;
    let views = tensors
        .iter()
        .map(|(name, t)| {
            let (dtype, bytes): (Dtype, &[u8]) = match &t.values {
                Values::F32(v) => (Dtype::F32, bytemuck::cast_slice(v)),
                Values::U32(v) => (Dtype::U32, bytemuck::cast_slice(v)),
                Values::I64(v) => (Dtype::I64, bytemuck::cast_slice(v)),
            };
            TensorView::new(dtype, t.shape.clone(), bytes).map(|view| (name.clone(), view))
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| unwritable(e.to_string()))?;
    let bytes = safetensors::serialize(views, Some(metadata)).map_err(|e| unwritable(e.to_string()))?;
    write_atomically(path, &bytes).map_err(|e| unwritable(e.to_string()))
}

/// The tensors and metadata of a file written by [`save`] (or any safetensors file of f32/u32/i64).
pub struct Loaded {
    pub path: PathBuf,
    pub tensors: HashMap<String, Stored>,
    pub metadata: HashMap<String, String>,
}

pub fn load(path: &Path) -> Result<Loaded, CheckpointError> {
    let bytes = std::fs::read(path).map_err(|error| CheckpointError::Unreadable { path: path.into(), error })?;
    parse(path, &bytes)
}

/// The contents of a safetensors file already in memory; `path` names it in errors.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Loaded, CheckpointError> {
    let corrupt = |reason: String| CheckpointError::Corrupt { path: path.into(), reason };
    let (_, header) = SafeTensors::read_metadata(bytes).map_err(|e| corrupt(e.to_string()))?;
    let metadata = header.metadata().clone().unwrap_or_default();
    let file = SafeTensors::deserialize(bytes).map_err(|e| corrupt(e.to_string()))?;
    let mut tensors = HashMap::new();
    for (name, view) in file.tensors() {
        let values = match view.dtype() {
            Dtype::F32 => Values::F32(bytemuck::pod_collect_to_vec(view.data())),
            Dtype::U32 => Values::U32(bytemuck::pod_collect_to_vec(view.data())),
            Dtype::I64 => Values::I64(bytemuck::pod_collect_to_vec(view.data())),
            other => {
                return Err(corrupt(format!("tensor {name:?} has dtype {other:?}; only F32, U32 and I64 are used")));
            }
        };
        tensors.insert(name, Stored { shape: view.shape().to_vec(), values });
    }
    Ok(Loaded { path: path.into(), tensors, metadata })
}

impl Loaded {
    /// The tensor `name`, which must have `shape`.
    pub fn get(&self, name: &str, shape: &[usize]) -> Result<&Values, CheckpointError> {
        let stored = self
            .tensors
            .get(name)
            .ok_or_else(|| CheckpointError::MissingTensor { path: self.path.clone(), name: name.into() })?;
        if stored.shape != shape {
            return Err(CheckpointError::Shape {
                path: self.path.clone(),
                name: name.into(),
                expected: shape.to_vec(),
                found: stored.shape.clone(),
            });
        }
        Ok(&stored.values)
    }

    /// Metadata entry `key`, parsed from JSON.
    pub fn metadata_json<T: serde::de::DeserializeOwned>(&self, key: &str) -> Result<T, CheckpointError> {
        let error = |what: String| CheckpointError::Metadata { path: self.path.clone(), key: key.into(), what };
        let text = self.metadata.get(key).ok_or_else(|| error("missing".into()))?;
        serde_json::from_str(text).map_err(|e| error(e.to_string()))
    }
}
