// dropout.wgsl's input as a texel copy (Access::Texels, shaders/common/texels.wgsl).

@group(0) @binding(2) var input: texture_2d<f32>;
fn input_quad(t: u32) -> vec4<f32> { return texel(input, t); }
