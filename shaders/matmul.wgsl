// C = op(A) · op(B) (+ bias per column), then an activation: the linear layers' forward pass
// (X·W + b, act), and their backward passes dX = dY·Wᵀ (TRANS_B) and dW = Xᵀ·dY (TRANS_A).
// op(A) is M×K, op(B) is K×N, C is M×N, all row-major.
//
// Each invocation computes a 32×16 block of C as 8×4 blocks of 4×4, each a 4×4 matrix product per
// step of 4 along K: 2,048 multiply-adds per step. A and B are read as texels (the host copies them
// into rgba32float textures, see shaders/common/texels.wgsl), so where the shapes keep every 4-run
// inside one texel (ALIGNED, chosen by the host) a block edge is one load; otherwise the same code
// reads element by element. On llvmpipe, which runs invocations as SIMD lanes, loads decide the
// speed: it reads a storage buffer lane by lane and element by element, and a texel fetch is a call
// of about 130 instructions for all lanes. The 8 invocations of a workgroup share their 32 rows of
// C, so `a_blocks` comes in two versions: matmul_rows.wgsl fetches them in every invocation,
// matmul_rows_subgroup.wgsl (where subgroups of 8 exist, as on llvmpipe) fetches an eighth in each
// and hands them round with subgroupBroadcast: 20 fetches per step instead of 48. The 32
// accumulators are named, not an array: llvmpipe keeps a run-time indexed array in memory and
// reaches it per lane. Rows and columns past the edge read clamped addresses and are not written;
// no invocation leaves early, since the broadcasts need every lane. Products that would fill less
// than half of the blocks (a layer with one output, its weight gradient) take `small`, a 4×4 block
// per invocation. (Real GPUs want smaller blocks per invocation; see the performance issue.)

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

// op(A)[rows, k] and op(B)[k, cols], element by element: the last values of K, where a step of 4
// does not fit.
fn a_column(rows: vec4u, k: u32) -> vec4<f32> {
    return vec4(op_a(rows.x, k), op_a(rows.y, k), op_a(rows.z, k), op_a(rows.w, k));
}

fn b_row(k: u32, cols: vec4u) -> vec4<f32> {
    return vec4(op_b(k, cols.x), op_b(k, cols.y), op_b(k, cols.z), op_b(k, cols.w));
}

// acc + a·bᵀ: one value of K's contribution to a 4×4 block (column j of acc is column j of C).
fn outer_add(acc: mat4x4<f32>, a: vec4<f32>, b: vec4<f32>) -> mat4x4<f32> {
    return acc + mat4x4(a * b.x, a * b.y, a * b.z, a * b.w);
}

// Four rows (columns) from `first`, clamped to the last one: past the edge, reads are clamped and
// stores skipped.
fn rows_from(first: u32) -> vec4u {
    return min(vec4u(first) + RUN, vec4u(dims.m - 1u));
}

