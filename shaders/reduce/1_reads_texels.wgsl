// reduce.wgsl's input as a texel copy (Access::Texels, shaders/common/texels.wgsl).

@group(0) @binding(1) var x: texture_2d<f32>;
fn x_quad(t: u32) -> vec4<f32> { return texel(x, t); }
