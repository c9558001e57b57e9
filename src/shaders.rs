//! The WGSL sources. A kernel's source is its own file, preceded by the shared helpers it uses
//! (WGSL has no includes).

/// One shader module: a name for logs and the cache, the files that make up its source, and
/// whether it needs the adapter's subgroup operations.
#[derive(Debug)]
pub struct Shader {
    pub name: &'static str,
    parts: &'static [&'static str],
    pub subgroups: bool,
}

impl Shader {
    const fn new(name: &'static str, parts: &'static [&'static str]) -> Self {
        Self { name, parts, subgroups: false }
    }

    pub fn source(&self) -> String {
        self.parts.concat()
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

const MATMUL_BODY: &str = wgsl!("matmul.wgsl");
pub static MATMUL: Shader = Shader::new("matmul", &[ACTIVATE, TEXELS, MATMUL_BODY, wgsl!("matmul_rows.wgsl")]);
/// Matmul sharing op(A)'s rows across a subgroup of 8 (see `shaders/matmul.wgsl`).
pub static MATMUL_SUBGROUP: Shader = Shader {
    name: "matmul_subgroup",
    parts: &[ACTIVATE, TEXELS, MATMUL_BODY, wgsl!("matmul_rows_subgroup.wgsl")],
    subgroups: true,
};
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
    &MATMUL,
    &MATMUL_SUBGROUP,
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
