// Adam with bias correction, as torch.optim.Adam (L2 weight decay added to the gradient):
//   m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g²;
//   param -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps).
// The hyper-parameters and the step t live in a GPU buffer; `tick` advances t once per step,
// before the updates of that step. Four values per invocation, the old values read through a
// binding module beside this file (texel copies, 1_reads_texels.wgsl, or the updated buffers
// themselves, 2_reads_storage.wgsl) and the hyper-parameters loaded before any branch, as in
// sgd.wgsl.

struct Hyper { lr: f32, beta1: f32, beta2: f32, eps: f32, weight_decay: f32, step: u32 }
struct Params { quads: u32 }

@group(0) @binding(0) var<uniform> p: Params;

@group(0) @binding(1) var<storage, read> hyper: Hyper;
@group(0) @binding(6) var<storage, read_write> param: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> m: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read_write> v: array<vec4<f32>>;

@compute @workgroup_size(256)
fn update(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
    let h = hyper;
    let t = f32(h.step);
    let step_size = h.lr / (1.0 - pow(h.beta1, t));
    let bias_correction2_sqrt = sqrt(1.0 - pow(h.beta2, t));
    let i = flat_index(gid, groups);
    if i >= p.quads { return; }
    let w = old_param_quad(i);
    let g = grad_quad(i) + h.weight_decay * w;
    let m_prev = old_m_quad(i);
    let m_new = m_prev + (1.0 - h.beta1) * (g - m_prev);
    let v_new = h.beta2 * old_v_quad(i) + (1.0 - h.beta2) * g * g;
    m[i] = m_new;
    v[i] = v_new;
    let denom = sqrt(v_new) / bias_correction2_sqrt + h.eps;
    param[i] = w - step_size * m_new / denom;
}

@group(0) @binding(1) var<storage, read_write> counter: Hyper;

@compute @workgroup_size(1)
fn tick() {
    counter.step += 1u;
}
