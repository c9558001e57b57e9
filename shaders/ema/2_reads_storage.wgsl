// ema.wgsl's inputs read from storage: param from its buffer (Access::Texels bound as
// Access::Read), the old average from the buffer the kernel updates (read before written; binding
// 2, Access::OldValues, is not bound).

@group(0) @binding(1) var<storage, read> param: array<vec4<f32>>;
fn param_quad(i: u32) -> vec4<f32> { return param[i]; }
fn old_average_quad(i: u32) -> vec4<f32> { return average[i]; }
