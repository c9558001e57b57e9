//! Column sums (`shaders/reduce/`: the kernel and its two binding modules): bias gradients.

use crate::gpu::{Access, Dispatch, Gpu, KernelSpec, Tensor};
use crate::shaders;

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    rows: u32,
    cols: u32,
}

/// sums[j] = Σ_i x[i, j].
pub fn column_sums(gpu: &Gpu, x: &Tensor, sums: &Tensor) -> Dispatch {
    assert!(x.shape().len() == 2 && sums.len() == x.shape()[1], "column_sums: {:?} into {:?}", x.shape(), sums.shape());
    let params = Params { rows: x.shape()[0] as u32, cols: x.shape()[1] as u32 };
    let spec = KernelSpec::new(&shaders::REDUCE, "column_sums", &[Access::Texels, Access::ReadWrite])
        .with("ALIGNED", params.cols.is_multiple_of(4) as u8 as f64);
    // Four columns per invocation, 8 invocations per workgroup (the kernel's workgroup size).
    gpu.dispatch(&spec, &params, &[x.buffer(), sums.buffer()], [params.cols.div_ceil(4 * 8), 1, 1])
}

pub mod reference {
    pub fn column_sums(x: &[f32], cols: usize) -> Vec<f32> {
        let mut sums = vec![0.0; cols];
        for row in x.chunks(cols) {
            for (s, v) in sums.iter_mut().zip(row) {
                *s += v;
            }
        }
        sums
    }
}
