//! C = op(A)·op(B) (+ bias) then activation, in numbered variants (`shaders/matmul/`): 1 simple
//! (a value per invocation), 2 register blocks (32×16 or 64×16 per invocation, texel reads, built
//! for llvmpipe), 3 workgroup tiles (64×64 per workgroup of 256, storage reads, built for real
//! GPUs). [`matmul`] takes the variant this adapter runs fastest at the shape, measured the first
//! time the shape is met and cached (`gpu::tune`); [`matmul_with`] takes a given one.
//! [`weight_gradient_sgd`] computes a weight gradient and makes its SGD update in one dispatch
//! (the SGD epilogue), where the adapter runs that faster ([`fuses_sgd`]).

use crate::gpu::tune::{Family, Timing};
use crate::gpu::{Access, Dispatch, Gpu, KernelSpec, Tensor};
use crate::ops::activation::Activation;
use crate::ops::sgd::SgdHyper;
use crate::shaders::{self, Epilogue, Shader};

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

    /// The stored shapes of A and B for op(A) = m×k and op(B) = k×n.
    pub fn stored(self, m: usize, k: usize, n: usize) -> ([usize; 2], [usize; 2]) {
        match self {
            Layout::Plain => ([m, k], [k, n]),
            Layout::TransposeA => ([k, m], [k, n]),
            Layout::TransposeB => ([m, k], [n, k]),
        }
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

/// Matmul's variants, by the names `GAN_WGPU_KERNELS=matmul=...` takes.
pub static FAMILY: Family = Family { name: "matmul", variants: &NAMES };

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    /// 1: one value of C per invocation (`1_simple.wgsl`).
    Simple,
    /// 2: a rows×cols block per invocation (`2_block.wgsl` and its generated code).
    Block { rows: usize, cols: usize },
    /// 3: a 64×64 tile per workgroup of 16×16 (`3_tiled.wgsl`).
    Tiled,
}

/// Every variant and its name.
const NAMED: [(Variant, &str); 6] = [
    (Variant::Simple, "simple"),
    (Variant::Block { rows: 8, cols: 8 }, "block-8x8"),
    (Variant::Block { rows: 16, cols: 16 }, "block-16x16"),
    (Variant::Block { rows: 32, cols: 16 }, "block-32x16"),
    (Variant::Block { rows: 64, cols: 16 }, "block-64x16"),
    (Variant::Tiled, "tiled-64x64"),
];

/// Every variant, in the order of [`FAMILY`]'s names.
pub const VARIANTS: [Variant; 6] = {
    let mut variants = [Variant::Simple; 6];
    let mut i = 0;
    while i < NAMED.len() {
        variants[i] = NAMED[i].0;
        i += 1;
    }
    variants
};

const NAMES: [&str; 6] = {
    let mut names = [""; 6];
    let mut i = 0;
    while i < NAMED.len() {
        names[i] = NAMED[i].1;
        i += 1;
    }
    names
};

// The bindings: A, B, bias, C, the shape; then, for the SGD epilogue, the optimizer's
// hyper-parameters, the weight and its velocity.
const TEXEL_READS: &[Access] = &[Access::Texels, Access::Texels, Access::Read, Access::ReadWrite, Access::Read];
const STORAGE_READS: &[Access] = &[Access::Read, Access::Read, Access::Read, Access::ReadWrite, Access::Read];
const SGD_BINDINGS: [Access; 3] = [Access::Read, Access::ReadWrite, Access::ReadWrite];
const TEXEL_READS_SGD: &[Access] = &concat(TEXEL_READS, SGD_BINDINGS);
const STORAGE_READS_SGD: &[Access] = &concat(STORAGE_READS, SGD_BINDINGS);

const fn concat(first: &[Access], then: [Access; 3]) -> [Access; 8] {
    let mut all = [Access::Read; 8];
    let mut i = 0;
    while i < 8 {
        all[i] = if i < first.len() { first[i] } else { then[i - first.len()] };
        i += 1;
    }
    all
}

