// reduce.wgsl's input read from its storage buffer (Access::Texels bound as Access::Read).

@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
fn x_quad(t: u32) -> vec4<f32> { return x[t]; }
