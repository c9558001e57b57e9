// Element-wise activations: forward (x -> y) and backward (y, dy -> dx). ACT picks the function.
// An invocation handles four values of its inputs (one texel, or one vec4 of storage), read through
// the `*_quad` functions of one of the two binding modules beside this file: 1_reads_texels.wgsl
// (llvmpipe fetches texels for all lanes at once but reads storage lane by lane) or
// 2_reads_storage.wgsl (no copies: real GPUs). Values past n (the padding of the last quad) are not
// written.

override ACT: u32 = ACT_RELU;

struct Params { n: u32, slope: f32 }

@group(0) @binding(0) var<uniform> p: Params;

@group(0) @binding(2) var<storage, read_write> fwd_y: array<f32>;

@compute @workgroup_size(256)
fn forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
    let t = flat_index(gid, groups);
    let first = t * 4u;
    if first >= p.n { return; }
    let x = fwd_x_quad(t);
    fwd_y[first] = activate(ACT, x.x, p.slope);
    if first + 1u < p.n { fwd_y[first + 1u] = activate(ACT, x.y, p.slope); }
    if first + 2u < p.n { fwd_y[first + 2u] = activate(ACT, x.z, p.slope); }
    if first + 3u < p.n { fwd_y[first + 3u] = activate(ACT, x.w, p.slope); }
}

@group(0) @binding(3) var<storage, read_write> bwd_dx: array<f32>;

@compute @workgroup_size(256)
fn backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
    let t = flat_index(gid, groups);
    let first = t * 4u;
    if first >= p.n { return; }
    let y = bwd_y_quad(t);
    let dy = bwd_dy_quad(t);
    bwd_dx[first] = activate_backward(ACT, y.x, dy.x, p.slope);
    if first + 1u < p.n { bwd_dx[first + 1u] = activate_backward(ACT, y.y, dy.y, p.slope); }
    if first + 2u < p.n { bwd_dx[first + 2u] = activate_backward(ACT, y.z, dy.z, p.slope); }
    if first + 3u < p.n { bwd_dx[first + 3u] = activate_backward(ACT, y.w, dy.w, p.slope); }
}
