// SGD with momentum, as torch.optim.SGD (dampening 0, not Nesterov):
//   g = grad + weight_decay * param;  v = momentum * v + g;  param -= lr * v.
// Starting from v = 0 this equals PyTorch's first step, which sets v = g.
// The hyper-parameters live in a GPU buffer shared by all of an optimizer's tensors, so the
// learning-rate schedule runs on the GPU too. An invocation updates four values (tensors are padded
// to 16 bytes; padding stays 0). llvmpipe pays for every storage access lane by lane, so the kernel
// reads the old values as texels (copies of param, grad and velocity, see
// shaders/common/texels.wgsl) and touches storage only to write; where storage reads are chosen
// (real GPUs) its twin reads param and velocity themselves, with no copies (`Access::OldValues`).
// It loads the hyper-parameters before any branch, where llvmpipe makes that one load for all lanes.

struct Hyper { lr: f32, momentum: f32, weight_decay: f32, lr_decay: f32, lr_min: f32 }
struct Params { quads: u32 }

@group(0) @binding(0) var<uniform> p: Params;

@group(0) @binding(1) var<storage, read> hyper: Hyper;
@group(0) @binding(2) var param_old: texture_2d<f32>;
@group(0) @binding(3) var grad: texture_2d<f32>;
@group(0) @binding(4) var velocity_old: texture_2d<f32>;
@group(0) @binding(5) var<storage, read_write> param: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> velocity: array<vec4<f32>>;

@compute @workgroup_size(256)
fn update(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
    let h = hyper;
    let i = flat_index(gid, groups);
    if i >= p.quads { return; }
    let w = texel(param_old, i);
    let g = texel(grad, i) + h.weight_decay * w;
    let v = h.momentum * texel(velocity_old, i) + g;
    velocity[i] = v;
    param[i] = w - h.lr * v;
}

@group(0) @binding(1) var<storage, read_write> schedule: Hyper;

// After each step: lr = max(lr / lr_decay, lr_min) (lr_decay = 1 keeps lr constant).
@compute @workgroup_size(1)
fn decay() {
    schedule.lr = max(schedule.lr / schedule.lr_decay, schedule.lr_min);
}
