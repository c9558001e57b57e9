// sgd.wgsl's inputs as texel copies (shaders/common/texels.wgsl): the old param and velocity
// (Access::OldValues) and grad (Access::Texels).

@group(0) @binding(2) var param_old: texture_2d<f32>;
@group(0) @binding(3) var grad: texture_2d<f32>;
@group(0) @binding(4) var velocity_old: texture_2d<f32>;
fn old_param_quad(i: u32) -> vec4<f32> { return texel(param_old, i); }
fn grad_quad(i: u32) -> vec4<f32> { return texel(grad, i); }
fn old_velocity_quad(i: u32) -> vec4<f32> { return texel(velocity_old, i); }
