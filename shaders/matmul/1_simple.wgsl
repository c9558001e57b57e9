// Matmul variant 1, the plain one: one value of C per invocation, a loop over K, no blocking and no
// sharing. The baseline the others are measured against, and the cheapest to compile.

@compute @workgroup_size(16, 16)
fn main(@builtin(global_invocation_id) gid: vec3u) {
    begin();
    let row = gid.y;
    let col = gid.x;
    if row >= dims.m || col >= dims.n { return; }
    var sum = 0.0;
    for (var k = 0u; k < dims.k; k++) {
        sum = fma(op_a(row, k), op_b(k, col), sum);
    }
    store(row, col, sum);
}
