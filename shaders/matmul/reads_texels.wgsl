// Matmul's bindings where A and B are read as texels: the host copies them into rgba32float
// textures (shaders/common/texels.wgsl). On llvmpipe loads decide a matmul's speed: it reads a
// storage buffer lane by lane and element by element, but fetches a texel for all SIMD lanes at
// once (a call of about 130 instructions).

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var a: texture_2d<f32>;
@group(0) @binding(2) var b: texture_2d<f32>;
@group(0) @binding(3) var<storage, read> bias: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;
@group(0) @binding(5) var<storage, read> shape: Shape;

fn a_at(i: u32) -> f32 { return texel(a, i >> 2u)[i & 3u]; }
fn b_at(i: u32) -> f32 { return texel(b, i >> 2u)[i & 3u]; }

// Elements base + offsets of A (or B): one load when aligned and the offsets are 0, 1, 2, 3.
fn a_quad(base: u32, offsets: vec4u) -> vec4<f32> {
    if ALIGNED { return texel(a, (base + offsets.x) >> 2u); }
    return vec4(a_at(base + offsets.x), a_at(base + offsets.y), a_at(base + offsets.z), a_at(base + offsets.w));
}

fn b_quad(base: u32, offsets: vec4u) -> vec4<f32> {
    if ALIGNED { return texel(b, (base + offsets.x) >> 2u); }
    return vec4(b_at(base + offsets.x), b_at(base + offsets.y), b_at(base + offsets.z), b_at(base + offsets.w));
}
