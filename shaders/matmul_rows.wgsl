// op(A)'s rows for matmul.wgsl, fetched by every invocation (adapters without subgroups of 8).

fn a_blocks(row0: u32, k: u32, lane: u32) -> RowBlocks {
    return RowBlocks(
        a_block(rows_from(row0), k), a_block(rows_from(row0 + 4u), k),
        a_block(rows_from(row0 + 8u), k), a_block(rows_from(row0 + 12u), k),
        a_block(rows_from(row0 + 16u), k), a_block(rows_from(row0 + 20u), k),
        a_block(rows_from(row0 + 24u), k), a_block(rows_from(row0 + 28u), k));
}

@compute @workgroup_size(8, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
    block_product(gid, 0u);
}
