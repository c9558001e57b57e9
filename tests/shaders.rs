//! Every WGSL module parses and validates with naga, independently of any adapter.

use gan_wgpu::shaders::ALL;

#[test]
fn every_shader_parses_and_validates() {
    for shader in ALL {
        let source = shader.source();
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
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/shaders");
    let sources: String = ALL.iter().map(|s| s.source()).collect();
    let folders = ["", "/common", "/matmul"].map(|sub| std::fs::read_dir(format!("{dir}{sub}")).unwrap());
    for entry in folders.into_iter().flatten() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "wgsl") {
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(sources.contains(&text), "{} is not part of any shader in shaders::ALL", path.display());
        }
    }
}
