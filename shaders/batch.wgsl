// Assembling batches on the GPU. The training images stay on the GPU as packed u8 (4 per u32);
// `gather` converts the step's batch to f32 in [0, 1], in the epoch's order: batch
// clock[0] mod batches_per_epoch takes images order[batch·rows ..]. `copy_rows` places a matrix
// into a larger one at a row offset (the discriminator's [real; fake] batch). `gather_one_hot`
// takes the same batch's labels (one u32 per image) as one-hot rows of `cols` classes.

struct Params { rows: u32, cols: u32, dst_row: u32, batches_per_epoch: u32 }

@group(0) @binding(0) var<uniform> p: Params;


@group(0) @binding(1) var<storage, read> clock: array<u32>;
@group(0) @binding(2) var<storage, read> images: array<u32>;
@group(0) @binding(3) var<storage, read> order: array<u32>;
@group(0) @binding(4) var<storage, read_write> gathered: array<f32>;

@compute @workgroup_size(256)
fn gather(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
    let i = flat_index(gid, groups);
    if i >= p.rows * p.cols { return; }
    let row = i / p.cols;
    let batch = clock[0] % p.batches_per_epoch;
    let pixel = order[batch * p.rows + row] * p.cols + i % p.cols;
    let byte = (images[pixel >> 2u] >> ((pixel & 3u) * 8u)) & 0xffu;
    gathered[(p.dst_row + row) * p.cols + i % p.cols] = f32(byte) * (1.0 / 255.0);
}

@group(0) @binding(2) var<storage, read> labels: array<u32>;

@compute @workgroup_size(256)
fn gather_one_hot(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
    let i = flat_index(gid, groups);
    if i >= p.rows * p.cols { return; }
    let row = i / p.cols;
    let label = labels[order[(clock[0] % p.batches_per_epoch) * p.rows + row]];
    gathered[(p.dst_row + row) * p.cols + i % p.cols] = select(0.0, 1.0, label == i % p.cols);
}

@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(256)
fn copy_rows(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
    let i = flat_index(gid, groups);
    if i >= p.rows * p.cols { return; }
    dst[p.dst_row * p.cols + i] = src[i];
}