/// `small`'s block in the block variant: 4×4, a workgroup being 8 invocations along the rows.
const SMALL_BLOCK: usize = 4;
/// The block variant's workgroup: 8 invocations along the columns.
const BLOCK_WORKGROUP: u32 = 8;
/// The simple variant's workgroup is 16×16 invocations, a value each; the tiled variant's, a 64×64 tile.
const SIMPLE_WORKGROUP: usize = 16;
const TILE: usize = 64;

impl Variant {
    pub fn name(self) -> &'static str {
        NAMED.iter().find(|(v, _)| *v == self).expect("a listed variant").1
    }

    pub fn named(name: &str) -> Option<Self> {
        NAMED.iter().find(|(_, n)| *n == name).map(|(v, _)| *v)
    }

    fn shader(self, subgroups_of_8: bool) -> &'static Shader {
        match (self, subgroups_of_8) {
            (Variant::Simple, _) => &shaders::MATMUL_SIMPLE,
            (Variant::Block { rows: 8, cols: 8 }, false) => &shaders::MATMUL_BLOCK_8X8,
            (Variant::Block { rows: 8, cols: 8 }, true) => &shaders::MATMUL_BLOCK_8X8_SUBGROUP,
            (Variant::Block { rows: 16, cols: 16 }, false) => &shaders::MATMUL_BLOCK_16X16,
            (Variant::Block { rows: 16, cols: 16 }, true) => &shaders::MATMUL_BLOCK_16X16_SUBGROUP,
            (Variant::Block { rows: 32, cols: 16 }, false) => &shaders::MATMUL_BLOCK_32X16,
            (Variant::Block { rows: 32, cols: 16 }, true) => &shaders::MATMUL_BLOCK_32X16_SUBGROUP,
            (Variant::Block { rows: 64, cols: 16 }, false) => &shaders::MATMUL_BLOCK_64X16,
            (Variant::Block { rows: 64, cols: 16 }, true) => &shaders::MATMUL_BLOCK_64X16_SUBGROUP,
            (Variant::Block { rows, cols }, _) => unreachable!("no shader for a {rows}×{cols} block"),
            (Variant::Tiled, _) => &shaders::MATMUL_TILED,
        }
    }

    fn bindings(self, epilogue: Epilogue) -> &'static [Access] {
        match (self, epilogue) {
            (Variant::Block { .. }, Epilogue::Store) => TEXEL_READS,
            (Variant::Block { .. }, Epilogue::SgdUpdate) => TEXEL_READS_SGD,
            (Variant::Simple | Variant::Tiled, Epilogue::Store) => STORAGE_READS,
            (Variant::Simple | Variant::Tiled, Epilogue::SgdUpdate) => STORAGE_READS_SGD,
        }
    }

    /// The entry point and workgroup grid for an m×n product. The block variant takes `main`
    /// unless its blocks would hold more than twice the values of C (most of them clamped copies),
    /// as for a layer with one output, and then `small`.
    fn entry_and_grid(self, m: usize, n: usize) -> (&'static str, [u32; 3]) {
        let blocks = |len: usize, block: usize| len.div_ceil(block) as u32;
        match self {
            Variant::Simple => ("main", [blocks(n, SIMPLE_WORKGROUP), blocks(m, SIMPLE_WORKGROUP), 1]),
            Variant::Tiled => ("main", [blocks(n, TILE), blocks(m, TILE), 1]),
            Variant::Block { rows, cols } if m.next_multiple_of(rows) * n.next_multiple_of(cols) <= 2 * m * n => {
                ("main", [blocks(n, cols).div_ceil(BLOCK_WORKGROUP), blocks(m, rows), 1])
            }
            Variant::Block { .. } => {
                ("small", [blocks(m, SMALL_BLOCK).div_ceil(BLOCK_WORKGROUP), blocks(n, SMALL_BLOCK), 1])
            }
        }
    }

    /// The variant to take without measuring (in the browser), and to time first: on a CPU adapter
    /// the 8×8 block, the quickest block to compile (SwiftShader compiles at the first dispatch: the
    /// page's first digits came 1.2–1.4 s after opening it, against 2.9–3.5 s with the 16×16 block,
    /// for grids 10–20% slower), the tiles elsewhere.
    fn default_for(gpu: &Gpu) -> Self {
        if gpu.adapter.device_type == wgpu::DeviceType::Cpu {
            Variant::Block { rows: 8, cols: 8 }
        } else {
            Variant::Tiled
        }
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

/// c = act(op(a)·op(b) + bias), bias being one value per column of c, by the variant this adapter
/// runs fastest at this shape.
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
    let shape = Product { layout, m, k, n, bias: bias.is_some(), act };
    let variant = choose(gpu, &shape);
    matmul_with(gpu, variant, layout, a, b, bias, act, c)
}

