// adam.wgsl's inputs read from storage: param, m and v from the buffers the kernel updates (read
// before written; bindings 2, 4 and 5, Access::OldValues, are not bound), grad from its buffer
// (Access::Texels bound as Access::Read).

@group(0) @binding(3) var<storage, read> grad: array<vec4<f32>>;
fn old_param_quad(i: u32) -> vec4<f32> { return param[i]; }
fn grad_quad(i: u32) -> vec4<f32> { return grad[i]; }
fn old_m_quad(i: u32) -> vec4<f32> { return m[i]; }
fn old_v_quad(i: u32) -> vec4<f32> { return v[i]; }
