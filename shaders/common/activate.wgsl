// Activation functions, shared by activation/activation.wgsl and the fused epilogue of the matmul kernels.
// Backward passes are written in terms of the output y, so no pre-activation needs keeping.

const ACT_NONE: u32 = 0u;
const ACT_RELU: u32 = 1u;
const ACT_LEAKY_RELU: u32 = 2u;
const ACT_SIGMOID: u32 = 3u;
const ACT_TANH: u32 = 4u;

fn activate(act: u32, x: f32, slope: f32) -> f32 {
    switch act {
        case ACT_RELU: { return max(x, 0.0); }
        case ACT_LEAKY_RELU: { return select(x * slope, x, x > 0.0); }
        // exp(-x) overflows to inf for x < -88, which still gives the right limit 0.
        case ACT_SIGMOID: { return 1.0 / (1.0 + exp(-x)); }
        case ACT_TANH: { return tanh(x); }
        default: { return x; }
    }
}

// dL/dx from dL/dy and y = activate(x). LeakyReLU needs slope > 0 for y to tell the sides apart.
fn activate_backward(act: u32, y: f32, dy: f32, slope: f32) -> f32 {
    switch act {
        case ACT_RELU: { return select(0.0, dy, y > 0.0); }
        case ACT_LEAKY_RELU: { return select(dy * slope, dy, y > 0.0); }
        case ACT_SIGMOID: { return dy * y * (1.0 - y); }
        case ACT_TANH: { return dy * (1.0 - y * y); }
        default: { return dy; }
    }
}
