//! Generates the gRPC code with a vendored protoc, so a build never needs one
//! installed by hand, and writes the descriptor set that reflection serves.
use std::{env, path::PathBuf};

const PROTOS: &[&str] = &[
    "probity/registry/v1/registry.proto",
    "probity/intake/v1/intake.proto",
    "probity/intake/v1/public.proto",
    "probity/accountability/v1/accountability.proto",
    "probity/rankings/v1/rankings.proto",
    "probity/draws/v1/draws.proto",
    "probity/audit/v1/audit.proto",
    "google/rpc/error_details.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protoc = protoc_bin_vendored::protoc_bin_path()?;
    // SAFETY: build scripts are single-threaded.
    unsafe { env::set_var("PROTOC", protoc) };
    let include = protoc_bin_vendored::include_path()?;
    let include = include
        .to_str()
        .ok_or("non-UTF-8 include path")?
        .to_string();
    let out = PathBuf::from(env::var("OUT_DIR")?);
    for p in PROTOS {
        println!("cargo:rerun-if-changed={p}");
    }
    println!("cargo:rerun-if-changed=build.rs");
    tonic_prost_build::configure()
        .file_descriptor_set_path(out.join("probity_descriptor.bin"))
        .compile_protos(PROTOS, &[".", include.as_str()])?;
    Ok(())
}
