// Matmul's bindings where A and B are read from their storage buffers directly, as vec4s: no
// copies, and what real GPUs (and their caches) are built for.

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> b: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> bias: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;
@group(0) @binding(5) var<storage, read> shape: Shape;

fn a_at(i: u32) -> f32 { return a[i >> 2u][i & 3u]; }
fn b_at(i: u32) -> f32 { return b[i >> 2u][i & 3u]; }

// Elements base + offsets of A (or B): one load when aligned and the offsets are 0, 1, 2, 3.
fn a_quad(base: u32, offsets: vec4u) -> vec4<f32> {
    if ALIGNED { return a[(base + offsets.x) >> 2u]; }
    return vec4(a_at(base + offsets.x), a_at(base + offsets.y), a_at(base + offsets.z), a_at(base + offsets.w));
}

fn b_quad(base: u32, offsets: vec4u) -> vec4<f32> {
    if ALIGNED { return b[(base + offsets.x) >> 2u]; }
    return vec4(b_at(base + offsets.x), b_at(base + offsets.y), b_at(base + offsets.z), b_at(base + offsets.w));
}
