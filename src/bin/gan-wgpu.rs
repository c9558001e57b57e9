//! Tools around training: list adapters, preview the data.

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    version,
    about = "gan-wgpu tools (training itself is `cargo run --release --bin train`)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the GPU adapters wgpu can see, and the one gan-wgpu would use.
    Adapters,
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Adapters => adapters(),
    }
}

fn adapters() -> anyhow::Result<()> {
    use gan_wgpu::gpu::{ADAPTER_ENV, BACKEND_ENV, Gpu, list_adapters};
    let all = pollster::block_on(list_adapters());
    println!("adapters ({BACKEND_ENV} restricts the backends, {ADAPTER_ENV} picks by name):");
    for adapter in &all {
        println!("  - {adapter}");
    }
    let gpu = Gpu::new_blocking()?;
    println!("selected: {}", gpu.adapter);
    Ok(())
}
