// Column sums of a rows×cols matrix: the bias gradient of a linear layer is the column sum of dY.
// An invocation sums four columns, reading x four values at a time through `x_quad` (a texel copy,
// 1_reads_texels.wgsl, or the storage buffer, 2_reads_storage.wgsl): where cols is a multiple of 4
// (ALIGNED) a row's four values are one quad, otherwise four.

override ALIGNED: bool = false;

struct Params { rows: u32, cols: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read_write> sums: array<f32>;

fn element(i: u32) -> f32 {
    return x_quad(i >> 2u)[i & 3u];
}

// x[row, col0..col0 + 4), columns past the edge clamped to the last.
fn quad(row: u32, col0: u32) -> vec4<f32> {
    let base = row * p.cols;
    if ALIGNED { return x_quad((base + col0) >> 2u); }
    let last = p.cols - 1u;
    return vec4(element(base + col0), element(base + min(col0 + 1u, last)), element(base + min(col0 + 2u, last)), element(base + min(col0 + 3u, last)));
}

// Workgroups of 8 spread narrow matrices over more threads than 256 would.
@compute @workgroup_size(8)
fn column_sums(@builtin(global_invocation_id) gid: vec3u) {
    let col0 = gid.x * 4u;
    if col0 >= p.cols { return; }
    var sum = vec4(0.0);
    for (var r = 0u; r < p.rows; r++) { sum += quad(r, col0); }
    sums[col0] = sum.x;
    if col0 + 1u < p.cols { sums[col0 + 1u] = sum.y; }
    if col0 + 2u < p.cols { sums[col0 + 2u] = sum.z; }
    if col0 + 3u < p.cols { sums[col0 + 3u] = sum.w; }
}
