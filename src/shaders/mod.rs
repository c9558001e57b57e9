//! The WGSL sources. A kernel's source is its own file, preceded by the shared helpers it uses
//! (WGSL has no includes), and for matmul's register blocks followed by generated code.

pub mod matmul_block;

use matmul_block::RowFetch;

/// One shader module: a name for logs and the cache, the files that make up its source, code
/// generated after them, and whether it needs the adapter's subgroup operations.
#[derive(Debug)]
pub struct Shader {
    pub name: &'static str,
    parts: &'static [&'static str],
    generated: Option<fn() -> String>,
    pub subgroups: bool,
}

impl Shader {
    const fn new(name: &'static str, parts: &'static [&'static str]) -> Self {
        Self { name, parts, generated: None, subgroups: false }
    }

    pub fn source(&self) -> String {
        let mut source = self.parts.concat();
        if let Some(generate) = self.generated {
            source.push_str(&generate());
        }
        source
    }
}

macro_rules! wgsl {
    ($file:literal) => {
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/shaders/", $file))
    };
}

const ACTIVATE: &str = wgsl!("common/activate.wgsl");
const RNG: &str = wgsl!("common/rng.wgsl");
const INDEX: &str = wgsl!("common/index.wgsl");
const TEXELS: &str = wgsl!("common/texels.wgsl");

const MATMUL_COMMON: &str = wgsl!("matmul/common.wgsl");
const READS_TEXELS: &str = wgsl!("matmul/reads_texels.wgsl");
const READS_STORAGE: &str = wgsl!("matmul/reads_storage.wgsl");
const MATMUL_BLOCK: &str = wgsl!("matmul/2_block.wgsl");
const MATMUL_BLOCK_PARTS: &[&str] = &[ACTIVATE, TEXELS, MATMUL_COMMON, READS_TEXELS, MATMUL_BLOCK];

/// Matmul variant 1: one value per invocation, storage reads.
pub static MATMUL_SIMPLE: Shader =
    Shader::new("matmul_simple", &[ACTIVATE, MATMUL_COMMON, READS_STORAGE, wgsl!("matmul/1_simple.wgsl")]);
/// Matmul variant 2: register blocks of rows × cols, texel reads, op(A)'s rows fetched by every
/// invocation or shared across a subgroup of 8.
macro_rules! matmul_block {
    ($name:ident, $label:literal, $rows:literal, $cols:literal, $fetch:expr, $subgroups:literal) => {
        pub static $name: Shader = Shader {
            name: $label,
            parts: MATMUL_BLOCK_PARTS,
            generated: Some(|| matmul_block::source($rows, $cols, $fetch)),
            subgroups: $subgroups,
        };
    };
}
matmul_block!(MATMUL_BLOCK_32X16, "matmul_block_32x16", 32, 16, RowFetch::Own, false);
matmul_block!(MATMUL_BLOCK_32X16_SUBGROUP, "matmul_block_32x16_subgroup", 32, 16, RowFetch::SharedBySubgroup, true);
matmul_block!(MATMUL_BLOCK_64X16, "matmul_block_64x16", 64, 16, RowFetch::Own, false);
matmul_block!(MATMUL_BLOCK_64X16_SUBGROUP, "matmul_block_64x16_subgroup", 64, 16, RowFetch::SharedBySubgroup, true);
/// Matmul variant 3: 64×64 tiles staged in workgroup memory, storage reads.
pub static MATMUL_TILED: Shader =
    Shader::new("matmul_tiled", &[ACTIVATE, MATMUL_COMMON, READS_STORAGE, wgsl!("matmul/3_tiled.wgsl")]);
pub static ACTIVATION: Shader = Shader::new("activation", &[INDEX, TEXELS, ACTIVATE, wgsl!("activation.wgsl")]);
pub static MAXOUT: Shader = Shader::new("maxout", &[INDEX, TEXELS, wgsl!("maxout.wgsl")]);
pub static DROPOUT: Shader = Shader::new("dropout", &[INDEX, TEXELS, RNG, wgsl!("dropout.wgsl")]);
pub static BATCHNORM: Shader = Shader::new("batchnorm", &[wgsl!("batchnorm.wgsl")]);
pub static BCE: Shader = Shader::new("bce", &[wgsl!("bce.wgsl")]);
pub static REDUCE: Shader = Shader::new("reduce", &[TEXELS, wgsl!("reduce.wgsl")]);
pub static SGD: Shader = Shader::new("sgd", &[INDEX, TEXELS, wgsl!("sgd.wgsl")]);
pub static EMA: Shader = Shader::new("ema", &[INDEX, TEXELS, wgsl!("ema.wgsl")]);
pub static SCHEDULE: Shader = Shader::new("schedule", &[wgsl!("schedule.wgsl")]);
pub static ADAM: Shader = Shader::new("adam", &[INDEX, TEXELS, wgsl!("adam.wgsl")]);
pub static BATCH: Shader = Shader::new("batch", &[INDEX, wgsl!("batch.wgsl")]);
pub static SOFTMAX: Shader = Shader::new("softmax", &[wgsl!("softmax.wgsl")]);
pub static DISTANCE: Shader = Shader::new("distance", &[INDEX, wgsl!("distance.wgsl")]);
pub static RANDOM: Shader = Shader::new("random", &[INDEX, RNG, wgsl!("random.wgsl")]);

/// Every shader module, for validation.
pub static ALL: &[&Shader] = &[
    &MATMUL_SIMPLE,
    &MATMUL_BLOCK_32X16,
    &MATMUL_BLOCK_32X16_SUBGROUP,
    &MATMUL_BLOCK_64X16,
    &MATMUL_BLOCK_64X16_SUBGROUP,
    &MATMUL_TILED,
    &ACTIVATION,
    &MAXOUT,
    &DROPOUT,
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
