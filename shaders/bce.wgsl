// Binary cross-entropy on probabilities, mean over the batch, as torch.nn.BCELoss:
// loss = -mean(t * log(p) + (1 - t) * log(1 - p)) with each log clamped at -100, and
// dL/dp = (p - t) / max(p * (1 - p), 1e-12) / n. One workgroup reduces the whole batch.
// A probability outside [0, 1] (NaN included) makes the loss NaN, where PyTorch raises an error:
// the clamped logs would otherwise hide a diverged network behind a finite loss.
// The loss goes to slot clock[0] mod slots of a history buffer, so the host can read the losses
// of many steps at once instead of one per step.

struct Params { n: u32, slots: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> prob: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<f32>;
@group(0) @binding(3) var<storage, read_write> grad: array<f32>;
@group(0) @binding(4) var<storage, read_write> loss: array<f32>;
@group(0) @binding(5) var<storage, read> clock: array<u32>;

var<workgroup> partial: array<f32, 256>;
var<workgroup> invalid: atomic<u32>;

fn clamped_log(x: f32) -> f32 {
    return select(-100.0, max(log(x), -100.0), x > 0.0);
}

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) lid: u32) {
    let n = f32(p.n);
    if lid == 0u { atomicStore(&invalid, 0u); }
    workgroupBarrier();
    var sum = 0.0;
    for (var i = lid; i < p.n; i += 256u) {
        let q = prob[i];
        // Written so that NaN fails the test: comparisons with NaN are false.
        if !(q >= 0.0 && q <= 1.0) { atomicAdd(&invalid, 1u); }
        let t = labels[i];
        sum -= t * clamped_log(q) + (1.0 - t) * clamped_log(1.0 - q);
        grad[i] = (q - t) / max(q * (1.0 - q), 1e-12) / n;
    }
    partial[lid] = sum;
    workgroupBarrier();
    for (var half = 128u; half > 0u; half >>= 1u) {
        if lid < half { partial[lid] += partial[lid + half]; }
        workgroupBarrier();
    }
    if lid == 0u {
        let nan = bitcast<f32>(0x7fc00000u);
        loss[clock[0] % p.slots] = select(partial[0] / n, nan, atomicLoad(&invalid) > 0u);
    }
}
