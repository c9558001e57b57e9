// The element an invocation of a 256-wide element-wise kernel handles: large grids spill into the
// y dimension of the dispatch (see grid_1d in src/gpu/kernel.rs).
fn flat_index(gid: vec3u, groups: vec3u) -> u32 {
    return gid.x + gid.y * groups.x * 256u;
}

