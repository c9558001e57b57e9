//! Every WGSL module parses and validates with naga, independently of any adapter.

use gan_wgpu::shaders::{ALL, with_storage_reads};

#[test]
fn every_shader_parses_and_validates() {
    // Element-wise kernels also as their storage-reading twins (texture bindings turned into arrays).
    let twins = ALL.iter().filter(|s| s.elementwise).map(|s| (s, with_storage_reads(&s.source())));
    let sources = ALL.iter().map(|s| (s, s.source())).chain(twins);
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

#[test]
fn storage_twins_read_arrays_where_the_kernels_read_texels() {
    for shader in ALL.iter().filter(|s| s.elementwise) {
        let twin = with_storage_reads(&shader.source());
        assert!(!twin.contains(": texture_2d<f32>;"), "{}: a texture binding is left", shader.name);
        assert!(twin.contains("var<storage, read>"), "{}: no storage binding was made", shader.name);
        let calls = twin.matches("texel(").count();
        assert_eq!(calls, twin.matches("fn texel(").count(), "{}: a texel read is left:\n{twin}", shader.name);
    }
}

#[test]
fn in_place_updates_read_storage_from_the_buffer_they_write() {
    use gan_wgpu::shaders::{ADAM, EMA, SGD};
    for shader in [&SGD, &ADAM, &EMA] {
        let twin = with_storage_reads(&shader.source());
        assert!(!twin.contains("_old"), "{}: old values are still bound:\n{twin}", shader.name);
    }
    let sgd = with_storage_reads(&SGD.source());
    assert!(sgd.contains("let w = param[i];") && sgd.contains("h.momentum * velocity[i] + g"), "{sgd}");
    let ema = with_storage_reads(&EMA.source());
    assert!(ema.contains("decay * average[i] + (1.0 - decay) * param[i]"), "{ema}");
}
