// Batch normalisation over the rows of an N×F matrix, with PyTorch's semantics: training uses the
// batch's mean and biased variance and moves the running statistics by `momentum` (the running
// variance takes the unbiased estimate); evaluation uses the running statistics.
// One invocation per feature walks the batch; neighbouring invocations read neighbouring columns.
//
// Buffers of 2F values: stats = [mean; 1/sqrt(var + eps)] of the batch, kept for backward;
// running = [running mean; running var].

struct Params { rows: u32, features: u32, eps: f32, momentum: f32 }

@group(0) @binding(0) var<uniform> p: Params;

@group(0) @binding(1) var<storage, read> train_x: array<f32>;
@group(0) @binding(2) var<storage, read> train_gamma: array<f32>;
@group(0) @binding(3) var<storage, read> train_beta: array<f32>;
@group(0) @binding(4) var<storage, read_write> train_y: array<f32>;
@group(0) @binding(5) var<storage, read_write> train_stats: array<f32>;
@group(0) @binding(6) var<storage, read_write> train_running: array<f32>;

@compute @workgroup_size(256)
fn forward_train(@builtin(global_invocation_id) gid: vec3u) {
    let f = gid.x;
    let n = p.rows;
    let fs = p.features;
    if f >= fs { return; }
    var sum = 0.0;
    for (var r = 0u; r < n; r++) { sum += train_x[r * fs + f]; }
    let mean = sum / f32(n);
    var squares = 0.0;
    for (var r = 0u; r < n; r++) {
        let d = train_x[r * fs + f] - mean;
        squares += d * d;
    }
    let variance = squares / f32(n);
    let inv_std = 1.0 / sqrt(variance + p.eps);
    for (var r = 0u; r < n; r++) {
        let i = r * fs + f;
        train_y[i] = train_gamma[f] * (train_x[i] - mean) * inv_std + train_beta[f];
    }
    train_stats[f] = mean;
    train_stats[fs + f] = inv_std;
    let unbiased = squares / f32(max(n, 2u) - 1u);
    train_running[f] = (1.0 - p.momentum) * train_running[f] + p.momentum * mean;
    train_running[fs + f] = (1.0 - p.momentum) * train_running[fs + f] + p.momentum * unbiased;
}

@group(0) @binding(1) var<storage, read> eval_x: array<f32>;
@group(0) @binding(2) var<storage, read> eval_gamma: array<f32>;
@group(0) @binding(3) var<storage, read> eval_beta: array<f32>;
@group(0) @binding(4) var<storage, read_write> eval_y: array<f32>;
@group(0) @binding(5) var<storage, read> eval_running: array<f32>;

@compute @workgroup_size(256)
fn forward_eval(@builtin(global_invocation_id) gid: vec3u) {
    let f = gid.x;
    let fs = p.features;
    if f >= fs { return; }
    let mean = eval_running[f];
    let inv_std = 1.0 / sqrt(eval_running[fs + f] + p.eps);
    for (var r = 0u; r < p.rows; r++) {
        let i = r * fs + f;
        eval_y[i] = eval_gamma[f] * (eval_x[i] - mean) * inv_std + eval_beta[f];
    }
}

@group(0) @binding(1) var<storage, read> bwd_x: array<f32>;
@group(0) @binding(2) var<storage, read> bwd_gamma: array<f32>;
@group(0) @binding(3) var<storage, read> bwd_stats: array<f32>;
@group(0) @binding(4) var<storage, read> bwd_dy: array<f32>;
@group(0) @binding(5) var<storage, read_write> bwd_dx: array<f32>;
@group(0) @binding(6) var<storage, read_write> bwd_dgamma: array<f32>;
@group(0) @binding(7) var<storage, read_write> bwd_dbeta: array<f32>;

// dx = gamma * inv_std / N * (N * dy - sum(dy) - x_hat * sum(dy * x_hat)).
@compute @workgroup_size(256)
fn backward(@builtin(global_invocation_id) gid: vec3u) {
    let f = gid.x;
    let n = p.rows;
    let fs = p.features;
    if f >= fs { return; }
    let mean = bwd_stats[f];
    let inv_std = bwd_stats[fs + f];
    var dbeta = 0.0;
    var dgamma = 0.0;
    for (var r = 0u; r < n; r++) {
        let i = r * fs + f;
        dbeta += bwd_dy[i];
        dgamma += bwd_dy[i] * (bwd_x[i] - mean) * inv_std;
    }
    let scale = bwd_gamma[f] * inv_std / f32(n);
    for (var r = 0u; r < n; r++) {
        let i = r * fs + f;
        let x_hat = (bwd_x[i] - mean) * inv_std;
        bwd_dx[i] = scale * (f32(n) * bwd_dy[i] - dbeta - x_hat * dgamma);
    }
    bwd_dgamma[f] = dgamma;
    bwd_dbeta[f] = dbeta;
}