/// [`matmul`] by the given variant.
#[allow(clippy::too_many_arguments)]
pub fn matmul_with(
    gpu: &Gpu,
    variant: Variant,
    layout: Layout,
    a: &Tensor,
    b: &Tensor,
    bias: Option<&Tensor>,
    act: Activation,
    c: &Tensor,
) -> Dispatch {
    prepare(gpu, variant, layout, [a, b], bias, act, c, None)
}

/// What an SGD update takes besides the gradient: the optimizer's hyper-parameters, the weight and
/// its velocity (see `ops::sgd::update`).
#[derive(Clone, Copy)]
pub struct SgdUpdate<'a> {
    pub hyper: &'a Tensor<SgdHyper>,
    pub param: &'a Tensor,
    pub velocity: &'a Tensor,
}

/// dW = Xᵀ·dY into `dw`, and the SGD update of the weight from it, in one dispatch: the same bits
/// as [`matmul`] (`Layout::TransposeA`, no bias, no activation) followed by `ops::sgd::update`, by
/// the variant chosen for that product.
pub fn weight_gradient_sgd(gpu: &Gpu, x: &Tensor, dy: &Tensor, dw: &Tensor, update: SgdUpdate) -> Dispatch {
    let layout = Layout::TransposeA;
    let (m, k, n) = layout.dims(x.shape(), dy.shape());
    let variant = choose(gpu, &Product { layout, m, k, n, bias: false, act: Activation::Identity });
    weight_gradient_sgd_with(gpu, variant, x, dy, dw, update)
}

/// [`weight_gradient_sgd`] by the given variant.
pub fn weight_gradient_sgd_with(
    gpu: &Gpu,
    variant: Variant,
    x: &Tensor,
    dy: &Tensor,
    dw: &Tensor,
    update: SgdUpdate,
) -> Dispatch {
    let SgdUpdate { param, velocity, .. } = update;
    assert!(
        param.shape() == dw.shape() && velocity.shape() == dw.shape(),
        "the SGD epilogue updates a weight of dW's shape {:?}: got {:?} and velocity {:?}",
        dw.shape(),
        param.shape(),
        velocity.shape()
    );
    prepare(gpu, variant, Layout::TransposeA, [x, dy], None, Activation::Identity, dw, Some(update))
}

/// A weight gradient whose SGD update comes next runs as one dispatch (`fused`: the SGD epilogue)
/// or as the matmul and the update (`separate`). Both leave the same bits; the fused kernel spares
/// a dispatch and the update's pass over dW, which the adapter may or may not notice: each adapter
/// times both at the paper's first D layer's weight once and caches the choice, and
/// `GAN_WGPU_KERNELS=weight-gradient-sgd=separate` forces one.
pub static SGD_FAMILY: Family = Family { name: "weight-gradient-sgd", variants: &["fused", "separate"] };

const SGD_FUSION_KEY: &str = "weight-gradient-sgd (D 200×784 → 784×1200, dW and its update)";

/// The product the fusion is timed at: dW of the paper's first D layer (784 inputs, 240×5 pieces)
/// over a D step's batch of 100 real and 100 generated images, a product the default preset
/// chooses a variant for anyway.
const SGD_FUSION_PRODUCT: Product =
    Product { layout: Layout::TransposeA, m: 784, k: 200, n: 1200, bias: false, act: Activation::Identity };

