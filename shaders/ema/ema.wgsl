// An exponential moving average of parameters, as the usual PyTorch loop writes it:
//   average = decay * average + (1 - decay) * param   (average.mul_(decay).add_(param, alpha=1 - decay)).
// Decay 0 copies param exactly, and so does every step before `from_step` (the step counter, clock[0]):
// an average that starts later follows G until then. With `normalised`, the decay at the n-th step
// after `from_step` is decay · (1 − decay^n) / (1 − decay^(n+1)): every G since `from_step` then weighs
// decay^age divided by the sum of those weights, where the plain update leaves the copy made at
// `from_step` decay^n of the weight. With `epoch_ends`, only each epoch's last step after `from_step`
// updates the average, normalised the same way over those steps (decay 1: (n − 1)/n at the n-th, so
// that every epoch's last G weighs alike), and the steps between leave it as it is (decay 1).
// Four values per invocation; the old values are
// read through a binding module beside this file (texel copies, 1_reads_texels.wgsl, or the average
// itself, 2_reads_storage.wgsl), as in sgd.wgsl. The clock is loaded before any branch, where
// llvmpipe loads it once for all lanes.

struct Params { quads: u32, decay: f32, from_step: u32, weights: u32, log_decay: f32, epoch_steps: u32 }

// The weights word: 0 the plain update, 1 normalised per step, 2 over epochs' ends.
const EPOCH_ENDS: u32 = 2u;

@group(0) @binding(0) var<uniform> p: Params;

@group(0) @binding(3) var<storage, read_write> average: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> clock: array<u32>;

// 1 − decay^m from ln(decay) (passed in, computed on the host in f64): −expm1(m · ln decay), by its
// series (to the fifth power: 1e-8 off at most) where 1 − exp would lose the digits that the first
// steps' weights are made of.
fn one_minus_power(m: f32) -> f32 {
    let x = m * p.log_decay;
    if x > -0.1 {
        return -x * (1.0 + x * (1.0 / 2.0 + x * (1.0 / 6.0 + x * (1.0 / 24.0 + x / 120.0))));
    }
    return 1.0 - exp(x);
}

@compute @workgroup_size(256)
fn update(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
    let step = clock[0];
    var decay = select(0.0, p.decay, step >= p.from_step);
    if p.weights != 0u && step >= p.from_step {
        var n = f32(step - p.from_step);
        let since = step + 1u - p.from_step;
        if p.weights == EPOCH_ENDS {
            n = f32(since / p.epoch_steps) - 1.0;
        }
        if p.weights == EPOCH_ENDS && since % p.epoch_steps != 0u {
            decay = 1.0;
        } else if p.decay == 1.0 {
            decay = n / (n + 1.0);
        } else {
            decay = p.decay * one_minus_power(n) / one_minus_power(n + 1.0);
        }
    }
    let i = flat_index(gid, groups);
    if i >= p.quads { return; }
    average[i] = decay * old_average_quad(i) + (1.0 - decay) * param_quad(i);
}
