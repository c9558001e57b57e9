// C = op(A) · op(B) (+ bias per column), then an activation: the linear layers' forward pass
// (X·W + b, act), and their backward passes dX = dY·Wᵀ (TRANS_B) and dW = Xᵀ·dY (TRANS_A).
// op(A) is M×K, op(B) is K×N, C is M×N, all row-major.
//
// Each invocation computes a 16×32 block of C as 4×8 blocks of 4×4, each a 4×4 matrix product per
// step of 4 along K: 2,048 multiply-adds per 192 values loaded. A and B are read as texels (the host
// copies them into rgba32float textures, see shaders/common/texels.wgsl), so where the shapes keep
// every 4-run inside one texel (ALIGNED, chosen by the host) a block edge is one load; otherwise the
// same code reads element by element. There is no workgroup memory and no barrier. On llvmpipe,
// which runs invocations as SIMD lanes, loads decide the speed: it reads a storage buffer lane by
// lane and element by element, but fetches a texel for all lanes at once. On the 64×784×1536
// product, storage-buffer reads gave 0.9 GFLOP/s with 4×4 blocks per invocation, 1.8 with 8×8, 3.0
// with 16×16 and 3.5 with 16×32 (a 64×64 shared-memory tiled kernel: 0.67); texels made the 16×32
// kernel 3.3 times as fast (`cargo bench --bench kernels`). The 32 accumulators are named, not an
// array: llvmpipe keeps a run-time indexed array in memory and reaches it per lane. Rows and columns
// past the edge read clamped addresses and are not written. (Real GPUs want smaller blocks per
// invocation; see the performance issue.) Products that would fill less than half of those blocks
// (a layer with one output, its weight gradient) take `small`, a 4×4 block per invocation.

override TRANS_A: bool = false;
override TRANS_B: bool = false;
override HAS_BIAS: bool = false;
override ALIGNED: bool = false;
override ACT: u32 = ACT_NONE;

