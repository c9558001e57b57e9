// Counter-based random numbers: every value is a pure function of (seed, stream, step, index),
// so runs are reproducible, kernels need no RNG state, and src/rng.rs reproduces them bit for bit.
// The mixing function is pcg4d (Jarzynski & Olano, "Hash Functions for GPU Rendering", JCGT 2020).

fn pcg4d(input: vec4u) -> vec4u {
    var v = input * 1664525u + 1013904223u;
    v.x += v.y * v.w;
    v.y += v.z * v.x;
    v.z += v.x * v.y;
    v.w += v.y * v.z;
    v ^= v >> vec4u(16u);
    v.x += v.y * v.w;
    v.y += v.z * v.x;
    v.z += v.x * v.y;
    v.w += v.y * v.z;
    return v;
}

// Uniform in [0, 1) with 24 random bits: exact in f32, identical on every device.
fn unit_float(bits: u32) -> f32 {
    return f32(bits >> 8u) * (1.0 / 16777216.0);
}

// Four independent random words for element `index` of a draw.
fn random_bits(seed: u32, stream: u32, step: u32, index: u32) -> vec4u {
    return pcg4d(vec4u(index, stream, step, seed));
}
