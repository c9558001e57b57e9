// maxout_dropout.wgsl's f32 inputs read from their storage buffers (Access::Texels bound as Access::Read).

@group(0) @binding(2) var<storage, read> fwd_pieces: array<vec4<f32>>;
fn fwd_pieces_quad(t: u32) -> vec4<f32> { return fwd_pieces[t]; }

@group(0) @binding(2) var<storage, read> bwd_dropped: array<vec4<f32>>;
fn bwd_dropped_quad(t: u32) -> vec4<f32> { return bwd_dropped[t]; }
