// Inverted dropout: out = input * mask * scale, where the mask keeps a value with probability
// `keep` and scale = 1 / keep (computed on the host, so the product is rounded the same everywhere). Forward applies it to x, backward to dy: the mask is recomputed from
// (seed, stream, clock[0], index), so nothing is stored between the two.

struct Params { n: u32, seed: u32, stream: u32, keep: f32, scale: f32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> clock: array<u32>;
@group(0) @binding(2) var<storage, read> input: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
    let i = flat_index(gid, groups);
    if i >= p.n { return; }
    let kept = unit_float(random_bits(p.seed, p.stream, clock[0], i).x) < p.keep;
    out[i] = select(0.0, input[i] * p.scale, kept);
}