/// Whether this device computes a weight gradient and its SGD update in one dispatch
/// ([`SGD_FAMILY`]); where nothing can be measured (the browser), it does.
pub fn fuses_sgd(gpu: &Gpu) -> bool {
    if gpu.tuning.forced().contains_key(SGD_FAMILY.name) {
        return gpu.tuning.choose(&SGD_FAMILY, SGD_FUSION_KEY, "fused", || None) == "fused";
    }
    // Measuring dispatches the product's matmul and an update in place, whose choices come first.
    let variant = choose(gpu, &SGD_FUSION_PRODUCT);
    gpu.in_place_reads();
    gpu.tuning.choose(&SGD_FAMILY, SGD_FUSION_KEY, "fused", || measure_sgd_fusion(gpu, variant)) == "fused"
}

#[cfg(target_arch = "wasm32")]
fn measure_sgd_fusion(_: &Gpu, _: Variant) -> Option<Vec<(&'static str, Timing)>> {
    None
}

/// Seconds per weight gradient and update both ways, the fused kernel first checked against the
/// pair (dW, the weight and its velocity with the same bits, or it is not used).
#[cfg(not(target_arch = "wasm32"))]
fn measure_sgd_fusion(gpu: &Gpu, variant: Variant) -> Option<Vec<(&'static str, Timing)>> {
    let Product { m, k, n, .. } = SGD_FUSION_PRODUCT;
    let values = |count: usize, salt: usize| -> Vec<f32> {
        (0..count).map(|i| ((i * 7919 + salt) % 2001) as f32 / 1000.0 - 1.0).collect()
    };
    let (x, dy) =
        (Tensor::from_slice(gpu, &[k, m], &values(k * m, 1)), Tensor::from_slice(gpu, &[k, n], &values(k * n, 2)));
    let h = SgdHyper { lr: 0.1, momentum: 0.5, weight_decay: 0.01, lr_decay: 1.0, lr_min: 0.0 };
    let hyper = Tensor::from_slice(gpu, &[1], &[h]);
    // Each way's dispatches and the tensors they write: dW, the weight, its velocity.
    let way = |fused: bool| {
        let dw = Tensor::zeros(gpu, &[m, n]);
        let (param, velocity) =
            (Tensor::from_slice(gpu, &[m, n], &values(m * n, 3)), Tensor::from_slice(gpu, &[m, n], &values(m * n, 4)));
        let update = SgdUpdate { hyper: &hyper, param: &param, velocity: &velocity };
        let ops = if fused {
            vec![weight_gradient_sgd_with(gpu, variant, &x, &dy, &dw, update)]
        } else {
            vec![
                matmul_with(gpu, variant, Layout::TransposeA, &x, &dy, None, Activation::Identity, &dw),
                crate::ops::sgd::update(gpu, &hyper, &param, &dw, &velocity),
            ]
        };
        (ops, vec![dw, param, velocity])
    };
    Some(crate::gpu::tune::fusion_timings(gpu, way(true), way(false), 1, "the matmul's and the update's"))
}

#[allow(clippy::too_many_arguments)]
fn prepare(
    gpu: &Gpu,
    variant: Variant,
    layout: Layout,
    [a, b]: [&Tensor; 2],
    bias: Option<&Tensor>,
    act: Activation,
    c: &Tensor,
    update: Option<SgdUpdate>,
) -> Dispatch {
    let (m, k, n) = layout.dims(a.shape(), b.shape());
    assert_eq!(c.shape(), [m, n], "matmul output must be {m}×{n}");
    if let Some(bias) = bias {
        assert_eq!(bias.len(), n, "matmul bias must have {n} values");
    }
    let (ta, tb) = layout.transposes();
    let (entry, groups) = variant.entry_and_grid(m, n);
    let epilogue = if update.is_some() { Epilogue::SgdUpdate } else { Epilogue::Store };
    let spec = KernelSpec::new(variant.shader(gpu.subgroups_of_8), entry, variant.bindings(epilogue))
        .with_epilogue(epilogue)
        .with("TRANS_A", ta as u8 as f64)
        .with("TRANS_B", tb as u8 as f64)
        .with("HAS_BIAS", bias.is_some() as u8 as f64)
        .with("ALIGNED", aligned(layout, m, k, n) as u8 as f64)
        .with("ACT", act.code() as f64);
    let params = Params { slope: act.slope(), _pad: [0.0; 3] };
    // The shape in a storage buffer (see shaders/matmul/common.wgsl for why not in the uniform).
    let shape = Tensor::<u32>::from_slice(gpu, &[3], &[m as u32, n as u32, k as u32]);
    // Without a bias any buffer fills the binding; the kernel does not read it.
    let bias = bias.unwrap_or(a).buffer();
    let mut buffers = vec![a.buffer(), b.buffer(), bias, c.buffer(), shape.buffer()];
    if let Some(SgdUpdate { hyper, param, velocity }) = update {
        buffers.extend([hyper.buffer(), param.buffer(), velocity.buffer()]);
    }
    gpu.dispatch(&spec, &params, &buffers, groups)
}

