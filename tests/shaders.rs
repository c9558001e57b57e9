//! Every WGSL module parses and validates with naga, independently of any adapter.

use gan_wgpu::shaders::{ALL, Epilogue, Reads};

#[test]
fn every_shader_parses_and_validates() {
    // Element-wise kernels in both ways of reading (their two binding modules), matmuls with each epilogue.
    let sources = ALL.iter().flat_map(|s| s.sources().into_iter().map(move |source| (s, source)));
    for (shader, source) in sources {
        let module = naga::front::wgsl::parse_str(&source)
            .unwrap_or_else(|e| panic!("{}.wgsl does not parse:\n{}", shader.name, e.emit_to_string(&source)));
        // Only the shaders marked as such may use subgroup operations (browsers may lack them).
        let capabilities =
            if shader.subgroups { naga::valid::Capabilities::SUBGROUP } else { naga::valid::Capabilities::empty() };
        naga::valid::Validator::new(naga::valid::ValidationFlags::all(), capabilities)
            .subgroup_stages(naga::valid::ShaderStages::COMPUTE)
            .subgroup_operations(naga::valid::SubgroupOperationSet::all())
            .validate(&module)
            .unwrap_or_else(|e| panic!("{}.wgsl does not validate:\n{}", shader.name, e.emit_to_string(&source)));
    }
}

#[test]
fn every_wgsl_file_is_used() {
    let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/shaders"));
    let sources: String = ALL.iter().flat_map(|s| s.sources()).collect();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "wgsl") {
                let text = std::fs::read_to_string(&path).unwrap();
                assert!(sources.contains(&text), "{} is not part of any shader in shaders::ALL", path.display());
            }
        }
    }
}

/// The two ways of reading differ only in their binding modules: reading storage binds no texture,
/// reads no texel, and reads no copy of the buffers an update writes.
#[test]
fn storage_reads_bind_no_textures() {
    for shader in ALL.iter().filter(|s| s.is_elementwise()) {
        let texels = shader.source(Reads::Texels, Epilogue::Store);
        let storage = shader.source(Reads::Storage, Epilogue::Store);
        assert!(texels.contains(": texture_2d<f32>;"), "{}: the texel reads bind no texture", shader.name);
        assert!(!storage.contains(": texture_2d<f32>;"), "{}: a texture binding in the storage reads", shader.name);
        assert!(storage.contains("var<storage, read>"), "{}: the storage reads bind no input", shader.name);
        let calls = storage.matches("texel(").count();
        assert_eq!(calls, storage.matches("fn texel(").count(), "{}: a texel read is left:\n{storage}", shader.name);
        assert!(!storage.contains("_old"), "{}: old values are still bound:\n{storage}", shader.name);
    }
}
