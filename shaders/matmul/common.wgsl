// C = op(A) · op(B) (+ bias per column), then an activation: the linear layers' forward pass
// (X·W + b, act), and their backward passes dX = dY·Wᵀ (TRANS_B) and dW = Xᵀ·dY (TRANS_A).
// op(A) is M×K, op(B) is K×N, C is M×N, all row-major.
//
// What every variant shares: the options, the shape, reading op(A) and op(B) in runs of four, and
// storing C in 4×4 blocks. A matmul shader is this file, one of the two binding modules
// (reads_texels.wgsl, reads_storage.wgsl: the same functions a_at, a_quad, b_at, b_quad over
// textures or storage buffers), one numbered variant (1_simple.wgsl, 2_block.wgsl with the code
// src/shaders/matmul_block.rs generates, 3_tiled.wgsl) and one epilogue, which defines what
// happens to the values of C: `begin_epilogue`, `store` for one value and `store_quad` for four
// (epilogue_store.wgsl: bias and activation; epilogue_sgd.wgsl: a weight gradient stored and its
// SGD update made). The host picks the variant per adapter and shape by measurement
// (src/ops/matmul.rs). Rows and columns past the edge read clamped addresses and are not written.

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

// The shape, read once per invocation.
var<private> dims: Shape;

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

// What every invocation loads first: the shape, and what its epilogue needs for all lanes alike.
fn begin() {
    dims = shape;
    begin_epilogue();
}

// Four values of a row, at consecutive columns: as one run where the epilogue takes runs of four
// (`store_quad`), else value by value.
fn store_row(row: u32, cols: vec4u, values: vec4<f32>) {
    if row >= dims.m { return; }
    if cols.w < dims.n && store_quad(row * dims.n + cols.x, values) { return; }
    for (var j = 0u; j < 4u; j++) {
        let col = cols[j];
        if col >= dims.n { return; }
        store(row, col, values[j]);
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

