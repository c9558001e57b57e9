// Matmul variant 3, workgroup tiles for real GPUs: a workgroup of 16×16 invocations computes a
// 64×64 tile of C, each invocation a 4×4 block. The workgroup stages op(A)[64 rows, 16 of K] and
// op(B)[16 of K, 64 columns] in workgroup memory (each invocation loads one vec4 of each), so every
// value read from memory serves 64 multiply-adds, and the inner loop reads two vec4s per 16
// multiply-adds from workgroup memory. Values past K are staged as zeros; rows and columns past the
// edge are staged as zeros too and not stored.

const TILE_K = 16u;
// tile_a[k * 16 + r] = op(A)[row0 + 4r .. + 4, k0 + k]; tile_b[k * 16 + q] = op(B)[k0 + k, col0 + 4q .. + 4].
var<workgroup> tile_a: array<vec4<f32>, 256>;
var<workgroup> tile_b: array<vec4<f32>, 256>;

fn a_or_zero(row: u32, k: u32) -> f32 {
    if row >= dims.m || k >= dims.k { return 0.0; }
    return op_a(row, k);
}

fn b_or_zero(k: u32, col: u32) -> f32 {
    if k >= dims.k || col >= dims.n { return 0.0; }
    return op_b(k, col);
}

// Invocation t's share of the tiles at k0: one run of four along the operand's stored rows.
fn stage(row0: u32, col0: u32, k0: u32, t: u32) {
    if TRANS_A {
        // A is K×M: four rows of op(A) at one k, a whole vec4 of the tile.
        let k = k0 + t / 16u;
        let row = row0 + 4u * (t % 16u);
        if ALIGNED && k < dims.k && row + 3u < dims.m {
            tile_a[t] = a_quad(k * dims.m + row, RUN);
        } else {
            tile_a[t] = vec4(a_or_zero(row, k), a_or_zero(row + 1u, k), a_or_zero(row + 2u, k), a_or_zero(row + 3u, k));
        }
    } else {
        // A is M×K: four k of one row, spread over four vec4s of the tile.
        let r = t / 4u;
        let kq = 4u * (t % 4u);
        let row = row0 + r;
        let k = k0 + kq;
        var v: vec4<f32>;
        if ALIGNED && row < dims.m && k + 3u < dims.k {
            v = a_quad(row * dims.k + k, RUN);
        } else {
            v = vec4(a_or_zero(row, k), a_or_zero(row, k + 1u), a_or_zero(row, k + 2u), a_or_zero(row, k + 3u));
        }
        for (var j = 0u; j < 4u; j++) {
            tile_a[(kq + j) * 16u + r / 4u][r % 4u] = v[j];
        }
    }
    if TRANS_B {
        // B is N×K: four k of one column of op(B), spread over four vec4s.
        let q = t / 4u;
        let kq = 4u * (t % 4u);
        let col = col0 + q;
        let k = k0 + kq;
        var v: vec4<f32>;
        if ALIGNED && col < dims.n && k + 3u < dims.k {
            v = b_quad(col * dims.k + k, RUN);
        } else {
            v = vec4(b_or_zero(k, col), b_or_zero(k + 1u, col), b_or_zero(k + 2u, col), b_or_zero(k + 3u, col));
        }
        for (var j = 0u; j < 4u; j++) {
            tile_b[(kq + j) * 16u + q / 4u][q % 4u] = v[j];
        }
    } else {
        // B is K×N: four columns at one k, a whole vec4.
        let k = k0 + t / 16u;
        let col = col0 + 4u * (t % 16u);
        if ALIGNED && k < dims.k && col + 3u < dims.n {
            tile_b[t] = b_quad(k * dims.n + col, RUN);
        } else {
            tile_b[t] = vec4(b_or_zero(k, col), b_or_zero(k, col + 1u), b_or_zero(k, col + 2u), b_or_zero(k, col + 3u));
        }
    }
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) group: vec3u, @builtin(local_invocation_id) local: vec3u) {
    begin();
    // K straight from the storage buffer, a uniform value: the barriers sit in this loop.
    let k_total = shape.k;
    let t = local.y * 16u + local.x;
    let row0 = group.y * 64u;
    let col0 = group.x * 64u;
    // Column j of acc: C[row0 + 4·local.y .. + 4, col0 + 4·local.x + j].
    var acc = mat4x4<f32>();
    for (var k0 = 0u; k0 < k_total; k0 += TILE_K) {
        stage(row0, col0, k0, t);
        workgroupBarrier();
        for (var k = 0u; k < TILE_K; k++) {
            let a = tile_a[k * 16u + local.y];
            let b = tile_b[k * 16u + local.x];
            acc = mat4x4(fma(a, vec4(b.x), acc[0]), fma(a, vec4(b.y), acc[1]), fma(a, vec4(b.z), acc[2]), fma(a, vec4(b.w), acc[3]));
        }
        workgroupBarrier();
    }
    store_block(row0 + 4u * local.y, col0 + 4u * local.x, acc);
}
