// maxout.wgsl's f32 inputs as texel copies (Access::Texels, shaders/common/texels.wgsl).

@group(0) @binding(1) var fwd_pieces: texture_2d<f32>;
fn fwd_pieces_quad(t: u32) -> vec4<f32> { return texel(fwd_pieces, t); }

@group(0) @binding(1) var bwd_units: texture_2d<f32>;
fn bwd_units_quad(t: u32) -> vec4<f32> { return texel(bwd_units, t); }
