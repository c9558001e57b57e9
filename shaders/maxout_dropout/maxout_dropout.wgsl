// Maxout followed by inverted dropout of its units, in one dispatch each way: what maxout.wgsl and
// then dropout.wgsl compute, value for value (the same expressions, so the same bits), with one
// dispatch and one pass over the units fewer. Both kernels still write the units before dropout
// (forward) and their gradient (backward), so every tensor of a step holds what the two kernels
// apart would leave there. The mask of unit i is the dropout's mask `offset + i`, as dropout.wgsl
// draws it, forward and backward alike.

struct Params { rows: u32, units: u32, k: u32, seed: u32, stream: u32, keep: f32, scale: f32, offset: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> clock: array<u32>;

fn dropped(value: f32, step: u32, i: u32) -> f32 {
    let kept = unit_float(random_bits(p.seed, p.stream, step, p.offset + i).x) < p.keep;
    return select(0.0, value * p.scale, kept);
}

@group(0) @binding(3) var<storage, read_write> fwd_units: array<f32>;
@group(0) @binding(4) var<storage, read_write> fwd_argmax: array<u32>;
@group(0) @binding(5) var<storage, read_write> fwd_dropped: array<f32>;

// `winner` and `route_to_winner` come from common/maxout.wgsl, as in maxout.wgsl. The clock is
// loaded before any branch, where llvmpipe loads it once for all lanes.
@compute @workgroup_size(256)
fn forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
    let step = clock[0];
    let i = flat_index(gid, groups);
    if i >= p.rows * p.units { return; }
    let best = winner(i * p.k);
    fwd_units[i] = best.value;
    fwd_argmax[i] = best.index;
    fwd_dropped[i] = dropped(best.value, step, i);
}

@group(0) @binding(3) var<storage, read> bwd_argmax: array<u32>;
@group(0) @binding(4) var<storage, read_write> bwd_units: array<f32>;
@group(0) @binding(5) var<storage, read_write> bwd_pieces: array<f32>;

fn dropped_gradient(i: u32) -> f32 { return bwd_dropped_quad(i >> 2u)[i & 3u]; }

// bwd_dropped holds dL/d(dropout's output); bwd_units receives dL/d(units), the dropout's backward,
// and bwd_pieces dL/dz: the unit's gradient at its winner, 0 elsewhere.
@compute @workgroup_size(256)
fn backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
    let step = clock[0];
    let i = flat_index(gid, groups);
    if i >= p.rows * p.units { return; }
    let dy = dropped(dropped_gradient(i), step, i);
    bwd_units[i] = dy;
    route_to_winner(i, dy);
}
