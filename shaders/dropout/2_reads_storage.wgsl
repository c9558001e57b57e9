// dropout.wgsl's input read from its storage buffer (Access::Texels bound as Access::Read).

@group(0) @binding(2) var<storage, read> input: array<vec4<f32>>;
fn input_quad(t: u32) -> vec4<f32> { return input[t]; }
