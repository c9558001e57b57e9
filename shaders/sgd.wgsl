// SGD with momentum, as torch.optim.SGD (dampening 0, not Nesterov):
//   g = grad + weight_decay * param;  v = momentum * v + g;  param -= lr * v.
// Starting from v = 0 this equals PyTorch's first step, which sets v = g.
// The hyper-parameters live in a GPU buffer shared by all of an optimizer's tensors, so the
// learning-rate schedule runs on the GPU too.

struct Hyper { lr: f32, momentum: f32, weight_decay: f32, lr_decay: f32, lr_min: f32 }
struct Params { n: u32 }

@group(0) @binding(0) var<uniform> p: Params;

@group(0) @binding(1) var<storage, read> hyper: Hyper;
@group(0) @binding(2) var<storage, read_write> param: array<f32>;
@group(0) @binding(3) var<storage, read> grad: array<f32>;
@group(0) @binding(4) var<storage, read_write> velocity: array<f32>;

@compute @workgroup_size(256)
fn update(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
    let i = flat_index(gid, groups);
    if i >= p.n { return; }
    let g = grad[i] + hyper.weight_decay * param[i];
    let v = hyper.momentum * velocity[i] + g;
    velocity[i] = v;
    param[i] -= hyper.lr * v;
}

@group(0) @binding(1) var<storage, read_write> schedule: Hyper;

// After each step: lr = max(lr / lr_decay, lr_min) (lr_decay = 1 keeps lr constant).
@compute @workgroup_size(1)
fn decay() {
    schedule.lr = max(schedule.lr / schedule.lr_decay, schedule.lr_min);
}
