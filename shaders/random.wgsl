// Random fills: uniform in [lo, hi) and normal(mean, std), keyed by (seed, stream, clock[0], index).
// clock[0] is a step counter that lives on the GPU (see random::advance), so each training step draws
// new numbers without a host write.

struct Params { n: u32, seed: u32, stream: u32, _pad: u32, a: f32, b: f32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> clock: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;


// a = lo, b = hi.
@compute @workgroup_size(256)
fn fill_uniform(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
    let i = flat_index(gid, groups);
    if i >= p.n { return; }
    let u = unit_float(random_bits(p.seed, p.stream, clock[0], i).x);
    out[i] = p.a + (p.b - p.a) * u;
}

// a = mean, b = standard deviation. Box-Muller on two of the four words.
@compute @workgroup_size(256)
fn fill_normal(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
    let i = flat_index(gid, groups);
    if i >= p.n { return; }
    let bits = random_bits(p.seed, p.stream, clock[0], i);
    let u1 = 1.0 - unit_float(bits.x); // (0, 1]: log stays finite
    let u2 = unit_float(bits.y);
    let z = sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
    out[i] = p.a + p.b * z;
}

// The step counter moves on by one: recorded once per training step.
@group(0) @binding(1) var<storage, read_write> tick_clock: array<u32>;

@compute @workgroup_size(1)
fn advance() {
    tick_clock[0] += 1u;
}
