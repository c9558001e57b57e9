// A tensor read as texels (`Access::Texels` on the host): copied into an rgba32float texture
// 1,024 texels wide, texel t holding elements 4t..4t+4 at (t % 1024, t / 1024).

fn texel(t: texture_2d<f32>, index: u32) -> vec4<f32> {
    return textureLoad(t, vec2u(index & 1023u, index >> 10u), 0);
}
