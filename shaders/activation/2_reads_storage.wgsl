// activation.wgsl's inputs read from their storage buffers (Access::Texels bound as Access::Read).

@group(0) @binding(1) var<storage, read> fwd_x: array<vec4<f32>>;
fn fwd_x_quad(t: u32) -> vec4<f32> { return fwd_x[t]; }

@group(0) @binding(1) var<storage, read> bwd_y: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> bwd_dy: array<vec4<f32>>;
fn bwd_y_quad(t: u32) -> vec4<f32> { return bwd_y[t]; }
fn bwd_dy_quad(t: u32) -> vec4<f32> { return bwd_dy[t]; }
