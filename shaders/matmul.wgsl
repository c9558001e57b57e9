// C = op(A) · op(B) (+ bias per column), then an activation: the linear layers' forward pass
// (X·W + b, act), and their backward passes dX = dY·Wᵀ (TRANS_B) and dW = Xᵀ·dY (TRANS_A).
// op(A) is M×K, op(B) is K×N, C is M×N, all row-major.
//
// Each workgroup computes a 64×64 tile of C; each of its 16×16 invocations a 4×4 block held in
// registers. K is walked in slices of 16, staged in workgroup memory so every loaded value is
// used 64 times.

override TRANS_A: bool = false;
override TRANS_B: bool = false;
override HAS_BIAS: bool = false;
override ACT: u32 = ACT_NONE;

struct Params { m: u32, n: u32, k: u32, slope: f32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;

const TILE: u32 = 64u;
const SLICE: u32 = 16u;
const BLOCKS: u32 = 16u; // TILE / 4: 4-wide blocks across a tile

// a_tile[kk * BLOCKS + i] holds op(A) rows 4i..4i+3 of the tile at depth kk; b_tile likewise columns.
var<workgroup> a_tile: array<vec4<f32>, 256>;
var<workgroup> b_tile: array<vec4<f32>, 256>;

fn op_a(row: u32, col: u32) -> f32 {
    if row >= p.m || col >= p.k { return 0.0; }
    if TRANS_A { return a[col * p.m + row]; }
    return a[row * p.k + col];
}

fn op_b(row: u32, col: u32) -> f32 {
    if row >= p.k || col >= p.n { return 0.0; }
    if TRANS_B { return b[col * p.k + row]; }
    return b[row * p.n + col];
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
    let tid = lid.y * 16u + lid.x;
    let row0 = wg.y * TILE;
    let col0 = wg.x * TILE;
    // Staging order follows memory order, so neighbouring invocations read neighbouring addresses.
    let a_kk = select(tid % SLICE, tid / BLOCKS, TRANS_A);
    let a_i = select(tid / SLICE, tid % BLOCKS, TRANS_A);
    let b_kk = select(tid / BLOCKS, tid % SLICE, TRANS_B);
    let b_j = select(tid % BLOCKS, tid / SLICE, TRANS_B);

    var acc: array<vec4<f32>, 4>;
    for (var k0 = 0u; k0 < p.k; k0 += SLICE) {
        let ar = row0 + a_i * 4u;
        let ak = k0 + a_kk;
        a_tile[a_kk * BLOCKS + a_i] = vec4(op_a(ar, ak), op_a(ar + 1u, ak), op_a(ar + 2u, ak), op_a(ar + 3u, ak));
        let bk = k0 + b_kk;
        let bc = col0 + b_j * 4u;
        b_tile[b_kk * BLOCKS + b_j] = vec4(op_b(bk, bc), op_b(bk, bc + 1u), op_b(bk, bc + 2u), op_b(bk, bc + 3u));
        workgroupBarrier();
        for (var kk = 0u; kk < SLICE; kk++) {
            let av = a_tile[kk * BLOCKS + lid.y];
            let bv = b_tile[kk * BLOCKS + lid.x];
            acc[0] += av.x * bv;
            acc[1] += av.y * bv;
            acc[2] += av.z * bv;
            acc[3] += av.w * bv;
        }
        workgroupBarrier();
    }

    for (var i = 0u; i < 4u; i++) {
        let row = row0 + lid.y * 4u + i;
        if row >= p.m { break; }
        for (var j = 0u; j < 4u; j++) {
            let col = col0 + lid.x * 4u + j;
            if col >= p.n { break; }
            var v = acc[i][j];
            if HAS_BIAS { v += bias[col]; }
            c[row * p.n + col] = activate(ACT, v, p.slope);
        }
    }
}
