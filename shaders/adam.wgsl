// Adam with bias correction, as torch.optim.Adam (L2 weight decay added to the gradient):
//   m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g²;
//   param -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps).
// The hyper-parameters and the step t live in a GPU buffer; `tick` advances t once per step,
// before the updates of that step. Four values per invocation and one load of the hyper-parameters,
// as in sgd.wgsl.

struct Hyper { lr: f32, beta1: f32, beta2: f32, eps: f32, weight_decay: f32, step: u32 }
struct Params { quads: u32 }

@group(0) @binding(0) var<uniform> p: Params;

@group(0) @binding(1) var<storage, read> hyper: Hyper;
@group(0) @binding(2) var<storage, read_write> param: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> grad: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> m: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> v: array<vec4<f32>>;

@compute @workgroup_size(256)
fn update(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
    let i = flat_index(gid, groups);
    if i >= p.quads { return; }
    let h = hyper;
    let t = f32(h.step);
    let w = param[i];
    let g = grad[i] + h.weight_decay * w;
    let m_old = m[i];
    let m_new = m_old + (1.0 - h.beta1) * (g - m_old);
    let v_new = h.beta2 * v[i] + (1.0 - h.beta2) * g * g;
    m[i] = m_new;
    v[i] = v_new;
    let step_size = h.lr / (1.0 - pow(h.beta1, t));
    let denom = sqrt(v_new) / sqrt(1.0 - pow(h.beta2, t)) + h.eps;
    param[i] = w - step_size * m_new / denom;
}

@group(0) @binding(1) var<storage, read_write> counter: Hyper;

@compute @workgroup_size(1)
fn tick() {
    counter.step += 1u;
}
