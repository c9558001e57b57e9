// An exponential moving average of parameters, as the usual PyTorch loop writes it:
//   average = decay * average + (1 - decay) * param   (average.mul_(decay).add_(param, alpha=1 - decay)).
// Decay 0 copies param exactly, and so does every step before `from_step` (the step counter, clock[0]):
// an average that starts later follows G until then. Four values per invocation; the old values are
// read through a binding module beside this file (texel copies, 1_reads_texels.wgsl, or the average
// itself, 2_reads_storage.wgsl), as in sgd.wgsl. The clock is loaded before any branch, where
// llvmpipe loads it once for all lanes.

struct Params { quads: u32, decay: f32, from_step: u32 }

@group(0) @binding(0) var<uniform> p: Params;

@group(0) @binding(3) var<storage, read_write> average: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> clock: array<u32>;

@compute @workgroup_size(256)
fn update(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
    let decay = select(0.0, p.decay, clock[0] >= p.from_step);
    let i = flat_index(gid, groups);
    if i >= p.quads { return; }
    average[i] = decay * old_average_quad(i) + (1.0 - decay) * param_quad(i);
}
