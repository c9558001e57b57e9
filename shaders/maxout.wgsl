// Maxout (Goodfellow et al. 2013): unit u of row r is the max over its k pieces
// z[r, u*k .. u*k+k), the pieces being the outputs of the preceding linear layer.
// Forward keeps the winning piece's index; backward routes each unit's gradient to that piece.

struct Params { rows: u32, units: u32, k: u32 }

@group(0) @binding(0) var<uniform> p: Params;


@group(0) @binding(1) var<storage, read> fwd_pieces: array<f32>;
@group(0) @binding(2) var<storage, read_write> fwd_units: array<f32>;
@group(0) @binding(3) var<storage, read_write> fwd_argmax: array<u32>;

// One invocation per unit. Ties go to the first piece, as torch.max does.
@compute @workgroup_size(256)
fn forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
    let i = flat_index(gid, groups);
    if i >= p.rows * p.units { return; }
    let first = i * p.k;
    var best = fwd_pieces[first];
    var arg = 0u;
    for (var j = 1u; j < p.k; j++) {
        let v = fwd_pieces[first + j];
        if v > best { best = v; arg = j; }
    }
    fwd_units[i] = best;
    fwd_argmax[i] = arg;
}

@group(0) @binding(1) var<storage, read> bwd_units: array<f32>;
@group(0) @binding(2) var<storage, read> bwd_argmax: array<u32>;
@group(0) @binding(3) var<storage, read_write> bwd_pieces: array<f32>;

// One invocation per piece: bwd_units holds dL/dy, bwd_pieces receives dL/dz.
@compute @workgroup_size(256)
fn backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
    let i = flat_index(gid, groups);
    if i >= p.rows * p.units * p.k { return; }
    let unit = i / p.k;
    bwd_pieces[i] = select(0.0, bwd_units[unit], bwd_argmax[unit] == i % p.k);
}
