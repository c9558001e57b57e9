//! The WGSL sources. A kernel's source is its own file, preceded by the shared helpers it uses
//! (WGSL has no includes), and for matmul's register blocks followed by generated code.

pub mod matmul_block;

use matmul_block::RowFetch;

/// One shader module: a name for logs and the cache, the files that make up its source, code
/// generated after them, whether it needs the adapter's subgroup operations, and whether it is an
/// element-wise kernel whose texel reads may be storage reads instead (see [`with_storage_reads`]).
#[derive(Debug)]
pub struct Shader {
    pub name: &'static str,
    parts: &'static [&'static str],
    generated: Option<fn() -> String>,
    pub subgroups: bool,
    pub elementwise: bool,
}

impl Shader {
    const fn new(name: &'static str, parts: &'static [&'static str]) -> Self {
        Self { name, parts, generated: None, subgroups: false, elementwise: false }
    }

    const fn elementwise(name: &'static str, parts: &'static [&'static str]) -> Self {
        Self { elementwise: true, ..Self::new(name, parts) }
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
            elementwise: false,
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
    Shader::new("matmul_tiled", &[ACTIVATE, MATMUL_COMMON, READS_STORAGE, wgsl!("matmul/3_tiled.wgsl")]);
pub static ACTIVATION: Shader = Shader::elementwise("activation", &[INDEX, TEXELS, ACTIVATE, wgsl!("activation.wgsl")]);
pub static MAXOUT: Shader = Shader::elementwise("maxout", &[INDEX, TEXELS, wgsl!("maxout.wgsl")]);
pub static DROPOUT: Shader = Shader::elementwise("dropout", &[INDEX, TEXELS, RNG, wgsl!("dropout.wgsl")]);
pub static BATCHNORM: Shader = Shader::new("batchnorm", &[wgsl!("batchnorm.wgsl")]);
pub static BCE: Shader = Shader::new("bce", &[wgsl!("bce.wgsl")]);
pub static REDUCE: Shader = Shader::elementwise("reduce", &[TEXELS, wgsl!("reduce.wgsl")]);
pub static SGD: Shader = Shader::elementwise("sgd", &[INDEX, TEXELS, wgsl!("sgd.wgsl")]);
pub static EMA: Shader = Shader::elementwise("ema", &[INDEX, TEXELS, wgsl!("ema.wgsl")]);
pub static SCHEDULE: Shader = Shader::new("schedule", &[wgsl!("schedule.wgsl")]);
pub static ADAM: Shader = Shader::elementwise("adam", &[INDEX, TEXELS, wgsl!("adam.wgsl")]);
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

/// An element-wise kernel's source reading its inputs from storage buffers where it read texel
/// copies: each binding `var NAME: texture_2d<f32>;` becomes `var<storage, read> NAME:
/// array<vec4<f32>>;` and each `texel(NAME, INDEX)` becomes `NAME[INDEX]` (the same vec4, element
/// 4·INDEX onwards). The old values of a buffer updated in place, `NAME_old` beside a `read_write`
/// binding `NAME` (`Access::OldValues`), are not declared: `texel(NAME_old, INDEX)` reads `NAME[INDEX]`.
/// The kernels read texels only through `texel` on their own bindings.
pub fn with_storage_reads(source: &str) -> String {
    const DECLARATION: &str = ": texture_2d<f32>;";
    let updated = |name: &str| {
        let base = name.strip_suffix("_old")?;
        source.contains(&format!("var<storage, read_write> {base}: ")).then(|| base.to_string())
    };
    let mut renamed: Vec<(String, String)> = Vec::new();
    let mut out = String::with_capacity(source.len());
    for line in source.split_inclusive('\n') {
        let Some(at) = line.find(DECLARATION) else {
            out.push_str(line);
            continue;
        };
        let name_start = line[..at].rfind("var ").expect("a texture binding is declared with var") + "var ".len();
        let name = &line[name_start..at];
        match updated(name) {
            Some(base) => renamed.push((name.to_string(), base)),
            None => {
                out.push_str(&line[..name_start - "var ".len()]);
                out.push_str(&format!("var<storage, read> {name}: array<vec4<f32>>;"));
                out.push_str(&line[at + DECLARATION.len()..]);
            }
        }
    }
    let source = out;
    let mut out = String::with_capacity(source.len());
    let mut rest = source.as_str();
    while let Some(at) = rest.find("texel(") {
        let (before, after) = rest.split_at(at);
        let call = &after["texel(".len()..];
        if before.ends_with("fn ") || before.ends_with(|c: char| c.is_alphanumeric() || c == '_') {
            out.push_str(before);
            out.push_str("texel(");
            rest = call;
            continue;
        }
        let comma = call.find(',').expect("texel takes a binding and an index");
        let mut depth = 0usize;
        let close = call[comma..]
            .char_indices()
            .find(|&(_, c)| {
                match c {
                    '(' => depth += 1,
                    ')' if depth == 0 => return true,
                    ')' => depth -= 1,
                    _ => {}
                }
                false
            })
            .map(|(i, _)| comma + i)
            .expect("texel's call is closed");
        let name = call[..comma].trim();
        let name = renamed.iter().find(|(old, _)| old == name).map_or(name, |(_, base)| base.as_str());
        out.push_str(before);
        out.push_str(&format!("{name}[{}]", call[comma + 1..close].trim()));
        rest = &call[close + 1..];
    }
    out.push_str(rest);
    out
}
