// Matmul's plain epilogue: C[row, col] = act(value + bias[col]).

fn begin_epilogue() {}

fn store(row: u32, col: u32, value: f32) {
    var v = value;
    if HAS_BIAS { v += bias[col >> 2u][col & 3u]; }
    c[row * dims.n + col] = activate(ACT, v, p.slope);
}

// Value by value: one store of four values doubled the blocks' compile time on llvmpipe and made most
// products slower there.
fn store_quad(first: u32, values: vec4<f32>) -> bool {
    return false;
}
