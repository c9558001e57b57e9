// Adam with bias correction, as torch.optim.Adam (L2 weight decay added to the gradient):
//   m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g²;
//   param -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps).
// The hyper-parameters and the step t live in a GPU buffer; `tick` advances t once per step,
// before the updates of that step.

struct Hyper { lr: f32, beta1: f32, beta2: f32, eps: f32, weight_decay: f32, step: u32 }
struct Params { n: u32 }

@group(0) @binding(0) var<uniform> p: Params;

@group(0) @binding(1) var<storage, read> hyper: Hyper;
@group(0) @binding(2) var<storage, read_write> param: array<f32>;
@group(0) @binding(3) var<storage, read> grad: array<f32>;
@group(0) @binding(4) var<storage, read_write> m: array<f32>;
@group(0) @binding(5) var<storage, read_write> v: array<f32>;

@compute @workgroup_size(256)
fn update(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
    let i = flat_index(gid, groups);
    if i >= p.n { return; }
    let t = f32(hyper.step);
    let g = grad[i] + hyper.weight_decay * param[i];
    let m_new = m[i] + (1.0 - hyper.beta1) * (g - m[i]);
    let v_new = hyper.beta2 * v[i] + (1.0 - hyper.beta2) * g * g;
    m[i] = m_new;
    v[i] = v_new;
    let step_size = hyper.lr / (1.0 - pow(hyper.beta1, t));
    let denom = sqrt(v_new) / sqrt(1.0 - pow(hyper.beta2, t)) + hyper.eps;
    param[i] -= step_size * m_new / denom;
}

@group(0) @binding(1) var<storage, read_write> counter: Hyper;

@compute @workgroup_size(1)
fn tick() {
    counter.step += 1u;
}
