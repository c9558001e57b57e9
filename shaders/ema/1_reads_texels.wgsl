// ema.wgsl's inputs as texel copies (shaders/common/texels.wgsl): param (Access::Texels) and the
// old average (Access::OldValues).

@group(0) @binding(1) var param: texture_2d<f32>;
@group(0) @binding(2) var average_old: texture_2d<f32>;
fn param_quad(i: u32) -> vec4<f32> { return texel(param, i); }
fn old_average_quad(i: u32) -> vec4<f32> { return texel(average_old, i); }
