//! C = op(A)·op(B) (+ bias) then activation (`shaders/matmul.wgsl`, with op(A)'s rows fetched by
//! `matmul_rows.wgsl`, or shared across a subgroup by `matmul_rows_subgroup.wgsl` where the adapter
//! has subgroups of 8).

use crate::gpu::{Access, Dispatch, Gpu, KernelSpec, Tensor};
use crate::ops::activation::Activation;
use crate::shaders;

/// Which operand is transposed: the three products a linear layer's training needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// A·B: forward, X·W.
    Plain,
    /// Aᵀ·B: weight gradient, Xᵀ·dY.
    TransposeA,
    /// A·Bᵀ: input gradient, dY·Wᵀ.
    TransposeB,
}

impl Layout {
    fn transposes(self) -> (bool, bool) {
        (self == Layout::TransposeA, self == Layout::TransposeB)
    }

    /// (M, K, N) of op(A)·op(B) given the stored shapes of A and B.
    fn dims(self, a: &[usize], b: &[usize]) -> (usize, usize, usize) {
        assert!(a.len() == 2 && b.len() == 2, "matmul takes matrices, got {a:?} and {b:?}");
        let (ta, tb) = self.transposes();
        let (m, ka) = if ta { (a[1], a[0]) } else { (a[0], a[1]) };
        let (kb, n) = if tb { (b[1], b[0]) } else { (b[0], b[1]) };
        assert_eq!(ka, kb, "matmul {self:?}: inner dimensions of {a:?} and {b:?} differ");
        (m, ka, n)
    }
}

/// The block of C one invocation of `main` computes; a workgroup is 8 invocations along the columns.
const BLOCK_ROWS: usize = 32;
const BLOCK_COLS: usize = 16;
/// `small`'s block: 4×4, a workgroup being 8 invocations along the rows.
const SMALL_BLOCK: usize = 4;
const WORKGROUP: u32 = 8;

/// The entry point and workgroup grid for an m×n product: `main`, unless its blocks would hold
/// more than twice the values of C (most of them clamped copies), as for a layer with one output.
fn entry_and_grid(m: usize, n: usize) -> (&'static str, [u32; 3]) {
    let blocks = |len: usize, block: usize| len.div_ceil(block) as u32;
    if m.next_multiple_of(BLOCK_ROWS) * n.next_multiple_of(BLOCK_COLS) <= 2 * m * n {
        ("main", [blocks(n, BLOCK_COLS).div_ceil(WORKGROUP), blocks(m, BLOCK_ROWS), 1])
    } else {
        ("small", [blocks(m, SMALL_BLOCK).div_ceil(WORKGROUP), blocks(n, SMALL_BLOCK), 1])
    }
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    slope: f32,
    /// A uniform struct occupies 16 bytes.
    _pad: [f32; 3],
}

/// Whether every run of four the kernel reads lies in one vec4: the stored row length of each
/// operand, along which it reads, is a multiple of 4.
fn aligned(layout: Layout, m: usize, k: usize, n: usize) -> bool {
    let (ta, tb) = layout.transposes();
    let a_row = if ta { m } else { k };
    let b_row = if tb { k } else { n };
    a_row % 4 == 0 && b_row % 4 == 0
}

/// c = act(op(a)·op(b) + bias), bias being one value per column of c.
pub fn matmul(
    gpu: &Gpu,
    layout: Layout,
    a: &Tensor,
    b: &Tensor,
    bias: Option<&Tensor>,
    act: Activation,
    c: &Tensor,
) -> Dispatch {
    let (m, k, n) = layout.dims(a.shape(), b.shape());
    assert_eq!(c.shape(), [m, n], "matmul output must be {m}×{n}");
    if let Some(bias) = bias {
        assert_eq!(bias.len(), n, "matmul bias must have {n} values");
    }
    let (ta, tb) = layout.transposes();
    let (entry, groups) = entry_and_grid(m, n);
    let shader = if gpu.subgroups_of_8 { &shaders::MATMUL_SUBGROUP } else { &shaders::MATMUL };
    let spec = KernelSpec::new(
        shader,
        entry,
        &[Access::Texels, Access::Texels, Access::Read, Access::ReadWrite, Access::Read],
    )
    .with("TRANS_A", ta as u8 as f64)
    .with("TRANS_B", tb as u8 as f64)
    .with("HAS_BIAS", bias.is_some() as u8 as f64)
    .with("ALIGNED", aligned(layout, m, k, n) as u8 as f64)
    .with("ACT", act.code() as f64);
    let params = Params { slope: act.slope(), _pad: [0.0; 3] };
    // The shape in a storage buffer (see the shader for why not in the uniform).
    let shape = Tensor::<u32>::from_slice(gpu, &[3], &[m as u32, n as u32, k as u32]);
    // Without a bias any buffer fills the binding; the kernel does not read it.
    let bias = bias.unwrap_or(a).buffer();
    gpu.dispatch(&spec, &params, &[a.buffer(), b.buffer(), bias, c.buffer(), shape.buffer()], groups)
}

pub mod reference {
    use super::Layout;
    use crate::ops::activation::{Activation, reference::activate};

    /// act(op(a)·op(b) + bias) for a and b stored with the given shapes; returns m×n values.
    pub fn matmul(
        layout: Layout,
        a: &[f32],
        a_shape: [usize; 2],
        b: &[f32],
        b_shape: [usize; 2],
        bias: Option<&[f32]>,
        act: Activation,
    ) -> Vec<f32> {
        let (m, k, n) = layout.dims(&a_shape, &b_shape);
        let (ta, tb) = layout.transposes();
        let at = |i: usize, p: usize| if ta { a[p * m + i] } else { a[i * k + p] };
        let bt = |p: usize, j: usize| if tb { b[j * k + p] } else { b[p * n + j] };
        let mut c = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                let mut sum = 0.0f32;
                for p in 0..k {
                    sum += at(i, p) * bt(p, j);
                }
                c[i * n + j] = activate(act, sum + bias.map_or(0.0, |b| b[j]));
            }
        }
        c
    }
}
