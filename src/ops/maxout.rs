//! Maxout units over k pieces (`shaders/maxout/`: the kernel and its two binding modules).

use crate::gpu::{Access, Dispatch, ELEMENTWISE_WORKGROUP, Gpu, KernelSpec, Tensor, grid_1d};
use crate::shaders;

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    rows: u32,
    units: u32,
    k: u32,
}

fn params(pieces: &Tensor, units: &[usize]) -> Params {
    assert!(units.len() == 2 && pieces.shape().len() == 2, "maxout works on matrices");
    let (rows, count) = (units[0], units[1]);
    let k = pieces.shape()[1] / count.max(1);
    assert_eq!(pieces.shape(), [rows, count * k], "maxout pieces must be rows × (units·k)");
    Params { rows: rows as u32, units: count as u32, k: k as u32 }
}

/// y[r, u] = max_j z[r, u·k + j], and the winning j.
pub fn forward(gpu: &Gpu, pieces: &Tensor, units: &Tensor, argmax: &Tensor<u32>) -> Dispatch {
    let params = params(pieces, units.shape());
    assert_eq!(argmax.shape(), units.shape(), "maxout argmax has one index per unit");
    let spec = KernelSpec::new(&shaders::MAXOUT, "forward", &[Access::Texels, Access::ReadWrite, Access::ReadWrite]);
    let buffers = [pieces.buffer(), units.buffer(), argmax.buffer()];
    gpu.dispatch(&spec, &params, &buffers, grid_1d(units.len(), ELEMENTWISE_WORKGROUP))
}

/// dz[r, u·k + j] = dy[r, u] where j won, else 0.
pub fn backward(gpu: &Gpu, d_units: &Tensor, argmax: &Tensor<u32>, d_pieces: &Tensor) -> Dispatch {
    let params = params(d_pieces, d_units.shape());
    assert_eq!(argmax.shape(), d_units.shape(), "maxout argmax has one index per unit");
    let spec = KernelSpec::new(&shaders::MAXOUT, "backward", &[Access::Texels, Access::Read, Access::ReadWrite]);
    let buffers = [d_units.buffer(), argmax.buffer(), d_pieces.buffer()];
    // One invocation per unit, writing its k pieces.
    gpu.dispatch(&spec, &params, &buffers, grid_1d(d_units.len(), ELEMENTWISE_WORKGROUP))
}

pub mod reference {
    /// Units and the index of each one's winning piece (the first on ties).
    pub fn forward(pieces: &[f32], k: usize) -> (Vec<f32>, Vec<u32>) {
        pieces
            .chunks(k)
            .map(|group| {
                let mut arg = 0;
                for j in 1..k {
                    if group[j] > group[arg] {
                        arg = j;
                    }
                }
                (group[arg], arg as u32)
            })
            .unzip()
    }

    pub fn backward(d_units: &[f32], argmax: &[u32], k: usize) -> Vec<f32> {
        let mut d_pieces = vec![0.0; d_units.len() * k];
        for (u, (&g, &arg)) in d_units.iter().zip(argmax).enumerate() {
            d_pieces[u * k + arg as usize] = g;
        }
        d_pieces
    }
}
