//! The WGSL sources. A kernel's source is its own file, preceded by the shared helpers it uses
//! (WGSL has no includes), followed for an element-wise kernel by the binding module of its way of
//! reading ([`Reads`]), for a matmul by its [`Epilogue`], and for matmul's register blocks by
//! generated code.

pub mod matmul_block;

use matmul_block::RowFetch;

/// How an element-wise kernel reads its inputs: each way is a binding module of its own beside the
/// kernel (`1_reads_texels.wgsl`, `2_reads_storage.wgsl`), declaring the inputs and the `*_quad`
/// functions through which the kernel reads them four values at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reads {
    /// From rgba32float copies of the buffers (`Access::Texels`), which llvmpipe fetches for all
    /// SIMD lanes at once.
    Texels,
    /// From the storage buffers themselves, with no copies (real GPUs).
    Storage,
}

impl Reads {
    pub const ALL: [Reads; 2] = [Reads::Texels, Reads::Storage];

    /// The name of this way of reading as a kernel variant (`GAN_WGPU_KERNELS`, the tune cache).
    pub const fn name(self) -> &'static str {
        match self {
            Reads::Texels => "texels",
            Reads::Storage => "storage",
        }
    }
}

/// What a matmul does with each value of C that it computes: the file that defines `store`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Epilogue {
    /// Adds the bias, applies the activation and stores it (`matmul/epilogue_store.wgsl`).
    Store,
    /// Stores a weight gradient and makes the SGD update of its weight (`matmul/epilogue_sgd.wgsl`).
    SgdUpdate,
}

impl Epilogue {
    pub const ALL: [Epilogue; 2] = [Epilogue::Store, Epilogue::SgdUpdate];

    /// The mark of this epilogue in a shader module's name (none for the plain one).
    pub fn marker(self) -> &'static str {
        match self {
            Epilogue::Store => "",
            Epilogue::SgdUpdate => ":sgd",
        }
    }
}

