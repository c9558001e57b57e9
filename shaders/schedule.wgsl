// Learning-rate schedules, run on the GPU before an optimizer's update: they set the optimizer's lr
// (the first word of its hyper-parameters, SGD's and Adam's alike) from the step counter, so a
// schedule needs no host write and a resumed run follows it exactly.

struct Params { lr: f32, steps: f32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> clock: array<u32>;
@group(0) @binding(2) var<storage, read_write> hyper: array<f32>;

// lr · (1 − step / steps): from the initial lr at step 0 down to zero after `steps` steps.
@compute @workgroup_size(1)
fn linear_decay() {
    hyper[0] = p.lr * max(0.0, 1.0 - f32(clock[0]) / p.steps);
}
