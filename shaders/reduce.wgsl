// Column sums of a rows×cols matrix: the bias gradient of a linear layer is the column sum of dY.

struct Params { rows: u32, cols: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> sums: array<f32>;

@compute @workgroup_size(256)
fn column_sums(@builtin(global_invocation_id) gid: vec3u) {
    let col = gid.x;
    if col >= p.cols { return; }
    var sum = 0.0;
    for (var r = 0u; r < p.rows; r++) { sum += x[r * p.cols + col]; }
    sums[col] = sum;
}