// The shape comes from a storage buffer, not the uniform: lavapipe specialises a shader on uniform
// values that steer its loops and branches, and with some shapes (a power-of-two M, with TRANS_A)
// it recompiled the kernel at every dispatch (~60 ms each) and never freed the code (~5 MB each).
struct Params { slope: f32 }
struct Shape { m: u32, n: u32, k: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var a: texture_2d<f32>;
@group(0) @binding(2) var b: texture_2d<f32>;
@group(0) @binding(3) var<storage, read> bias: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;
@group(0) @binding(5) var<storage, read> shape: Shape;

// The shape, read once per invocation.
var<private> dims: Shape;

fn a_at(i: u32) -> f32 { return texel(a, i >> 2u)[i & 3u]; }
fn b_at(i: u32) -> f32 { return texel(b, i >> 2u)[i & 3u]; }

// Elements base + offsets of A (or B): one load when aligned and the offsets are 0, 1, 2, 3.
fn a_quad(base: u32, offsets: vec4u) -> vec4<f32> {
    if ALIGNED { return texel(a, (base + offsets.x) >> 2u); }
    return vec4(a_at(base + offsets.x), a_at(base + offsets.y), a_at(base + offsets.z), a_at(base + offsets.w));
}

fn b_quad(base: u32, offsets: vec4u) -> vec4<f32> {
    if ALIGNED { return texel(b, (base + offsets.x) >> 2u); }
    return vec4(b_at(base + offsets.x), b_at(base + offsets.y), b_at(base + offsets.z), b_at(base + offsets.w));
}

const RUN = vec4u(0u, 1u, 2u, 3u);

// op(A)[rows, k..k+4] as a matrix whose column j is op(A)[rows, k + j].
fn a_block(rows: vec4u, k: u32) -> mat4x4<f32> {
    if TRANS_A {
        // A is K×M: a row of A holds a column of op(A).
        return mat4x4(a_quad(k * dims.m, rows), a_quad((k + 1u) * dims.m, rows), a_quad((k + 2u) * dims.m, rows), a_quad((k + 3u) * dims.m, rows));
    }
    return transpose(mat4x4(a_quad(rows.x * dims.k + k, RUN), a_quad(rows.y * dims.k + k, RUN), a_quad(rows.z * dims.k + k, RUN), a_quad(rows.w * dims.k + k, RUN)));
}

// op(B)[k..k+4, cols] as a matrix whose column j is op(B)[k..k+4, cols[j]].
fn b_block(k: u32, cols: vec4u) -> mat4x4<f32> {
    if TRANS_B {
        // B is N×K: a row of B holds a column of op(B).
        return mat4x4(b_quad(cols.x * dims.k + k, RUN), b_quad(cols.y * dims.k + k, RUN), b_quad(cols.z * dims.k + k, RUN), b_quad(cols.w * dims.k + k, RUN));
    }
    return transpose(mat4x4(b_quad(k * dims.n, cols), b_quad((k + 1u) * dims.n, cols), b_quad((k + 2u) * dims.n, cols), b_quad((k + 3u) * dims.n, cols)));
}

// acc + a·b as chains of fused multiply-adds, one per column: llvmpipe does not fuse the multiplies
// and adds of a matrix product by itself, and the fused form runs faster there.
fn product_add(acc: mat4x4<f32>, a: mat4x4<f32>, b: mat4x4<f32>) -> mat4x4<f32> {
    return mat4x4(column_add(acc[0], a, b[0]), column_add(acc[1], a, b[1]), column_add(acc[2], a, b[2]), column_add(acc[3], a, b[3]));
}

fn column_add(acc: vec4<f32>, a: mat4x4<f32>, b: vec4<f32>) -> vec4<f32> {
    return fma(a[3], vec4(b.w), fma(a[2], vec4(b.z), fma(a[1], vec4(b.y), fma(a[0], vec4(b.x), acc))));
}

fn op_a(row: u32, k: u32) -> f32 {
    if TRANS_A { return a_at(k * dims.m + row); }
    return a_at(row * dims.k + k);
}

fn op_b(k: u32, col: u32) -> f32 {
    if TRANS_B { return b_at(col * dims.k + k); }
    return b_at(k * dims.n + col);
}

fn store_row(row: u32, cols: vec4u, values: vec4<f32>) {
    if row >= dims.m { return; }
    for (var j = 0u; j < 4u; j++) {
        let col = cols[j];
        if col >= dims.n { return; }
        var v = values[j];
        if HAS_BIAS { v += bias[col >> 2u][col & 3u]; }
        c[row * dims.n + col] = activate(ACT, v, p.slope);
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

@compute @workgroup_size(8, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
    dims = shape;
    let row0 = gid.y * 16u;
    let col0 = gid.x * 32u;
    if row0 >= dims.m || col0 >= dims.n { return; }
    let last_row = vec4u(dims.m - 1u);
    let last_col = vec4u(dims.n - 1u);
    let rows0 = min(vec4u(row0 + 0u) + RUN, last_row);
    let rows1 = min(vec4u(row0 + 4u) + RUN, last_row);
    let rows2 = min(vec4u(row0 + 8u) + RUN, last_row);
    let rows3 = min(vec4u(row0 + 12u) + RUN, last_row);
    let cols0 = min(vec4u(col0 + 0u) + RUN, last_col);
    let cols1 = min(vec4u(col0 + 4u) + RUN, last_col);
    let cols2 = min(vec4u(col0 + 8u) + RUN, last_col);
    let cols3 = min(vec4u(col0 + 12u) + RUN, last_col);
    let cols4 = min(vec4u(col0 + 16u) + RUN, last_col);
    let cols5 = min(vec4u(col0 + 20u) + RUN, last_col);
    let cols6 = min(vec4u(col0 + 24u) + RUN, last_col);
    let cols7 = min(vec4u(col0 + 28u) + RUN, last_col);
    var acc00 = mat4x4<f32>();
    var acc01 = mat4x4<f32>();
    var acc02 = mat4x4<f32>();
    var acc03 = mat4x4<f32>();
    var acc04 = mat4x4<f32>();
    var acc05 = mat4x4<f32>();
    var acc06 = mat4x4<f32>();
    var acc07 = mat4x4<f32>();
    var acc10 = mat4x4<f32>();
    var acc11 = mat4x4<f32>();
    var acc12 = mat4x4<f32>();
    var acc13 = mat4x4<f32>();
    var acc14 = mat4x4<f32>();
    var acc15 = mat4x4<f32>();
    var acc16 = mat4x4<f32>();
    var acc17 = mat4x4<f32>();
    var acc20 = mat4x4<f32>();
    var acc21 = mat4x4<f32>();
    var acc22 = mat4x4<f32>();
    var acc23 = mat4x4<f32>();
    var acc24 = mat4x4<f32>();
    var acc25 = mat4x4<f32>();
    var acc26 = mat4x4<f32>();
    var acc27 = mat4x4<f32>();
    var acc30 = mat4x4<f32>();
    var acc31 = mat4x4<f32>();
    var acc32 = mat4x4<f32>();
    var acc33 = mat4x4<f32>();
    var acc34 = mat4x4<f32>();
    var acc35 = mat4x4<f32>();
    var acc36 = mat4x4<f32>();
    var acc37 = mat4x4<f32>();
    var k = 0u;
    for (; k + 4u <= dims.k; k += 4u) {
        let a0 = a_block(rows0, k);
        let a1 = a_block(rows1, k);
        let a2 = a_block(rows2, k);
        let a3 = a_block(rows3, k);
        let b0 = b_block(k, cols0);
        let b1 = b_block(k, cols1);
        let b2 = b_block(k, cols2);
        let b3 = b_block(k, cols3);
        let b4 = b_block(k, cols4);
        let b5 = b_block(k, cols5);
        let b6 = b_block(k, cols6);
        let b7 = b_block(k, cols7);
        acc00 = product_add(acc00, a0, b0);
        acc01 = product_add(acc01, a0, b1);
        acc02 = product_add(acc02, a0, b2);
        acc03 = product_add(acc03, a0, b3);
        acc04 = product_add(acc04, a0, b4);
        acc05 = product_add(acc05, a0, b5);
        acc06 = product_add(acc06, a0, b6);
        acc07 = product_add(acc07, a0, b7);
        acc10 = product_add(acc10, a1, b0);
        acc11 = product_add(acc11, a1, b1);
        acc12 = product_add(acc12, a1, b2);
        acc13 = product_add(acc13, a1, b3);
        acc14 = product_add(acc14, a1, b4);
        acc15 = product_add(acc15, a1, b5);
        acc16 = product_add(acc16, a1, b6);
        acc17 = product_add(acc17, a1, b7);
        acc20 = product_add(acc20, a2, b0);
        acc21 = product_add(acc21, a2, b1);
        acc22 = product_add(acc22, a2, b2);
        acc23 = product_add(acc23, a2, b3);
        acc24 = product_add(acc24, a2, b4);
        acc25 = product_add(acc25, a2, b5);
        acc26 = product_add(acc26, a2, b6);
        acc27 = product_add(acc27, a2, b7);
        acc30 = product_add(acc30, a3, b0);
        acc31 = product_add(acc31, a3, b1);
        acc32 = product_add(acc32, a3, b2);
        acc33 = product_add(acc33, a3, b3);
        acc34 = product_add(acc34, a3, b4);
        acc35 = product_add(acc35, a3, b5);
        acc36 = product_add(acc36, a3, b6);
        acc37 = product_add(acc37, a3, b7);
    }
    for (; k < dims.k; k++) {
        let a0 = vec4(op_a(rows0.x, k), op_a(rows0.y, k), op_a(rows0.z, k), op_a(rows0.w, k));
        let a1 = vec4(op_a(rows1.x, k), op_a(rows1.y, k), op_a(rows1.z, k), op_a(rows1.w, k));
        let a2 = vec4(op_a(rows2.x, k), op_a(rows2.y, k), op_a(rows2.z, k), op_a(rows2.w, k));
        let a3 = vec4(op_a(rows3.x, k), op_a(rows3.y, k), op_a(rows3.z, k), op_a(rows3.w, k));
        let b0 = vec4(op_b(k, cols0.x), op_b(k, cols0.y), op_b(k, cols0.z), op_b(k, cols0.w));
        let b1 = vec4(op_b(k, cols1.x), op_b(k, cols1.y), op_b(k, cols1.z), op_b(k, cols1.w));
        let b2 = vec4(op_b(k, cols2.x), op_b(k, cols2.y), op_b(k, cols2.z), op_b(k, cols2.w));
        let b3 = vec4(op_b(k, cols3.x), op_b(k, cols3.y), op_b(k, cols3.z), op_b(k, cols3.w));
        let b4 = vec4(op_b(k, cols4.x), op_b(k, cols4.y), op_b(k, cols4.z), op_b(k, cols4.w));
        let b5 = vec4(op_b(k, cols5.x), op_b(k, cols5.y), op_b(k, cols5.z), op_b(k, cols5.w));
        let b6 = vec4(op_b(k, cols6.x), op_b(k, cols6.y), op_b(k, cols6.z), op_b(k, cols6.w));
        let b7 = vec4(op_b(k, cols7.x), op_b(k, cols7.y), op_b(k, cols7.z), op_b(k, cols7.w));
        acc00 += mat4x4(a0 * b0.x, a0 * b0.y, a0 * b0.z, a0 * b0.w);
        acc01 += mat4x4(a0 * b1.x, a0 * b1.y, a0 * b1.z, a0 * b1.w);
        acc02 += mat4x4(a0 * b2.x, a0 * b2.y, a0 * b2.z, a0 * b2.w);
        acc03 += mat4x4(a0 * b3.x, a0 * b3.y, a0 * b3.z, a0 * b3.w);
        acc04 += mat4x4(a0 * b4.x, a0 * b4.y, a0 * b4.z, a0 * b4.w);
        acc05 += mat4x4(a0 * b5.x, a0 * b5.y, a0 * b5.z, a0 * b5.w);
        acc06 += mat4x4(a0 * b6.x, a0 * b6.y, a0 * b6.z, a0 * b6.w);
        acc07 += mat4x4(a0 * b7.x, a0 * b7.y, a0 * b7.z, a0 * b7.w);
        acc10 += mat4x4(a1 * b0.x, a1 * b0.y, a1 * b0.z, a1 * b0.w);
        acc11 += mat4x4(a1 * b1.x, a1 * b1.y, a1 * b1.z, a1 * b1.w);
        acc12 += mat4x4(a1 * b2.x, a1 * b2.y, a1 * b2.z, a1 * b2.w);
        acc13 += mat4x4(a1 * b3.x, a1 * b3.y, a1 * b3.z, a1 * b3.w);
        acc14 += mat4x4(a1 * b4.x, a1 * b4.y, a1 * b4.z, a1 * b4.w);
        acc15 += mat4x4(a1 * b5.x, a1 * b5.y, a1 * b5.z, a1 * b5.w);
        acc16 += mat4x4(a1 * b6.x, a1 * b6.y, a1 * b6.z, a1 * b6.w);
        acc17 += mat4x4(a1 * b7.x, a1 * b7.y, a1 * b7.z, a1 * b7.w);
        acc20 += mat4x4(a2 * b0.x, a2 * b0.y, a2 * b0.z, a2 * b0.w);
        acc21 += mat4x4(a2 * b1.x, a2 * b1.y, a2 * b1.z, a2 * b1.w);
        acc22 += mat4x4(a2 * b2.x, a2 * b2.y, a2 * b2.z, a2 * b2.w);
        acc23 += mat4x4(a2 * b3.x, a2 * b3.y, a2 * b3.z, a2 * b3.w);
        acc24 += mat4x4(a2 * b4.x, a2 * b4.y, a2 * b4.z, a2 * b4.w);
        acc25 += mat4x4(a2 * b5.x, a2 * b5.y, a2 * b5.z, a2 * b5.w);
        acc26 += mat4x4(a2 * b6.x, a2 * b6.y, a2 * b6.z, a2 * b6.w);
        acc27 += mat4x4(a2 * b7.x, a2 * b7.y, a2 * b7.z, a2 * b7.w);
        acc30 += mat4x4(a3 * b0.x, a3 * b0.y, a3 * b0.z, a3 * b0.w);
        acc31 += mat4x4(a3 * b1.x, a3 * b1.y, a3 * b1.z, a3 * b1.w);
        acc32 += mat4x4(a3 * b2.x, a3 * b2.y, a3 * b2.z, a3 * b2.w);
        acc33 += mat4x4(a3 * b3.x, a3 * b3.y, a3 * b3.z, a3 * b3.w);
        acc34 += mat4x4(a3 * b4.x, a3 * b4.y, a3 * b4.z, a3 * b4.w);
        acc35 += mat4x4(a3 * b5.x, a3 * b5.y, a3 * b5.z, a3 * b5.w);
        acc36 += mat4x4(a3 * b6.x, a3 * b6.y, a3 * b6.z, a3 * b6.w);
        acc37 += mat4x4(a3 * b7.x, a3 * b7.y, a3 * b7.z, a3 * b7.w);
    }
    store_block(row0 + 0u, col0 + 0u, acc00);
    store_block(row0 + 0u, col0 + 4u, acc01);
    store_block(row0 + 0u, col0 + 8u, acc02);
    store_block(row0 + 0u, col0 + 12u, acc03);
    store_block(row0 + 0u, col0 + 16u, acc04);
    store_block(row0 + 0u, col0 + 20u, acc05);
    store_block(row0 + 0u, col0 + 24u, acc06);
    store_block(row0 + 0u, col0 + 28u, acc07);
    store_block(row0 + 4u, col0 + 0u, acc10);
    store_block(row0 + 4u, col0 + 4u, acc11);
    store_block(row0 + 4u, col0 + 8u, acc12);
    store_block(row0 + 4u, col0 + 12u, acc13);
    store_block(row0 + 4u, col0 + 16u, acc14);
    store_block(row0 + 4u, col0 + 20u, acc15);
    store_block(row0 + 4u, col0 + 24u, acc16);
    store_block(row0 + 4u, col0 + 28u, acc17);
    store_block(row0 + 8u, col0 + 0u, acc20);
    store_block(row0 + 8u, col0 + 4u, acc21);
    store_block(row0 + 8u, col0 + 8u, acc22);
    store_block(row0 + 8u, col0 + 12u, acc23);
    store_block(row0 + 8u, col0 + 16u, acc24);
    store_block(row0 + 8u, col0 + 20u, acc25);
    store_block(row0 + 8u, col0 + 24u, acc26);
    store_block(row0 + 8u, col0 + 28u, acc27);
    store_block(row0 + 12u, col0 + 0u, acc30);
    store_block(row0 + 12u, col0 + 4u, acc31);
    store_block(row0 + 12u, col0 + 8u, acc32);
    store_block(row0 + 12u, col0 + 12u, acc33);
    store_block(row0 + 12u, col0 + 16u, acc34);
    store_block(row0 + 12u, col0 + 20u, acc35);
    store_block(row0 + 12u, col0 + 24u, acc36);
    store_block(row0 + 12u, col0 + 28u, acc37);
}

// One 4×4 block of C per invocation, rows along x: for products so narrow or short that main's
// 16×32 blocks would mostly compute clamped copies (a layer with one output: 32 times the work).
@compute @workgroup_size(8, 1)
fn small(@builtin(global_invocation_id) gid: vec3u) {
    dims = shape;
    let row0 = gid.x * 4u;
    let col0 = gid.y * 4u;
    if row0 >= dims.m || col0 >= dims.n { return; }
    let rows = min(vec4u(row0) + RUN, vec4u(dims.m - 1u));
    let cols = min(vec4u(col0) + RUN, vec4u(dims.n - 1u));
    var acc = mat4x4<f32>();
    var k = 0u;
    for (; k + 4u <= dims.k; k += 4u) {
        acc = product_add(acc, a_block(rows, k), b_block(k, cols));
    }
    for (; k < dims.k; k++) {
        let a = vec4(op_a(rows.x, k), op_a(rows.y, k), op_a(rows.z, k), op_a(rows.w, k));
        let b = vec4(op_b(k, cols.x), op_b(k, cols.y), op_b(k, cols.z), op_b(k, cols.w));
        acc += mat4x4(a * b.x, a * b.y, a * b.z, a * b.w);
    }
    store_block(row0, col0, acc);
}
