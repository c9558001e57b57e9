// SGD with momentum, as torch.optim.SGD (dampening 0, not Nesterov):
//   g = grad + weight_decay * param;  v = momentum * v + g;  param -= lr * v.
// Starting from v = 0 this equals PyTorch's first step, which sets v = g.
// The hyper-parameters live in a GPU buffer shared by all of an optimizer's tensors, so the
// learning-rate schedule runs on the GPU too. An invocation updates four values (tensors are padded
// to 16 bytes; padding stays 0) and loads the hyper-parameters once: llvmpipe pays for every
// storage access lane by lane, so fewer, wider accesses are what make this kernel fast there.

struct Hyper { lr: f32, momentum: f32, weight_decay: f32, lr_decay: f32, lr_min: f32 }
struct Params { quads: u32 }

@group(0) @binding(0) var<uniform> p: Params;

@group(0) @binding(1) var<storage, read> hyper: Hyper;
@group(0) @binding(2) var<storage, read_write> param: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> grad: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> velocity: array<vec4<f32>>;

@compute @workgroup_size(256)
fn update(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
    let i = flat_index(gid, groups);
    if i >= p.quads { return; }
    let h = hyper;
    let w = param[i];
    let g = grad[i] + h.weight_decay * w;
    let v = h.momentum * velocity[i] + g;
    velocity[i] = v;
    param[i] = w - h.lr * v;
}

@group(0) @binding(1) var<storage, read_write> schedule: Hyper;

// After each step: lr = max(lr / lr_decay, lr_min) (lr_decay = 1 keeps lr constant).
@compute @workgroup_size(1)
fn decay() {
    schedule.lr = max(schedule.lr / schedule.lr_decay, schedule.lr_min);
}
