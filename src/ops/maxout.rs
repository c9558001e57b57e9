//! Maxout units over k pieces (`shaders/maxout/`: the kernel and its two binding modules), and
//! maxout with the dropout of its units in one kernel (`shaders/maxout_dropout/`).

use crate::gpu::tune::Family;
use crate::gpu::{Access, Dispatch, ELEMENTWISE_WORKGROUP, Gpu, KernelSpec, Tensor, grid_1d};
use crate::ops::random::{Clock, Stream};
use crate::shaders;

/// A maxout layer followed by dropout runs as one kernel each way (`fused`) or as the two kernels
/// (`separate`). Both leave the same bits; the fused kernel spares a dispatch and a pass over the
/// units, which the adapter may or may not notice: each adapter times both at the paper's D layer
/// once and caches the choice, and `GAN_WGPU_KERNELS=maxout-dropout=separate` forces one.
pub static DROPOUT_FAMILY: Family = Family { name: "maxout-dropout", variants: &["fused", "separate"] };

const FUSION_KEY: &str = "maxout-dropout (D 100×240×5, forward and backward)";

/// Whether this device runs maxout and the dropout after it as one kernel ([`DROPOUT_FAMILY`]);
/// where nothing can be measured (the browser), it does.
pub fn fuses_dropout(gpu: &Gpu) -> bool {
    #[cfg(target_arch = "wasm32")]
    let measure = || None;
    #[cfg(not(target_arch = "wasm32"))]
    let measure = || Some(measure_fusion(gpu));
    // Measuring dispatches element-wise kernels, whose own choice has to come first.
    gpu.elementwise_reads();
    gpu.tuning.choose(&DROPOUT_FAMILY, FUSION_KEY, "fused", measure) == "fused"
}

/// Seconds per forward and backward of the paper's D layer both ways, the fused kernels first
/// checked against the pair (the same bits, or they are not used).
#[cfg(not(target_arch = "wasm32"))]
fn measure_fusion(gpu: &Gpu) -> Vec<(&'static str, crate::gpu::tune::Timing)> {
    let (rows, units, k) = (100, 240, 5);
    let values = |n: usize| (0..n).map(|i| ((i * 7919) % 1000) as f32 / 500.0 - 1.0).collect::<Vec<_>>();
    let z = Tensor::from_slice(gpu, &[rows, units * k], &values(rows * units * k));
    let d_dropped = Tensor::from_slice(gpu, &[rows, units], &values(rows * units));
    let clock = Clock::new(gpu, 0);
    let dropout = UnitDropout { stream: Stream { seed: 1, id: 0 }, keep: 0.5, offset: 0 };
    let UnitDropout { stream, keep, offset } = dropout;
    // Each way's dispatches and the tensors they write.
    let way = |fused: bool| {
        let (y, dropped, dy) = (
            Tensor::zeros(gpu, &[rows, units]),
            Tensor::zeros(gpu, &[rows, units]),
            Tensor::zeros(gpu, &[rows, units]),
        );
        let (argmax, dz) = (Tensor::<u32>::zeros(gpu, &[rows, units]), Tensor::zeros(gpu, &[rows, units * k]));
        let ops = if fused {
            vec![
                forward_dropout(gpu, &clock, dropout, &z, &y, &argmax, &dropped),
                backward_dropout(gpu, &clock, dropout, &d_dropped, &argmax, &dy, &dz),
            ]
        } else {
            vec![
                forward(gpu, &z, &y, &argmax),
                crate::ops::dropout::apply(gpu, &clock, stream, keep, offset, &y, &dropped),
                crate::ops::dropout::apply(gpu, &clock, stream, keep, offset, &d_dropped, &dy),
                backward(gpu, &dy, &argmax, &dz),
            ]
        };
        (ops, vec![y, dropped, dy, dz])
    };
    crate::gpu::tune::fusion_timings(gpu, way(true), way(false), 5, "maxout's and dropout's")
}

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

/// The dropout after a maxout layer: its stream, keep probability and the mask index of its first
/// unit, as `ops::dropout::apply` takes them.
#[derive(Clone, Copy, Debug)]
pub struct UnitDropout {
    pub stream: Stream,
    pub keep: f32,
    pub offset: u32,
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct DropoutParams {
    rows: u32,
    units: u32,
    k: u32,
    seed: u32,
    stream: u32,
    keep: f32,
    scale: f32,
    offset: u32,
}

fn dropout_params(pieces: &Tensor, units: &[usize], dropout: UnitDropout) -> DropoutParams {
    let Params { rows, units, k } = params(pieces, units);
    let UnitDropout { stream, keep, offset } = dropout;
    assert!(keep > 0.0 && keep <= 1.0, "dropout keep probability must be in (0, 1], got {keep}");
    DropoutParams { rows, units, k, seed: stream.seed, stream: stream.id, keep, scale: 1.0 / keep, offset }
}

/// [`forward`], then dropout of the units into `dropped`, in one dispatch (`units` is written too).
pub fn forward_dropout(
    gpu: &Gpu,
    clock: &Clock,
    dropout: UnitDropout,
    pieces: &Tensor,
    units: &Tensor,
    argmax: &Tensor<u32>,
    dropped: &Tensor,
) -> Dispatch {
    let params = dropout_params(pieces, units.shape(), dropout);
    assert!(argmax.shape() == units.shape() && dropped.shape() == units.shape(), "one argmax and value per unit");
    const ACCESS: [Access; 5] = [Access::Read, Access::Texels, Access::ReadWrite, Access::ReadWrite, Access::ReadWrite];
    let spec = KernelSpec::new(&shaders::MAXOUT_DROPOUT, "forward", &ACCESS);
    let buffers = [clock.0.buffer(), pieces.buffer(), units.buffer(), argmax.buffer(), dropped.buffer()];
    gpu.dispatch(&spec, &params, &buffers, grid_1d(units.len(), ELEMENTWISE_WORKGROUP))
}

/// The dropout's backward from `d_dropped` into `d_units`, then [`backward`] into `d_pieces`, in one
/// dispatch.
pub fn backward_dropout(
    gpu: &Gpu,
    clock: &Clock,
    dropout: UnitDropout,
    d_dropped: &Tensor,
    argmax: &Tensor<u32>,
    d_units: &Tensor,
    d_pieces: &Tensor,
) -> Dispatch {
    let params = dropout_params(d_pieces, d_units.shape(), dropout);
    assert!(argmax.shape() == d_units.shape() && d_dropped.shape() == d_units.shape(), "one argmax and value per unit");
    const ACCESS: [Access; 5] = [Access::Read, Access::Texels, Access::Read, Access::ReadWrite, Access::ReadWrite];
    let spec = KernelSpec::new(&shaders::MAXOUT_DROPOUT, "backward", &ACCESS);
    let buffers = [clock.0.buffer(), d_dropped.buffer(), argmax.buffer(), d_units.buffer(), d_pieces.buffer()];
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
