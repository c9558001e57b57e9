// Maxout (Goodfellow et al. 2013): unit u of row r is the max over its k pieces
// z[r, u*k .. u*k+k), the pieces being the outputs of the preceding linear layer.
// Forward keeps the winning piece's index; backward routes each unit's gradient to that piece.
// Both run one invocation per unit and read their f32 inputs four at a time through the `*_quad`
// functions of a binding module beside this file: texel copies (1_reads_texels.wgsl), which llvmpipe
// fetches for all lanes at once, or the storage buffers themselves (2_reads_storage.wgsl).

struct Params { rows: u32, units: u32, k: u32 }

@group(0) @binding(0) var<uniform> p: Params;

@group(0) @binding(2) var<storage, read_write> fwd_units: array<f32>;
@group(0) @binding(3) var<storage, read_write> fwd_argmax: array<u32>;

// `winner` and `route_to_winner` come from common/maxout.wgsl.
@compute @workgroup_size(256)
fn forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
    let i = flat_index(gid, groups);
    if i >= p.rows * p.units { return; }
    let best = winner(i * p.k);
    fwd_units[i] = best.value;
    fwd_argmax[i] = best.index;
}

@group(0) @binding(2) var<storage, read> bwd_argmax: array<u32>;
@group(0) @binding(3) var<storage, read_write> bwd_pieces: array<f32>;

fn unit_gradient(i: u32) -> f32 { return bwd_units_quad(i >> 2u)[i & 3u]; }

// bwd_units holds dL/dy, bwd_pieces receives dL/dz: the unit's gradient at its winner, 0 elsewhere.
@compute @workgroup_size(256)
fn backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
    let i = flat_index(gid, groups);
    if i >= p.rows * p.units { return; }
    route_to_winner(i, unit_gradient(i));
}
