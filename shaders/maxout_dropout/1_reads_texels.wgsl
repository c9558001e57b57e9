// maxout_dropout.wgsl's f32 inputs as texel copies (Access::Texels, shaders/common/texels.wgsl).

@group(0) @binding(2) var fwd_pieces: texture_2d<f32>;
fn fwd_pieces_quad(t: u32) -> vec4<f32> { return texel(fwd_pieces, t); }

@group(0) @binding(2) var bwd_dropped: texture_2d<f32>;
fn bwd_dropped_quad(t: u32) -> vec4<f32> { return texel(bwd_dropped, t); }
