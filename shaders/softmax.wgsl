// Softmax over the rows of a rows×classes matrix of logits, and the cross-entropy loss of a
// classifier, as torch.nn.CrossEntropyLoss (mean over the batch) with the softmax fused in:
// dL/dlogits = (softmax(logits) - targets) / rows, where each target row is a distribution
// (one-hot for labels). Each row is shifted by its maximum first, so large logits do not overflow.
// The loss goes to slot clock[0] mod slots of a history buffer, like bce.wgsl.

struct Params { rows: u32, classes: u32, slots: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read_write> probs: array<f32>;

fn row_max(row: u32) -> f32 {
    var top = logits[row * p.classes];
    for (var c = 1u; c < p.classes; c++) { top = max(top, logits[row * p.classes + c]); }
    return top;
}

// log Σ exp(logits of `row` - top). Kept apart from `top` so that log-probabilities are
// (logit - top) - this, exact for large logits where adding top back would round.
fn log_sum_exp_shifted(row: u32, top: f32) -> f32 {
    var sum = 0.0;
    for (var c = 0u; c < p.classes; c++) { sum += exp(logits[row * p.classes + c] - top); }
    return log(sum);
}

@compute @workgroup_size(256)
fn softmax(@builtin(global_invocation_id) gid: vec3u) {
    let row = gid.x;
    if row >= p.rows { return; }
    let top = row_max(row);
    let lse = log_sum_exp_shifted(row, top);
    for (var c = 0u; c < p.classes; c++) {
        probs[row * p.classes + c] = exp((logits[row * p.classes + c] - top) - lse);
    }
}

@group(0) @binding(2) var<storage, read> targets: array<f32>;
@group(0) @binding(3) var<storage, read_write> grad: array<f32>;
@group(0) @binding(4) var<storage, read_write> loss: array<f32>;
@group(0) @binding(5) var<storage, read> clock: array<u32>;

var<workgroup> partial: array<f32, 256>;

// One workgroup for the whole batch, so the mean loss needs no second pass.
@compute @workgroup_size(256)
fn cross_entropy(@builtin(local_invocation_index) lid: u32) {
    let n = f32(p.rows);
    var sum = 0.0;
    for (var row = lid; row < p.rows; row += 256u) {
        let top = row_max(row);
        let lse = log_sum_exp_shifted(row, top);
        for (var c = 0u; c < p.classes; c++) {
            let i = row * p.classes + c;
            let log_prob = (logits[i] - top) - lse;
            sum -= targets[i] * log_prob;
            grad[i] = (exp(log_prob) - targets[i]) / n;
        }
    }
    partial[lid] = sum;
    workgroupBarrier();
    for (var half = 128u; half > 0u; half >>= 1u) {
        if lid < half { partial[lid] += partial[lid + half]; }
        workgroupBarrier();
    }
    if lid == 0u { loss[clock[0] % p.slots] = partial[0] / n; }
}
