// activation.wgsl's inputs as texel copies (Access::Texels, shaders/common/texels.wgsl).

@group(0) @binding(1) var fwd_x: texture_2d<f32>;
fn fwd_x_quad(t: u32) -> vec4<f32> { return texel(fwd_x, t); }

@group(0) @binding(1) var bwd_y: texture_2d<f32>;
@group(0) @binding(2) var bwd_dy: texture_2d<f32>;
fn bwd_y_quad(t: u32) -> vec4<f32> { return texel(bwd_y, t); }
fn bwd_dy_quad(t: u32) -> vec4<f32> { return texel(bwd_dy, t); }
