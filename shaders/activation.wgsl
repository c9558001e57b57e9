// Element-wise activations: forward (x -> y) and backward (y, dy -> dx). ACT picks the function.

override ACT: u32 = ACT_RELU;

struct Params { n: u32, slope: f32 }

@group(0) @binding(0) var<uniform> p: Params;


@group(0) @binding(1) var<storage, read> fwd_x: array<f32>;
@group(0) @binding(2) var<storage, read_write> fwd_y: array<f32>;

@compute @workgroup_size(256)
fn forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
    let i = flat_index(gid, groups);
    if i < p.n { fwd_y[i] = activate(ACT, fwd_x[i], p.slope); }
}

@group(0) @binding(1) var<storage, read> bwd_y: array<f32>;
@group(0) @binding(2) var<storage, read> bwd_dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> bwd_dx: array<f32>;

@compute @workgroup_size(256)
fn backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
    let i = flat_index(gid, groups);
    if i < p.n { bwd_dx[i] = activate_backward(ACT, bwd_y[i], bwd_dy[i], p.slope); }
}
