// Matmul's epilogue for a weight gradient dW = Xᵀ·dY whose SGD update comes next: each value is
// stored in C as the plain epilogue stores it (no bias, no activation), and the update that
// shaders/sgd/sgd.wgsl makes is made here at once, at the same index and with the same
// expressions, so param and velocity get the same bits; the update's own dispatch, and its pass
// over dW, are spared. Each value of C is one invocation's alone, so its update races with none.

struct SgdHyper { lr: f32, momentum: f32, weight_decay: f32, lr_decay: f32, lr_min: f32 }

@group(0) @binding(6) var<storage, read> sgd_hyper: SgdHyper;
@group(0) @binding(7) var<storage, read_write> param: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read_write> velocity: array<vec4<f32>>;

// Loaded before any branch, where llvmpipe makes that one load for all lanes.
var<private> hyper: SgdHyper;

fn begin_epilogue() {
    hyper = sgd_hyper;
}

fn store(row: u32, col: u32, value: f32) {
    let i = row * dims.n + col;
    c[i] = value;
    let q = i >> 2u;
    let j = i & 3u;
    let w = param[q][j];
    let g = value + hyper.weight_decay * w;
    let v = hyper.momentum * velocity[q][j] + g;
    velocity[q][j] = v;
    param[q][j] = w - hyper.lr * v;
}

// Four values that fill one vec4 of the weight, updated together as the SGD kernel updates them.
fn store_quad(first: u32, values: vec4<f32>) -> bool {
    if (first & 3u) != 0u { return false; }
    c[first] = values.x;
    c[first + 1u] = values.y;
    c[first + 2u] = values.z;
    c[first + 3u] = values.w;
    let q = first >> 2u;
    let w = param[q];
    let g = values + hyper.weight_decay * w;
    let v = hyper.momentum * velocity[q] + g;
    velocity[q] = v;
    param[q] = w - hyper.lr * v;
    return true;
}
