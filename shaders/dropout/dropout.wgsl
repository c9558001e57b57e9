// Inverted dropout: out = input * mask * scale, where the mask keeps a value with probability
// `keep` and scale = 1 / keep (computed on the host, so the product is rounded the same everywhere). Forward applies it to x, backward to dy: the mask is recomputed from
// (seed, stream, clock[0], offset + index), so nothing is stored between the two. The offset lets a
// pass over some rows of a batch draw the masks another pass drew for those rows.

struct Params { n: u32, seed: u32, stream: u32, keep: f32, scale: f32, offset: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> clock: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

fn dropped(value: f32, step: u32, i: u32) -> f32 {
    let kept = unit_float(random_bits(p.seed, p.stream, step, p.offset + i).x) < p.keep;
    return select(0.0, value * p.scale, kept);
}

// Four values of the input per invocation, read as in activation.wgsl (`input_quad` comes from
// 1_reads_texels.wgsl or 2_reads_storage.wgsl); the clock is loaded before any branch, where
// llvmpipe loads it once for all lanes.
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
    let step = clock[0];
    let t = flat_index(gid, groups);
    let first = t * 4u;
    if first >= p.n { return; }
    let x = input_quad(t);
    out[first] = dropped(x.x, step, first);
    if first + 1u < p.n { out[first + 1u] = dropped(x.y, step, first + 1u); }
    if first + 2u < p.n { out[first + 2u] = dropped(x.z, step, first + 2u); }
    if first + 3u < p.n { out[first + 3u] = dropped(x.w, step, first + 3u); }
}
