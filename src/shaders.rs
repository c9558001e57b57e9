//! The WGSL sources. A kernel's source is its own file, preceded by the shared helpers it uses
//! (WGSL has no includes).

/// One shader module: a name for logs and the cache, and the files that make up its source.
#[derive(Debug)]
pub struct Shader {
    pub name: &'static str,
    parts: &'static [&'static str],
}

impl Shader {
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

pub static MATMUL: Shader = Shader { name: "matmul", parts: &[ACTIVATE, TEXELS, wgsl!("matmul.wgsl")] };
pub static ACTIVATION: Shader =
    Shader { name: "activation", parts: &[INDEX, TEXELS, ACTIVATE, wgsl!("activation.wgsl")] };
pub static MAXOUT: Shader = Shader { name: "maxout", parts: &[INDEX, TEXELS, wgsl!("maxout.wgsl")] };
pub static DROPOUT: Shader = Shader { name: "dropout", parts: &[INDEX, TEXELS, RNG, wgsl!("dropout.wgsl")] };
pub static BATCHNORM: Shader = Shader { name: "batchnorm", parts: &[wgsl!("batchnorm.wgsl")] };
pub static BCE: Shader = Shader { name: "bce", parts: &[wgsl!("bce.wgsl")] };
pub static REDUCE: Shader = Shader { name: "reduce", parts: &[TEXELS, wgsl!("reduce.wgsl")] };
pub static SGD: Shader = Shader { name: "sgd", parts: &[INDEX, TEXELS, wgsl!("sgd.wgsl")] };
pub static ADAM: Shader = Shader { name: "adam", parts: &[INDEX, TEXELS, wgsl!("adam.wgsl")] };
pub static BATCH: Shader = Shader { name: "batch", parts: &[INDEX, wgsl!("batch.wgsl")] };
pub static SOFTMAX: Shader = Shader { name: "softmax", parts: &[wgsl!("softmax.wgsl")] };
pub static DISTANCE: Shader = Shader { name: "distance", parts: &[INDEX, wgsl!("distance.wgsl")] };
pub static RANDOM: Shader = Shader { name: "random", parts: &[INDEX, RNG, wgsl!("random.wgsl")] };

/// Every shader module, for validation.
pub static ALL: &[&Shader] = &[
    &MATMUL,
    &ACTIVATION,
    &MAXOUT,
    &DROPOUT,
    &BATCHNORM,
    &BCE,
    &REDUCE,
    &SGD,
    &ADAM,
    &RANDOM,
    &BATCH,
    &SOFTMAX,
    &DISTANCE,
];