/// What a choice depends on: the product's layout and shape, and its epilogue.
struct Product {
    layout: Layout,
    m: usize,
    k: usize,
    n: usize,
    bias: bool,
    act: Activation,
}

impl Product {
    fn key(&self) -> String {
        let bias = if self.bias { " +bias" } else { "" };
        format!("matmul {:?} {}x{}x{}{bias} {:?}", self.layout, self.m, self.k, self.n, self.act)
    }
}

fn choose(gpu: &Gpu, product: &Product) -> Variant {
    let default = Variant::default_for(gpu);
    let screen = screen(gpu, default);
    let name = gpu.tuning.choose(&FAMILY, &product.key(), default.name(), || measure(gpu, product, &screen));
    Variant::named(name).unwrap_or(default)
}

/// The product every variant is timed at first on an adapter (a hidden layer's forward pass): large
/// enough that a dispatch takes milliseconds on llvmpipe (at 64×256×256, 0.3 to 1.5 ms, the order of
/// the two blocks changed from run to run, and one was once dropped).
const SCREEN: Product =
    Product { layout: Layout::Plain, m: 128, k: 512, n: 512, bias: false, act: Activation::Identity };

/// The variants the tuner tries. The 64×16 block is left to `GAN_WGPU_KERNELS`: on llvmpipe its
/// first dispatches at some shapes stalled for 11 to 21 s each (with its pipeline already
/// compiled, at 0.7 s, twice the 32×16 block's), more than its gains (up to 1.6× at a few of the
/// discriminator's products) repay in a run.
const CANDIDATES: [Variant; 5] = [
    Variant::Simple,
    Variant::Block { rows: 8, cols: 8 },
    Variant::Block { rows: 16, cols: 16 },
    Variant::Block { rows: 32, cols: 16 },
    Variant::Tiled,
];

/// The candidates at every shape on this adapter: those that ran at most twice as slow as the
/// fastest at [`SCREEN`], which saves compiling and timing the others at each shape (on llvmpipe
/// only the blocks remain; the screen is cached with the choices).
fn screen(gpu: &Gpu, default: Variant) -> Vec<Variant> {
    let key = format!("{} (screen)", SCREEN.key());
    let mut candidates = vec![default];
    candidates.extend(CANDIDATES.iter().filter(|v| **v != default));
    gpu.tuning.choose(&FAMILY, &key, default.name(), || measure(gpu, &SCREEN, &candidates));
    let seconds = gpu.tuning.seconds(&key);
    let fastest = seconds.values().copied().fold(f64::INFINITY, f64::min);
    let mut kept: Vec<(Variant, f64)> = CANDIDATES
        .into_iter()
        .filter_map(|v| seconds.get(v.name()).map(|t| (v, *t)))
        .filter(|(_, t)| *t <= 2.0 * fastest)
        .collect();
    // Fastest first: a slow candidate is then timed once and dropped.
    kept.sort_by(|a, b| a.1.total_cmp(&b.1));
    kept.into_iter().map(|(v, _)| v).collect()
}

#[cfg(target_arch = "wasm32")]
fn measure(_: &Gpu, _: &Product, _: &[Variant]) -> Option<Vec<(&'static str, Timing)>> {
    None
}

