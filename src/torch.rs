//! A generator under PyTorch's names and layout: the reference's `nn.Sequential`, whose
//! `state_dict()` names each parameter by its module's position (`0.weight`, `1.running_mean`, …)
//! and stores linear weights as [out, in]. The project's own tensors are `G.<layer>.<what>` with
//! weights as [in, out] and batch norm's running mean and variance packed in one `running` tensor.
//!
//! A layer of the project is one module of PyTorch's, except a linear layer with a fused activation,
//! which is two (the linear module, then the activation's); G's output layer is `Linear` + `Sigmoid`.

use std::collections::HashMap;

use anyhow::{Context, bail, ensure};

use crate::checkpoint::{Loaded, Stored, Values};
use crate::config::Noise;
use crate::generator::GeneratorArchitecture;
use crate::nn::LayerSpec;
use crate::ops::activation::Activation;

/// G's layers with its output layer, as the project builds them.
pub fn generator_layers(architecture: &GeneratorArchitecture) -> Vec<LayerSpec> {
    let output = LayerSpec::Linear { outputs: architecture.pixels, activation: Activation::Sigmoid };
    architecture.layers.iter().cloned().chain([output]).collect()
}

/// The PyTorch module index of each layer (by position in `layers`).
fn module_indices(layers: &[LayerSpec]) -> Vec<usize> {
    let mut next = 0;
    layers
        .iter()
        .map(|layer| {
            let index = next;
            next += match layer {
                LayerSpec::Linear { activation: Activation::Identity, .. } => 1,
                LayerSpec::Linear { .. } => 2,
                _ => 1,
            };
            index
        })
        .collect()
}

fn f32s<'a>(loaded: &'a Loaded, name: &str, shape: &[usize]) -> anyhow::Result<&'a [f32]> {
    match loaded.get(name, shape)? {
        Values::F32(v) => Ok(v),
        _ => bail!("{}: {name} should hold float32 values", loaded.path.display()),
    }
}

/// [rows, cols] → [cols, rows].
fn transpose(values: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    (0..cols).flat_map(|c| (0..rows).map(move |r| values[r * cols + c])).collect()
}

/// The project's tensors of G (`G.<layer>.<what>` → values) to PyTorch's state_dict.
pub fn export(
    architecture: &GeneratorArchitecture,
    tensors: &HashMap<String, Stored>,
) -> anyhow::Result<Vec<(String, Stored)>> {
    let layers = generator_layers(architecture);
    let get = |name: String| -> anyhow::Result<(&[usize], &[f32])> {
        let stored = tensors.get(&name).with_context(|| format!("the generator has no tensor {name}"))?;
        match &stored.values {
            Values::F32(v) => Ok((&stored.shape, v)),
            _ => bail!("{name} should hold float32 values"),
        }
    };
    let f32_tensor = |shape: Vec<usize>, values: Vec<f32>| Stored { shape, values: Values::F32(values) };
    let mut out = Vec::new();
    for ((i, layer), module) in layers.iter().enumerate().zip(module_indices(&layers)) {
        match layer {
            LayerSpec::Linear { .. } => {
                let (shape, w) = get(format!("G.{i}.weight"))?;
                let (inputs, outputs) = (shape[0], shape[1]);
                out.push((
                    format!("{module}.weight"),
                    f32_tensor(vec![outputs, inputs], transpose(w, inputs, outputs)),
                ));
                out.push((format!("{module}.bias"), f32_tensor(vec![outputs], get(format!("G.{i}.bias"))?.1.to_vec())));
            }
            LayerSpec::BatchNorm => {
                let (_, gamma) = get(format!("G.{i}.gamma"))?;
                let width = gamma.len();
                let (_, running) = get(format!("G.{i}.running"))?;
                out.push((format!("{module}.weight"), f32_tensor(vec![width], gamma.to_vec())));
                out.push((format!("{module}.bias"), f32_tensor(vec![width], get(format!("G.{i}.beta"))?.1.to_vec())));
                out.push((format!("{module}.running_mean"), f32_tensor(vec![width], running[..width].to_vec())));
                out.push((format!("{module}.running_var"), f32_tensor(vec![width], running[width..].to_vec())));
                // PyTorch counts training batches here; it only matters to a momentum of None.
                out.push((
                    format!("{module}.num_batches_tracked"),
                    Stored { shape: vec![], values: Values::I64(vec![0]) },
                ));
            }
            LayerSpec::Maxout { .. } => bail!("PyTorch's nn.Sequential has no maxout module for layer {i} of G"),
            LayerSpec::Activation { .. } | LayerSpec::Dropout { .. } => {}
        }
    }
    Ok(out)
}

