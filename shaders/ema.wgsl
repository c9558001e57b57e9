// An exponential moving average of parameters, as the usual PyTorch loop writes it:
//   average = decay * average + (1 - decay) * param   (average.mul_(decay).add_(param, alpha=1 - decay)).
// Decay 0 copies param exactly. Four values per invocation; the old values are read as texels (or
// from the average itself, where storage reads are chosen), as in sgd.wgsl.

struct Params { quads: u32, decay: f32 }

@group(0) @binding(0) var<uniform> p: Params;

@group(0) @binding(1) var param: texture_2d<f32>;
@group(0) @binding(2) var average_old: texture_2d<f32>;
@group(0) @binding(3) var<storage, read_write> average: array<vec4<f32>>;

@compute @workgroup_size(256)
fn update(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
    let decay = p.decay;
    let i = flat_index(gid, groups);
    if i >= p.quads { return; }
    average[i] = decay * texel(average_old, i) + (1.0 - decay) * texel(param, i);
}
