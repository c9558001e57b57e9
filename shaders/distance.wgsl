// Distances between the rows of a query matrix Q and a centre matrix C, from their dot products
// (Q·Cᵀ, made by the matmul kernels) and squared norms: |q - c|² = |q|² + |c|² - 2 q·c.
// `parzen` is the Gaussian Parzen-window log-likelihood of each query, as parzen_ll.py of
// Goodfellow et al. 2014: log mean_j exp(-|q - c_j|² / 2σ²) - D·log(σ√(2π)).
// `nearest` is each query's squared distance to its nearest centre.
// Both give each query row one workgroup that walks the centres and reduces in workgroup memory.

struct Params { queries: u32, centres: u32, dims: u32, sigma: f32 }

@group(0) @binding(0) var<uniform> p: Params;

@group(0) @binding(1) var<storage, read> rows: array<f32>;
@group(0) @binding(2) var<storage, read_write> norms: array<f32>;

@compute @workgroup_size(256)
fn squared_norms(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
    let row = flat_index(gid, groups);
    if row >= p.queries { return; }
    var sum = 0.0;
    for (var d = 0u; d < p.dims; d++) {
        let v = rows[row * p.dims + d];
        sum += v * v;
    }
    norms[row] = sum;
}

@group(0) @binding(1) var<storage, read> dots: array<f32>;
@group(0) @binding(2) var<storage, read> query_norms: array<f32>;
@group(0) @binding(3) var<storage, read> centre_norms: array<f32>;
@group(0) @binding(4) var<storage, read_write> result: array<f32>;

var<workgroup> top: array<f32, 256>;
var<workgroup> total: array<f32, 256>;

fn squared_distance(query: u32, centre: u32) -> f32 {
    // Rounding can take a tiny distance below zero.
    return max(query_norms[query] + centre_norms[centre] - 2.0 * dots[query * p.centres + centre], 0.0);
}

fn query_of(group: vec3u, groups: vec3u) -> u32 {
    return group.x + group.y * groups.x;
}

@compute @workgroup_size(256)
fn parzen(@builtin(workgroup_id) group: vec3u, @builtin(num_workgroups) groups: vec3u,
          @builtin(local_invocation_index) lid: u32) {
    let query = query_of(group, groups);
    if query >= p.queries { return; }
    let scale = -0.5 / (p.sigma * p.sigma);
    // A running log-sum-exp per lane: the largest exponent so far, and the sum relative to it.
    var m = -3.0e38;
    var s = 0.0;
    for (var j = lid; j < p.centres; j += 256u) {
        let e = scale * squared_distance(query, j);
        if e > m {
            s = s * exp(m - e) + 1.0;
            m = e;
        } else {
            s += exp(e - m);
        }
    }
    top[lid] = m;
    total[lid] = s;
    workgroupBarrier();
    for (var half = 128u; half > 0u; half >>= 1u) {
        if lid < half {
            let m2 = max(top[lid], top[lid + half]);
            total[lid] = total[lid] * exp(top[lid] - m2) + total[lid + half] * exp(top[lid + half] - m2);
            top[lid] = m2;
        }
        workgroupBarrier();
    }
    if lid == 0u {
        let log_mean = top[0] + log(total[0]) - log(f32(p.centres));
        result[query] = log_mean - f32(p.dims) * log(p.sigma * sqrt(2.0 * 3.14159265358979));
    }
}

@compute @workgroup_size(256)
fn nearest(@builtin(workgroup_id) group: vec3u, @builtin(num_workgroups) groups: vec3u,
           @builtin(local_invocation_index) lid: u32) {
    let query = query_of(group, groups);
    if query >= p.queries { return; }
    var best = 3.0e38;
    for (var j = lid; j < p.centres; j += 256u) { best = min(best, squared_distance(query, j)); }
    top[lid] = best;
    workgroupBarrier();
    for (var half = 128u; half > 0u; half >>= 1u) {
        if lid < half { top[lid] = min(top[lid], top[lid + half]); }
        workgroupBarrier();
    }
    if lid == 0u { result[query] = top[0]; }
}
