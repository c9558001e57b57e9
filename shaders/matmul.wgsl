// C = op(A) · op(B) (+ bias per column), then an activation: the linear layers' forward pass
// (X·W + b, act), and their backward passes dX = dY·Wᵀ (TRANS_B) and dW = Xᵀ·dY (TRANS_A).
// op(A) is M×K, op(B) is K×N, C is M×N, all row-major.
//
// Each invocation computes an 8×8 block of C, as 2×2 blocks of 4×4, each a 4×4 matrix product per
// step of 4 along K: 256 multiply-adds per 64 values loaded. Buffers are read as vec4s (tensors are
// padded to 16 bytes), so where the shapes keep every 4-run inside one vec4 (ALIGNED, chosen by the
// host) a block edge is one load; otherwise the same code reads element by element. There is no
// workgroup memory and no barrier. On llvmpipe, which runs invocations as SIMD lanes, a load costs
// per lane and per element while multiply-adds are nearly free, so the work per value loaded decides
// the speed: 4×4 blocks per invocation ran at 0.9 GFLOP/s there, 8×8 at 1.8 (`cargo bench`).
// Rows and columns past the edge read clamped addresses and are not written.

override TRANS_A: bool = false;
override TRANS_B: bool = false;
override HAS_BIAS: bool = false;
override ALIGNED: bool = false;
override ACT: u32 = ACT_NONE;

struct Params { m: u32, n: u32, k: u32, slope: f32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> b: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> bias: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;

fn a_at(i: u32) -> f32 { return a[i >> 2u][i & 3u]; }
fn b_at(i: u32) -> f32 { return b[i >> 2u][i & 3u]; }

// Elements base + offsets of A (or B): one load when aligned and the offsets are 0, 1, 2, 3.
fn a_quad(base: u32, offsets: vec4u) -> vec4<f32> {
    if ALIGNED { return a[(base + offsets.x) >> 2u]; }
    return vec4(a_at(base + offsets.x), a_at(base + offsets.y), a_at(base + offsets.z), a_at(base + offsets.w));
}

fn b_quad(base: u32, offsets: vec4u) -> vec4<f32> {
    if ALIGNED { return b[(base + offsets.x) >> 2u]; }
    return vec4(b_at(base + offsets.x), b_at(base + offsets.y), b_at(base + offsets.z), b_at(base + offsets.w));
}

const RUN = vec4u(0u, 1u, 2u, 3u);

// op(A)[rows, k..k+4] as a matrix whose column j is op(A)[rows, k + j].
fn a_block(rows: vec4u, k: u32) -> mat4x4<f32> {
    if TRANS_A {
        // A is K×M: a row of A holds a column of op(A).
        return mat4x4(a_quad(k * p.m, rows), a_quad((k + 1u) * p.m, rows), a_quad((k + 2u) * p.m, rows), a_quad((k + 3u) * p.m, rows));
    }
    return transpose(mat4x4(a_quad(rows.x * p.k + k, RUN), a_quad(rows.y * p.k + k, RUN), a_quad(rows.z * p.k + k, RUN), a_quad(rows.w * p.k + k, RUN)));
}

// op(B)[k..k+4, cols] as a matrix whose column j is op(B)[k..k+4, cols[j]].
fn b_block(k: u32, cols: vec4u) -> mat4x4<f32> {
    if TRANS_B {
        // B is N×K: a row of B holds a column of op(B).
        return mat4x4(b_quad(cols.x * p.k + k, RUN), b_quad(cols.y * p.k + k, RUN), b_quad(cols.z * p.k + k, RUN), b_quad(cols.w * p.k + k, RUN));
    }
    return transpose(mat4x4(b_quad(k * p.n, cols), b_quad((k + 1u) * p.n, cols), b_quad((k + 2u) * p.n, cols), b_quad((k + 3u) * p.n, cols)));
}

fn op_a(row: u32, k: u32) -> f32 {
    if TRANS_A { return a_at(k * p.m + row); }
    return a_at(row * p.k + k);
}

fn op_b(k: u32, col: u32) -> f32 {
    if TRANS_B { return b_at(col * p.k + k); }
    return b_at(k * p.n + col);
}

fn store_row(row: u32, cols: vec4u, values: vec4<f32>) {
    if row >= p.m { return; }
    for (var j = 0u; j < 4u; j++) {
        let col = cols[j];
        if col >= p.n { return; }
        var v = values[j];
        if HAS_BIAS { v += bias[col >> 2u][col & 3u]; }
        c[row * p.n + col] = activate(ACT, v, p.slope);
    }
}

fn store_block(row0: u32, col0: u32, acc: mat4x4<f32>) {
    let out = transpose(acc);
    let cols = vec4u(col0) + RUN;
    store_row(row0, cols, out[0]);
    store_row(row0 + 1u, cols, out[1]);
    store_row(row0 + 2u, cols, out[2]);
    store_row(row0 + 3u, cols, out[3]);
}

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) gid: vec3u) {
    let row0 = gid.y * 8u;
    let col0 = gid.x * 8u;
    if row0 >= p.m || col0 >= p.n { return; }
    let last_row = vec4u(p.m - 1u);
    let last_col = vec4u(p.n - 1u);
    let rows0 = min(vec4u(row0) + RUN, last_row);
    let rows1 = min(vec4u(row0 + 4u) + RUN, last_row);
    let cols0 = min(vec4u(col0) + RUN, last_col);
    let cols1 = min(vec4u(col0 + 4u) + RUN, last_col);
    var acc00 = mat4x4<f32>();
    var acc01 = mat4x4<f32>();
    var acc10 = mat4x4<f32>();
    var acc11 = mat4x4<f32>();
    var k = 0u;
    for (; k + 4u <= p.k; k += 4u) {
        let a0 = a_block(rows0, k);
        let a1 = a_block(rows1, k);
        let b0 = b_block(k, cols0);
        let b1 = b_block(k, cols1);
        acc00 += a0 * b0;
        acc01 += a0 * b1;
        acc10 += a1 * b0;
        acc11 += a1 * b1;
    }
    for (; k < p.k; k++) {
        let a0 = vec4(op_a(rows0.x, k), op_a(rows0.y, k), op_a(rows0.z, k), op_a(rows0.w, k));
        let a1 = vec4(op_a(rows1.x, k), op_a(rows1.y, k), op_a(rows1.z, k), op_a(rows1.w, k));
        let b0 = vec4(op_b(k, cols0.x), op_b(k, cols0.y), op_b(k, cols0.z), op_b(k, cols0.w));
        let b1 = vec4(op_b(k, cols1.x), op_b(k, cols1.y), op_b(k, cols1.z), op_b(k, cols1.w));
        acc00 += mat4x4(a0 * b0.x, a0 * b0.y, a0 * b0.z, a0 * b0.w);
        acc01 += mat4x4(a0 * b1.x, a0 * b1.y, a0 * b1.z, a0 * b1.w);
        acc10 += mat4x4(a1 * b0.x, a1 * b0.y, a1 * b0.z, a1 * b0.w);
        acc11 += mat4x4(a1 * b1.x, a1 * b1.y, a1 * b1.z, a1 * b1.w);
    }
    store_block(row0, col0, acc00);
    store_block(row0, col0 + 4u, acc01);
    store_block(row0 + 4u, col0, acc10);
    store_block(row0 + 4u, col0 + 4u, acc11);
}