fn cols_from(first: u32) -> vec4u {
    return min(vec4u(first) + RUN, vec4u(dims.n - 1u));
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

// The eight 4-row blocks of op(A) at one step of k: rows row0 + 4b .. row0 + 4b + 4 in block b.
struct RowBlocks { b0: mat4x4<f32>, b1: mat4x4<f32>, b2: mat4x4<f32>, b3: mat4x4<f32>, b4: mat4x4<f32>, b5: mat4x4<f32>, b6: mat4x4<f32>, b7: mat4x4<f32> }

// The 32×16 block of C at (gid.y * 32, gid.x * 16); `lane` is the invocation's index in its
// subgroup, for a_blocks.
fn block_product(gid: vec3u, lane: u32) {
    dims = shape;
    let row0 = gid.y * 32u;
    let col0 = gid.x * 16u;
    let cols0 = cols_from(col0);
    let cols1 = cols_from(col0 + 4u);
    let cols2 = cols_from(col0 + 8u);
    let cols3 = cols_from(col0 + 12u);
    var acc00 = mat4x4<f32>();
    var acc01 = mat4x4<f32>();
    var acc02 = mat4x4<f32>();
    var acc03 = mat4x4<f32>();
    var acc10 = mat4x4<f32>();
    var acc11 = mat4x4<f32>();
    var acc12 = mat4x4<f32>();
    var acc13 = mat4x4<f32>();
    var acc20 = mat4x4<f32>();
    var acc21 = mat4x4<f32>();
    var acc22 = mat4x4<f32>();
    var acc23 = mat4x4<f32>();
    var acc30 = mat4x4<f32>();
    var acc31 = mat4x4<f32>();
    var acc32 = mat4x4<f32>();
    var acc33 = mat4x4<f32>();
    var acc40 = mat4x4<f32>();
    var acc41 = mat4x4<f32>();
    var acc42 = mat4x4<f32>();
    var acc43 = mat4x4<f32>();
    var acc50 = mat4x4<f32>();
    var acc51 = mat4x4<f32>();
    var acc52 = mat4x4<f32>();
    var acc53 = mat4x4<f32>();
    var acc60 = mat4x4<f32>();
    var acc61 = mat4x4<f32>();
    var acc62 = mat4x4<f32>();
    var acc63 = mat4x4<f32>();
    var acc70 = mat4x4<f32>();
    var acc71 = mat4x4<f32>();
    var acc72 = mat4x4<f32>();
    var acc73 = mat4x4<f32>();
    var k = 0u;
    for (; k + 4u <= dims.k; k += 4u) {
        let a = a_blocks(row0, k, lane);
        let b0 = b_block(k, cols0);
        let b1 = b_block(k, cols1);
        let b2 = b_block(k, cols2);
        let b3 = b_block(k, cols3);
        acc00 = product_add(acc00, a.b0, b0);
        acc01 = product_add(acc01, a.b0, b1);
        acc02 = product_add(acc02, a.b0, b2);
        acc03 = product_add(acc03, a.b0, b3);
        acc10 = product_add(acc10, a.b1, b0);
        acc11 = product_add(acc11, a.b1, b1);
        acc12 = product_add(acc12, a.b1, b2);
        acc13 = product_add(acc13, a.b1, b3);
        acc20 = product_add(acc20, a.b2, b0);
        acc21 = product_add(acc21, a.b2, b1);
        acc22 = product_add(acc22, a.b2, b2);
        acc23 = product_add(acc23, a.b2, b3);
        acc30 = product_add(acc30, a.b3, b0);
        acc31 = product_add(acc31, a.b3, b1);
        acc32 = product_add(acc32, a.b3, b2);
        acc33 = product_add(acc33, a.b3, b3);
        acc40 = product_add(acc40, a.b4, b0);
        acc41 = product_add(acc41, a.b4, b1);
        acc42 = product_add(acc42, a.b4, b2);
        acc43 = product_add(acc43, a.b4, b3);
        acc50 = product_add(acc50, a.b5, b0);
        acc51 = product_add(acc51, a.b5, b1);
        acc52 = product_add(acc52, a.b5, b2);
        acc53 = product_add(acc53, a.b5, b3);
        acc60 = product_add(acc60, a.b6, b0);
        acc61 = product_add(acc61, a.b6, b1);
        acc62 = product_add(acc62, a.b6, b2);
        acc63 = product_add(acc63, a.b6, b3);
        acc70 = product_add(acc70, a.b7, b0);
        acc71 = product_add(acc71, a.b7, b1);
        acc72 = product_add(acc72, a.b7, b2);
        acc73 = product_add(acc73, a.b7, b3);
    }
    for (; k < dims.k; k++) {
        let a0 = a_column(rows_from(row0 + 0u), k);
        let a1 = a_column(rows_from(row0 + 4u), k);
        let a2 = a_column(rows_from(row0 + 8u), k);
        let a3 = a_column(rows_from(row0 + 12u), k);
        let a4 = a_column(rows_from(row0 + 16u), k);
        let a5 = a_column(rows_from(row0 + 20u), k);
        let a6 = a_column(rows_from(row0 + 24u), k);
        let a7 = a_column(rows_from(row0 + 28u), k);
        let b0 = b_row(k, cols0);
        let b1 = b_row(k, cols1);
        let b2 = b_row(k, cols2);
        let b3 = b_row(k, cols3);
        acc00 = outer_add(acc00, a0, b0);
        acc01 = outer_add(acc01, a0, b1);
        acc02 = outer_add(acc02, a0, b2);
        acc03 = outer_add(acc03, a0, b3);
        acc10 = outer_add(acc10, a1, b0);
        acc11 = outer_add(acc11, a1, b1);
        acc12 = outer_add(acc12, a1, b2);
        acc13 = outer_add(acc13, a1, b3);
        acc20 = outer_add(acc20, a2, b0);
        acc21 = outer_add(acc21, a2, b1);
        acc22 = outer_add(acc22, a2, b2);
        acc23 = outer_add(acc23, a2, b3);
        acc30 = outer_add(acc30, a3, b0);
        acc31 = outer_add(acc31, a3, b1);
        acc32 = outer_add(acc32, a3, b2);
        acc33 = outer_add(acc33, a3, b3);
        acc40 = outer_add(acc40, a4, b0);
        acc41 = outer_add(acc41, a4, b1);
        acc42 = outer_add(acc42, a4, b2);
        acc43 = outer_add(acc43, a4, b3);
        acc50 = outer_add(acc50, a5, b0);
        acc51 = outer_add(acc51, a5, b1);
        acc52 = outer_add(acc52, a5, b2);
        acc53 = outer_add(acc53, a5, b3);
        acc60 = outer_add(acc60, a6, b0);
        acc61 = outer_add(acc61, a6, b1);
        acc62 = outer_add(acc62, a6, b2);
        acc63 = outer_add(acc63, a6, b3);
        acc70 = outer_add(acc70, a7, b0);
        acc71 = outer_add(acc71, a7, b1);
        acc72 = outer_add(acc72, a7, b2);
        acc73 = outer_add(acc73, a7, b3);
    }
    store_block(row0 + 0u, col0 + 0u, acc00);
    store_block(row0 + 0u, col0 + 4u, acc01);
    store_block(row0 + 0u, col0 + 8u, acc02);
    store_block(row0 + 0u, col0 + 12u, acc03);
    store_block(row0 + 4u, col0 + 0u, acc10);
    store_block(row0 + 4u, col0 + 4u, acc11);
    store_block(row0 + 4u, col0 + 8u, acc12);
    store_block(row0 + 4u, col0 + 12u, acc13);
    store_block(row0 + 8u, col0 + 0u, acc20);
    store_block(row0 + 8u, col0 + 4u, acc21);
    store_block(row0 + 8u, col0 + 8u, acc22);
    store_block(row0 + 8u, col0 + 12u, acc23);
    store_block(row0 + 12u, col0 + 0u, acc30);
    store_block(row0 + 12u, col0 + 4u, acc31);
    store_block(row0 + 12u, col0 + 8u, acc32);
    store_block(row0 + 12u, col0 + 12u, acc33);
    store_block(row0 + 16u, col0 + 0u, acc40);
    store_block(row0 + 16u, col0 + 4u, acc41);
    store_block(row0 + 16u, col0 + 8u, acc42);
    store_block(row0 + 16u, col0 + 12u, acc43);
    store_block(row0 + 20u, col0 + 0u, acc50);
    store_block(row0 + 20u, col0 + 4u, acc51);
    store_block(row0 + 20u, col0 + 8u, acc52);
    store_block(row0 + 20u, col0 + 12u, acc53);
    store_block(row0 + 24u, col0 + 0u, acc60);
    store_block(row0 + 24u, col0 + 4u, acc61);
    store_block(row0 + 24u, col0 + 8u, acc62);
    store_block(row0 + 24u, col0 + 12u, acc63);
    store_block(row0 + 28u, col0 + 0u, acc70);
    store_block(row0 + 28u, col0 + 4u, acc71);
    store_block(row0 + 28u, col0 + 8u, acc72);
    store_block(row0 + 28u, col0 + 12u, acc73);
}

// One 4×4 block of C per invocation, rows along x: for products so narrow or short that main's
// 16×32 blocks would mostly compute clamped copies (a layer with one output: 32 times the work).
@compute @workgroup_size(8, 1)
fn small(@builtin(global_invocation_id) gid: vec3u) {
    dims = shape;
    let row0 = gid.x * 4u;
    let col0 = gid.y * 4u;
    if row0 >= dims.m || col0 >= dims.n { return; }
    let rows = rows_from(row0);
    let cols = cols_from(col0);
    var acc = mat4x4<f32>();
    var k = 0u;
    for (; k + 4u <= dims.k; k += 4u) {
        acc = product_add(acc, a_block(rows, k), b_block(k, cols));
    }
    for (; k < dims.k; k++) {
        acc = outer_add(acc, a_column(rows, k), b_row(k, cols));
    }
    store_block(row0, col0, acc);
}