/// The seconds per dispatch at this product of each candidate, in order (a candidate four times as
/// slow as the best before it is timed once), each after a check against the CPU reference.
#[cfg(not(target_arch = "wasm32"))]
fn measure(gpu: &Gpu, product: &Product, candidates: &[Variant]) -> Option<Vec<(&'static str, Timing)>> {
    let Product { layout, m, k, n, bias, act } = *product;
    let (a_shape, b_shape) = layout.stored(m, k, n);
    let (a, b, c) = (Tensor::zeros(gpu, &a_shape), Tensor::zeros(gpu, &b_shape), Tensor::zeros(gpu, &[m, n]));
    let bias = bias.then(|| Tensor::zeros(gpu, &[n]));
    let mut best = f64::INFINITY;
    let timings = candidates
        .iter()
        .copied()
        .map(|variant| {
            let timing = check(gpu, variant, product).map(|()| {
                let op = matmul_with(gpu, variant, layout, &a, &b, bias.as_ref(), act, &c);
                time_dispatch(gpu, &op, best)
            });
            if let Ok(t) = timing {
                best = best.min(t);
            }
            (variant.name(), timing)
        })
        .collect();
    Some(timings)
}

/// Seconds per dispatch: one alone, then, unless it took four times `best` already, more.
#[cfg(not(target_arch = "wasm32"))]
fn time_dispatch(gpu: &Gpu, op: &Dispatch, best: f64) -> f64 {
    let run = |reps: usize| gpu.seconds_per_dispatch(op, reps);
    let mut first = run(1);
    if first > 4.0 * best && first < 1e-2 {
        // Once more, in case the machine was busy elsewhere.
        first = first.min(run(1));
    }
    if first > 4.0 * best {
        return first;
    }
    // Short dispatches are timed ten to a submission, so that submitting does not decide.
    let reps = if first < 2e-3 { 10 } else { 1 };
    first.min(run(reps))
}

/// The variant against the CPU reference at a small product with the same layout, alignment and
/// epilogue (the same pipeline as the product's own, so nothing extra is compiled); checked once
/// per device.
#[cfg(not(target_arch = "wasm32"))]
fn check(gpu: &Gpu, variant: Variant, product: &Product) -> Result<(), String> {
    let Product { layout, m, k, n, bias, act } = *product;
    // Wide, square and thin products, aligned or not: the first that takes the product's entry point.
    let shapes = if aligned(layout, m, k, n) {
        [(68, 64, 72), (128, 64, 64), (8, 64, 4)]
    } else {
        [(37, 45, 29), (127, 45, 61), (5, 45, 3)]
    };
    let entry = variant.entry_and_grid(m, n).0;
    let (cm, ck, cn) =
        shapes.into_iter().find(|(cm, _, cn)| variant.entry_and_grid(*cm, *cn).0 == entry).unwrap_or(shapes[0]);
    let key = format!("{} {layout:?} {cm}x{ck}x{cn} bias={bias} {act:?}", variant.name());
    gpu.tuning.check_once(&key, || {
        let (a_shape, b_shape) = layout.stored(cm, ck, cn);
        let values = |count: usize, salt: usize| -> Vec<f32> {
            (0..count).map(|i| ((i * 7919 + salt) % 2001) as f32 / 1000.0 - 1.0).collect()
        };
        let (a, b, bias) = (values(cm * ck, 1), values(ck * cn, 2), bias.then(|| values(cn, 3)));
        let t_bias = bias.as_ref().map(|v| Tensor::from_slice(gpu, &[cn], v));
        let c = Tensor::zeros(gpu, &[cm, cn]);
        let op = matmul_with(
            gpu,
            variant,
            layout,
            &Tensor::from_slice(gpu, &a_shape, &a),
            &Tensor::from_slice(gpu, &b_shape, &b),
            t_bias.as_ref(),
            act,
            &c,
        );
        gpu.run(|recorder| op.record(recorder));
        let got = c.read_blocking(gpu).map_err(|e| e.to_string())?;
        let want = reference::matmul(layout, &a, a_shape, &b, b_shape, bias.as_deref(), act);
        let worst = got.iter().zip(&want).map(|(g, w)| (g - w).abs() / (1.0 + w.abs())).fold(0.0f32, f32::max);
        if worst.is_finite() && worst < 1e-3 {
            Ok(())
        } else {
            Err(format!("it differs from the CPU reference by {worst} at {cm}×{ck}×{cn} ({layout:?})"))
        }
    })
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
