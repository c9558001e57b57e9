// SGD with momentum, as torch.optim.SGD (dampening 0, not Nesterov):
//   g = grad + weight_decay * param;  v = momentum * v + g;  param -= lr * v.
// Starting from v = 0 this equals PyTorch's first step, which sets v = g.
// The hyper-parameters live in a GPU buffer shared by all of an optimizer's tensors, so the
// learning-rate schedule runs on the GPU too. An invocation updates four values (tensors are padded
// to 16 bytes; padding stays 0). llvmpipe pays for every storage access lane by lane, so one binding
// module (1_reads_texels.wgsl) reads the old values from texel copies of param, grad and velocity
// and the kernel touches storage only to write; the other (2_reads_storage.wgsl, real GPUs) reads
// param and velocity themselves before writing them, and grad from its buffer, with no copies
// (`Access::OldValues`). The hyper-parameters are loaded before any branch, where llvmpipe makes
// that one load for all lanes.

struct Hyper { lr: f32, momentum: f32, weight_decay: f32, lr_decay: f32, lr_min: f32 }
struct Params { quads: u32 }

@group(0) @binding(0) var<uniform> p: Params;

@group(0) @binding(1) var<storage, read> hyper: Hyper;
@group(0) @binding(5) var<storage, read_write> param: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> velocity: array<vec4<f32>>;

@compute @workgroup_size(256)
fn update(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
    let h = hyper;
    let i = flat_index(gid, groups);
    if i >= p.quads { return; }
    let w = old_param_quad(i);
    let g = grad_quad(i) + h.weight_decay * w;
    let v = h.momentum * old_velocity_quad(i) + g;
    velocity[i] = v;
    param[i] = w - h.lr * v;
}

@group(0) @binding(1) var<storage, read_write> schedule: Hyper;

// After each step: lr = max(lr / lr_decay, lr_min) (lr_decay = 1 keeps lr constant).
@compute @workgroup_size(1)
fn decay() {
    schedule.lr = max(schedule.lr / schedule.lr_decay, schedule.lr_min);
}