/// One shader module: a name for logs and the cache, the files that make up its source, code
/// generated after them, whether it needs the adapter's subgroup operations, for an element-wise
/// kernel its two binding modules, texel reads and storage reads (see [`Reads`]), and for a matmul
/// its epilogues (see [`Epilogue`]).
#[derive(Debug)]
pub struct Shader {
    pub name: &'static str,
    parts: &'static [&'static str],
    generated: Option<fn() -> String>,
    pub subgroups: bool,
    reads: Option<[&'static str; 2]>,
    epilogues: Option<[&'static str; 2]>,
}

impl Shader {
    const fn new(name: &'static str, parts: &'static [&'static str]) -> Self {
        Self { name, parts, generated: None, subgroups: false, reads: None, epilogues: None }
    }

    const fn matmul(name: &'static str, parts: &'static [&'static str]) -> Self {
        Self { epilogues: Some(EPILOGUES), ..Self::new(name, parts) }
    }

    const fn elementwise(name: &'static str, parts: &'static [&'static str], reads: [&'static str; 2]) -> Self {
        Self { reads: Some(reads), ..Self::new(name, parts) }
    }

    /// Whether this is an element-wise kernel, which comes in both ways of [`Reads`].
    pub fn is_elementwise(&self) -> bool {
        self.reads.is_some()
    }

    /// Whether this is a matmul, which comes with each [`Epilogue`].
    pub fn has_epilogues(&self) -> bool {
        self.epilogues.is_some()
    }

    /// The source of an element-wise kernel reading its inputs the way `reads` says, of a matmul
    /// with the given epilogue (other kernels have one source and ignore both).
    pub fn source(&self, reads: Reads, epilogue: Epilogue) -> String {
        let mut source = self.parts.concat();
        if let Some([texels, storage]) = self.reads {
            source.push_str(match reads {
                Reads::Texels => texels,
                Reads::Storage => storage,
            });
        }
        if let Some([store, sgd]) = self.epilogues {
            source.push_str(match epilogue {
                Epilogue::Store => store,
                Epilogue::SgdUpdate => sgd,
            });
        }
        if let Some(generate) = self.generated {
            source.push_str(&generate());
        }
        source
    }

    /// Every source this shader is compiled from: both ways of reading for an element-wise kernel,
    /// each epilogue for a matmul.
    pub fn sources(&self) -> Vec<String> {
        match (self.reads, self.epilogues) {
            (Some(_), _) => Reads::ALL.map(|reads| self.source(reads, Epilogue::Store)).to_vec(),
            (None, Some(_)) => Epilogue::ALL.map(|epilogue| self.source(Reads::Texels, epilogue)).to_vec(),
            (None, None) => vec![self.source(Reads::Texels, Epilogue::Store)],
        }
    }
}

macro_rules! wgsl {
    ($($path:literal),+) => {
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/shaders/", $($path),+))
    };
}

const ACTIVATE: &str = wgsl!("common/activate.wgsl");
const RNG: &str = wgsl!("common/rng.wgsl");
const INDEX: &str = wgsl!("common/index.wgsl");
const TEXELS: &str = wgsl!("common/texels.wgsl");
const MAXOUT_UNITS: &str = wgsl!("common/maxout.wgsl");

const MATMUL_COMMON: &str = wgsl!("matmul/common.wgsl");
const READS_TEXELS: &str = wgsl!("matmul/reads_texels.wgsl");
const READS_STORAGE: &str = wgsl!("matmul/reads_storage.wgsl");
const MATMUL_BLOCK: &str = wgsl!("matmul/2_block.wgsl");
const EPILOGUES: [&str; 2] = [wgsl!("matmul/epilogue_store.wgsl"), wgsl!("matmul/epilogue_sgd.wgsl")];
const MATMUL_BLOCK_PARTS: &[&str] = &[ACTIVATE, TEXELS, MATMUL_COMMON, READS_TEXELS, MATMUL_BLOCK];

/// Matmul variant 1: one value per invocation, storage reads.
pub static MATMUL_SIMPLE: Shader =
    Shader::matmul("matmul_simple", &[ACTIVATE, MATMUL_COMMON, READS_STORAGE, wgsl!("matmul/1_simple.wgsl")]);
/// Matmul variant 2: register blocks of rows × cols, texel reads, op(A)'s rows fetched by every
/// invocation or shared across a subgroup of 8.
macro_rules! matmul_block {
    ($name:ident, $label:literal, $rows:literal, $cols:literal, $fetch:expr, $subgroups:literal) => {
        pub static $name: Shader = Shader {
            name: $label,
            parts: MATMUL_BLOCK_PARTS,
            generated: Some(|| matmul_block::source($rows, $cols, $fetch)),
            subgroups: $subgroups,
            reads: None,
            epilogues: Some(EPILOGUES),
        };
    };
}
matmul_block!(MATMUL_BLOCK_8X8, "matmul_block_8x8", 8, 8, RowFetch::Own, false);
matmul_block!(MATMUL_BLOCK_8X8_SUBGROUP, "matmul_block_8x8_subgroup", 8, 8, RowFetch::SharedBySubgroup, true);
matmul_block!(MATMUL_BLOCK_16X16, "matmul_block_16x16", 16, 16, RowFetch::Own, false);
matmul_block!(MATMUL_BLOCK_16X16_SUBGROUP, "matmul_block_16x16_subgroup", 16, 16, RowFetch::SharedBySubgroup, true);
matmul_block!(MATMUL_BLOCK_32X16, "matmul_block_32x16", 32, 16, RowFetch::Own, false);
matmul_block!(MATMUL_BLOCK_32X16_SUBGROUP, "matmul_block_32x16_subgroup", 32, 16, RowFetch::SharedBySubgroup, true);
matmul_block!(MATMUL_BLOCK_64X16, "matmul_block_64x16", 64, 16, RowFetch::Own, false);
matmul_block!(MATMUL_BLOCK_64X16_SUBGROUP, "matmul_block_64x16_subgroup", 64, 16, RowFetch::SharedBySubgroup, true);
/// Matmul variant 3: 64×64 tiles staged in workgroup memory, storage reads.
pub static MATMUL_TILED: Shader =
    Shader::matmul("matmul_tiled", &[ACTIVATE, MATMUL_COMMON, READS_STORAGE, wgsl!("matmul/3_tiled.wgsl")]);
/// An element-wise kernel in `shaders/DIR/`: its shared helpers, `DIR/DIR.wgsl`, and the binding
/// modules `DIR/1_reads_texels.wgsl` and `DIR/2_reads_storage.wgsl`.
macro_rules! elementwise {
    ($dir:literal, [$($helper:expr),*]) => {
        Shader::elementwise(
            $dir,
            &[$($helper,)* wgsl!($dir, "/", $dir, ".wgsl")],
            [wgsl!($dir, "/1_reads_texels.wgsl"), wgsl!($dir, "/2_reads_storage.wgsl")],
        )
    };
}
pub static ACTIVATION: Shader = elementwise!("activation", [INDEX, TEXELS, ACTIVATE]);
pub static MAXOUT: Shader = elementwise!("maxout", [INDEX, TEXELS, MAXOUT_UNITS]);
pub static DROPOUT: Shader = elementwise!("dropout", [INDEX, TEXELS, RNG]);
pub static MAXOUT_DROPOUT: Shader = elementwise!("maxout_dropout", [INDEX, TEXELS, RNG, MAXOUT_UNITS]);
pub static BATCHNORM: Shader = Shader::new("batchnorm", &[wgsl!("batchnorm.wgsl")]);
pub static BCE: Shader = Shader::new("bce", &[wgsl!("bce.wgsl")]);
pub static REDUCE: Shader = elementwise!("reduce", [TEXELS]);
pub static SGD: Shader = elementwise!("sgd", [INDEX, TEXELS]);
pub static EMA: Shader = elementwise!("ema", [INDEX, TEXELS]);
pub static SCHEDULE: Shader = Shader::new("schedule", &[wgsl!("schedule.wgsl")]);
pub static ADAM: Shader = elementwise!("adam", [INDEX, TEXELS]);
pub static BATCH: Shader = Shader::new("batch", &[INDEX, wgsl!("batch.wgsl")]);
pub static SOFTMAX: Shader = Shader::new("softmax", &[wgsl!("softmax.wgsl")]);
pub static DISTANCE: Shader = Shader::new("distance", &[INDEX, wgsl!("distance.wgsl")]);
pub static RANDOM: Shader = Shader::new("random", &[INDEX, RNG, wgsl!("random.wgsl")]);

/// Every shader module, for validation.
pub static ALL: &[&Shader] = &[
    &MATMUL_SIMPLE,
    &MATMUL_BLOCK_8X8,
    &MATMUL_BLOCK_8X8_SUBGROUP,
    &MATMUL_BLOCK_16X16,
    &MATMUL_BLOCK_16X16_SUBGROUP,
    &MATMUL_BLOCK_32X16,
    &MATMUL_BLOCK_32X16_SUBGROUP,
    &MATMUL_BLOCK_64X16,
    &MATMUL_BLOCK_64X16_SUBGROUP,
    &MATMUL_TILED,
    &ACTIVATION,
    &MAXOUT,
    &DROPOUT,
    &MAXOUT_DROPOUT,
    &BATCHNORM,
    &BCE,
    &REDUCE,
    &SGD,
    &ADAM,
    &EMA,
    &SCHEDULE,
    &RANDOM,
    &BATCH,
    &SOFTMAX,
    &DISTANCE,
];