/// Whether a file holds a generator under PyTorch's names (rather than the project's `G.*`).
pub fn is_torch_layout(loaded: &Loaded) -> bool {
    !loaded.tensors.is_empty()
        && loaded.tensors.keys().all(|k| k.split('.').next().is_some_and(|m| m.parse::<usize>().is_ok()))
}

/// The project's tensors of G (`G.<layer>.<what>` → values, project layout) from a PyTorch state_dict.
pub fn import(loaded: &Loaded, architecture: &GeneratorArchitecture) -> anyhow::Result<HashMap<String, Stored>> {
    let layers = generator_layers(architecture);
    let mut inputs = architecture.z_dim;
    let mut out = HashMap::new();
    let mut put = |name: String, shape: Vec<usize>, values: Vec<f32>| {
        out.insert(name, Stored { shape, values: Values::F32(values) });
    };
    for ((i, layer), module) in layers.iter().enumerate().zip(module_indices(&layers)) {
        match *layer {
            LayerSpec::Linear { outputs, .. } => {
                let w = f32s(loaded, &format!("{module}.weight"), &[outputs, inputs])?;
                put(format!("G.{i}.weight"), vec![inputs, outputs], transpose(w, outputs, inputs));
                let bias = f32s(loaded, &format!("{module}.bias"), &[outputs])?;
                put(format!("G.{i}.bias"), vec![outputs], bias.to_vec());
                inputs = outputs;
            }
            LayerSpec::BatchNorm => {
                let shape = [inputs];
                put(format!("G.{i}.gamma"), vec![inputs], f32s(loaded, &format!("{module}.weight"), &shape)?.to_vec());
                put(format!("G.{i}.beta"), vec![inputs], f32s(loaded, &format!("{module}.bias"), &shape)?.to_vec());
                let mean = f32s(loaded, &format!("{module}.running_mean"), &shape)?;
                let var = f32s(loaded, &format!("{module}.running_var"), &shape)?;
                put(format!("G.{i}.running"), vec![2 * inputs], [mean, var].concat());
            }
            LayerSpec::Maxout { .. } => {
                bail!("{}: maxout layers cannot come from PyTorch's names", loaded.path.display())
            }
            LayerSpec::Activation { .. } | LayerSpec::Dropout { .. } => {}
        }
    }
    Ok(out)
}

/// The architecture of a PyTorch state_dict with no metadata, from its names and shapes: linear
/// modules (2-D weights), batch norms (with running statistics), and between them modules without
/// parameters, taken as ReLU (as the reference's); the last linear module is G's output, taken as
/// followed by a sigmoid. Noise is N(0, 1), as the reference draws it.
pub fn infer_architecture(loaded: &Loaded) -> anyhow::Result<GeneratorArchitecture> {
    let name = loaded.path.display();
    let mut modules: Vec<usize> = loaded.tensors.keys().filter_map(|k| k.split('.').next()?.parse().ok()).collect();
    modules.sort_unstable();
    modules.dedup();
    let shape = |key: String| loaded.tensors.get(&key).map(|t| t.shape.clone());
    let mut layers = Vec::new();
    let mut z_dim = None;
    let mut width = 0;
    let mut next = 0;
    for &module in &modules {
        // Modules without parameters before this one: activations.
        layers.extend((next..module).map(|_| LayerSpec::Activation { activation: Activation::Relu }));
        next = module + 1;
        let weight =
            shape(format!("{module}.weight")).with_context(|| format!("{name}: module {module} has no weight"))?;
        match weight[..] {
            [outputs, inputs] => {
                ensure!(
                    z_dim.is_none() || inputs == width,
                    "{name}: module {module} takes {inputs} inputs after {width}"
                );
                z_dim.get_or_insert(inputs);
                layers.push(LayerSpec::Linear { outputs, activation: Activation::Identity });
                width = outputs;
            }
            [features] if shape(format!("{module}.running_mean")).is_some() => {
                ensure!(features == width, "{name}: batch norm {module} has {features} features after {width}");
                layers.push(LayerSpec::BatchNorm);
            }
            _ => bail!("{name}: module {module} (weight {weight:?}) is neither linear nor batch norm"),
        }
    }
    let (Some(z_dim), Some(LayerSpec::Linear { outputs: pixels, .. })) = (z_dim, layers.pop()) else {
        bail!("{name}: no linear output layer in its names ({} modules)", modules.len());
    };
    Ok(GeneratorArchitecture { z_dim, pixels, layers, noise: Noise::Normal { std: 1.0 } })
}
