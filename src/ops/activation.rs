//! Element-wise activations (`shaders/activation/`: the kernel and its two binding modules), also fused into
//! matmul's epilogue.

use crate::gpu::{Access, Dispatch, ELEMENTWISE_WORKGROUP, Gpu, KernelSpec, Tensor, grid_1d};
use crate::shaders;

#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Activation {
    Identity,
    Relu,
    LeakyRelu { slope: f32 },
    Sigmoid,
    Tanh,
}

impl Activation {
    /// The `ACT_*` constant of `shaders/common/activate.wgsl`.
    pub(crate) fn code(self) -> u32 {
        match self {
            Activation::Identity => 0,
            Activation::Relu => 1,
            Activation::LeakyRelu { .. } => 2,
            Activation::Sigmoid => 3,
            Activation::Tanh => 4,
        }
    }

    pub(crate) fn slope(self) -> f32 {
        match self {
            Activation::LeakyRelu { slope } => slope,
            _ => 0.0,
        }
    }
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    n: u32,
    slope: f32,
}

fn spec(act: Activation, entry: &'static str, storage: &'static [Access]) -> KernelSpec {
    KernelSpec::new(&shaders::ACTIVATION, entry, storage).with("ACT", act.code() as f64)
}

/// y = act(x).
pub fn forward(gpu: &Gpu, act: Activation, x: &Tensor, y: &Tensor) -> Dispatch {
    assert_eq!(x.len(), y.len(), "activation input {:?} and output {:?} differ", x.shape(), y.shape());
    let params = Params { n: x.len() as u32, slope: act.slope() };
    // One texel (four values) per invocation.
    let spec = spec(act, "forward", &[Access::Texels, Access::ReadWrite]);
    gpu.dispatch(&spec, &params, &[x.buffer(), y.buffer()], grid_1d(x.len().div_ceil(4), ELEMENTWISE_WORKGROUP))
}

/// dx = dy * act'(x), from y = act(x).
pub fn backward(gpu: &Gpu, act: Activation, y: &Tensor, dy: &Tensor, dx: &Tensor) -> Dispatch {
    assert!(y.len() == dy.len() && y.len() == dx.len(), "activation backward: y, dy and dx differ in size");
    let params = Params { n: y.len() as u32, slope: act.slope() };
    let spec = spec(act, "backward", &[Access::Texels, Access::Texels, Access::ReadWrite]);
    // One texel (four values) per invocation.
    let groups = grid_1d(y.len().div_ceil(4), ELEMENTWISE_WORKGROUP);
    gpu.dispatch(&spec, &params, &[y.buffer(), dy.buffer(), dx.buffer()], groups)
}

pub mod reference {
    use super::Activation;

    pub fn activate(act: Activation, x: f32) -> f32 {
        match act {
            Activation::Identity => x,
            Activation::Relu => x.max(0.0),
            Activation::LeakyRelu { slope } => {
                if x > 0.0 {
                    x
                } else {
                    x * slope
                }
            }
            Activation::Sigmoid => 1.0 / (1.0 + (-x).exp()),
            Activation::Tanh => x.tanh(),
        }
    }

    pub fn derivative_from_output(act: Activation, y: f32) -> f32 {
        match act {
            Activation::Identity => 1.0,
            Activation::Relu => (y > 0.0) as u8 as f32,
            Activation::LeakyRelu { slope } => {
                if y > 0.0 {
                    1.0
                } else {
                    slope
                }
            }
            Activation::Sigmoid => y * (1.0 - y),
            Activation::Tanh => 1.0 - y * y,
        }
    }

    pub fn forward(act: Activation, x: &[f32]) -> Vec<f32> {
        x.iter().map(|&v| activate(act, v)).collect()
    }

    pub fn backward(act: Activation, y: &[f32], dy: &[f32]) -> Vec<f32> {
        y.iter().zip(dy).map(|(&y, &g)| g * derivative_from_output(act, y)).collect()
    }
}
