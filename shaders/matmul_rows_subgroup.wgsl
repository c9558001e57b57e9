// op(A)'s rows for matmul.wgsl where a workgroup of 8 is one subgroup: the 8 invocations need the
// same 32 rows, so each fetches an eighth of their texels and subgroupBroadcast hands every
// invocation the rest (one lane's value for all lanes: a few instructions on llvmpipe, where a
// texel fetch is about 130).

fn a_blocks(row0: u32, k: u32, lane: u32) -> RowBlocks {
    if TRANS_A {
        // A is K×M, a texel holds four rows at one k: lane l fetches rows row0 + 4l .. + 4 at
        // k .. k + 4, and block b's column j (op(A)[rows, k + j]) is lane b's j-th fetch.
        let rows = rows_from(row0 + 4u * lane);
        let g0 = a_quad(k * dims.m, rows);
        let g1 = a_quad((k + 1u) * dims.m, rows);
        let g2 = a_quad((k + 2u) * dims.m, rows);
        let g3 = a_quad((k + 3u) * dims.m, rows);
        return RowBlocks(
            mat4x4(subgroupBroadcast(g0, 0u), subgroupBroadcast(g1, 0u), subgroupBroadcast(g2, 0u), subgroupBroadcast(g3, 0u)),
            mat4x4(subgroupBroadcast(g0, 1u), subgroupBroadcast(g1, 1u), subgroupBroadcast(g2, 1u), subgroupBroadcast(g3, 1u)),
            mat4x4(subgroupBroadcast(g0, 2u), subgroupBroadcast(g1, 2u), subgroupBroadcast(g2, 2u), subgroupBroadcast(g3, 2u)),
            mat4x4(subgroupBroadcast(g0, 3u), subgroupBroadcast(g1, 3u), subgroupBroadcast(g2, 3u), subgroupBroadcast(g3, 3u)),
            mat4x4(subgroupBroadcast(g0, 4u), subgroupBroadcast(g1, 4u), subgroupBroadcast(g2, 4u), subgroupBroadcast(g3, 4u)),
            mat4x4(subgroupBroadcast(g0, 5u), subgroupBroadcast(g1, 5u), subgroupBroadcast(g2, 5u), subgroupBroadcast(g3, 5u)),
            mat4x4(subgroupBroadcast(g0, 6u), subgroupBroadcast(g1, 6u), subgroupBroadcast(g2, 6u), subgroupBroadcast(g3, 6u)),
            mat4x4(subgroupBroadcast(g0, 7u), subgroupBroadcast(g1, 7u), subgroupBroadcast(g2, 7u), subgroupBroadcast(g3, 7u)));
    }
    // A is M×K, a texel holds four k of one row: lane l fetches rows row0 + l + 8t, and row r of
    // the block is fetch r / 8 of lane r % 8.
    let last = dims.m - 1u;
    let f0 = a_quad(min(row0 + lane, last) * dims.k + k, RUN);
    let f1 = a_quad(min(row0 + lane + 8u, last) * dims.k + k, RUN);
    let f2 = a_quad(min(row0 + lane + 16u, last) * dims.k + k, RUN);
    let f3 = a_quad(min(row0 + lane + 24u, last) * dims.k + k, RUN);
    return RowBlocks(
        transpose(mat4x4(subgroupBroadcast(f0, 0u), subgroupBroadcast(f0, 1u), subgroupBroadcast(f0, 2u), subgroupBroadcast(f0, 3u))),
        transpose(mat4x4(subgroupBroadcast(f0, 4u), subgroupBroadcast(f0, 5u), subgroupBroadcast(f0, 6u), subgroupBroadcast(f0, 7u))),
        transpose(mat4x4(subgroupBroadcast(f1, 0u), subgroupBroadcast(f1, 1u), subgroupBroadcast(f1, 2u), subgroupBroadcast(f1, 3u))),
        transpose(mat4x4(subgroupBroadcast(f1, 4u), subgroupBroadcast(f1, 5u), subgroupBroadcast(f1, 6u), subgroupBroadcast(f1, 7u))),
        transpose(mat4x4(subgroupBroadcast(f2, 0u), subgroupBroadcast(f2, 1u), subgroupBroadcast(f2, 2u), subgroupBroadcast(f2, 3u))),
        transpose(mat4x4(subgroupBroadcast(f2, 4u), subgroupBroadcast(f2, 5u), subgroupBroadcast(f2, 6u), subgroupBroadcast(f2, 7u))),
        transpose(mat4x4(subgroupBroadcast(f3, 0u), subgroupBroadcast(f3, 1u), subgroupBroadcast(f3, 2u), subgroupBroadcast(f3, 3u))),
        transpose(mat4x4(subgroupBroadcast(f3, 4u), subgroupBroadcast(f3, 5u), subgroupBroadcast(f3, 6u), subgroupBroadcast(f3, 7u))));
}

@compute @workgroup_size(8, 1)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(subgroup_invocation_id) lane: u32) {
    block_product(gid, lane);
}
