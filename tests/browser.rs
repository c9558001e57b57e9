//! The browser page (web/index.html with the committed bundle) in headless Chromium: WebGPU and
//! the CPU fallback both reproduce the native `generate` output; bad weight files are refused.
//! Needs node, web/test/node_modules (npm ci --prefix web/test) and Chromium; .ci/run installs
//! them. GAN_WGPU_SKIP_BROWSER_TESTS=1 skips this (CI never sets it).

use std::path::Path;
use std::process::Command;

#[test]
fn page_matches_native_generation() {
    if std::env::var("GAN_WGPU_SKIP_BROWSER_TESTS").is_ok_and(|v| v == "1") {
        eprintln!("GAN_WGPU_SKIP_BROWSER_TESTS=1: skipping the browser test");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert!(
        root.join("web/test/node_modules/playwright-core").is_dir(),
        "the browser test needs playwright-core: npm ci --prefix web/test (GAN_WGPU_SKIP_BROWSER_TESTS=1 skips it)"
    );
    let output = Command::new("node")
        .arg(root.join("web/test/browser.js"))
        .arg(env!("CARGO_BIN_EXE_gan-wgpu"))
        .output()
        .expect("the browser test needs node (GAN_WGPU_SKIP_BROWSER_TESTS=1 skips it)");
    let text = String::from_utf8_lossy(&output.stdout).to_string() + &String::from_utf8_lossy(&output.stderr);
    eprintln!("{text}");
    // The page's start-up and generation times, shown in every `cargo test` log: libtest captures
    // the print macros, not writes to the stderr handle.
    let timings: String = text
        .lines()
        .filter(|l| l.starts_with("start-up") || l.starts_with("timings"))
        .map(|l| format!("browser {l}\n"))
        .collect();
    std::io::Write::write_all(&mut std::io::stderr(), timings.as_bytes()).expect("stderr");
    assert!(output.status.success(), "the browser test failed:\n{text}");
}
