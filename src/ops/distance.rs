//! Distances between sets of images (`shaders/distance.wgsl`): squared norms, the Parzen-window
//! log-likelihood and nearest-neighbour distances, from dot products made by the matmul kernel.

use crate::gpu::{Access, Dispatch, ELEMENTWISE_WORKGROUP, Gpu, KernelSpec, Tensor, grid_1d};
use crate::shaders;

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    queries: u32,
    centres: u32,
    dims: u32,
    sigma: f32,
}

/// norms[i] = |rows[i]|².
pub fn squared_norms(gpu: &Gpu, rows: &Tensor, norms: &Tensor) -> Dispatch {
    let (n, dims) = (rows.shape()[0], rows.shape()[1]);
    assert_eq!(norms.len(), n, "squared_norms: {:?} into {:?}", rows.shape(), norms.shape());
    let params = Params { queries: n as u32, centres: 0, dims: dims as u32, sigma: 0.0 };
    let spec = KernelSpec::new(&shaders::DISTANCE, "squared_norms", &[Access::Read, Access::ReadWrite]);
    gpu.dispatch(&spec, &params, &[rows.buffer(), norms.buffer()], grid_1d(n, ELEMENTWISE_WORKGROUP))
}

/// What to compute for each query from its distances to the centres.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Reduction {
    /// log mean_j N(query; centre_j, σ²I), as parzen_ll.py.
    Parzen { sigma: f32 },
    /// min_j |query - centre_j|².
    Nearest,
}

/// result[i] = the reduction over j of the distances between query i and centre j, given
/// dots = Q·Cᵀ (queries × centres) and both sets' squared norms; `dims` is the images' size.
pub fn reduce(
    gpu: &Gpu,
    reduction: Reduction,
    dims: usize,
    dots: &Tensor,
    query_norms: &Tensor,
    centre_norms: &Tensor,
    result: &Tensor,
) -> Dispatch {
    let (queries, centres) = (dots.shape()[0], dots.shape()[1]);
    assert!(
        query_norms.len() == queries && centre_norms.len() == centres && result.len() == queries,
        "distance: dots {:?}, norms {} and {}, result {}",
        dots.shape(),
        query_norms.len(),
        centre_norms.len(),
        result.len()
    );
    let (entry, sigma) = match reduction {
        Reduction::Parzen { sigma } => ("parzen", sigma),
        Reduction::Nearest => ("nearest", 0.0),
    };
    let params = Params { queries: queries as u32, centres: centres as u32, dims: dims as u32, sigma };
    const ACCESS: &[Access] = &[Access::Read, Access::Read, Access::Read, Access::ReadWrite];
    let spec = KernelSpec::new(&shaders::DISTANCE, entry, ACCESS);
    let buffers = [dots.buffer(), query_norms.buffer(), centre_norms.buffer(), result.buffer()];
    // One workgroup per query.
    gpu.dispatch(&spec, &params, &buffers, grid_1d(queries * ELEMENTWISE_WORKGROUP as usize, ELEMENTWISE_WORKGROUP))
}

pub mod reference {
    use super::Reduction;

    /// The reduction computed directly from the images (rows of `dims` values), in f64.
    pub fn reduce(reduction: Reduction, queries: &[f32], centres: &[f32], dims: usize) -> Vec<f64> {
        queries
            .chunks(dims)
            .map(|q| {
                let distances = centres
                    .chunks(dims)
                    .map(|c| q.iter().zip(c).map(|(&a, &b)| (a - b) as f64).map(|d| d * d).sum::<f64>());
                match reduction {
                    Reduction::Parzen { sigma } => {
                        let sigma = sigma as f64;
                        let exponents: Vec<f64> = distances.map(|d| -d / (2.0 * sigma * sigma)).collect();
                        let top = exponents.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                        let mean = exponents.iter().map(|e| (e - top).exp()).sum::<f64>() / exponents.len() as f64;
                        top + mean.ln() - dims as f64 * (sigma * (2.0 * std::f64::consts::PI).sqrt()).ln()
                    }
                    Reduction::Nearest => distances.fold(f64::INFINITY, f64::min),
                }
            })
            .collect()
    }
}
