//! Generates include/bili_qr.h with cbindgen (config: cbindgen.toml). The header is committed; the test
//! suite fails when the committed copy differs from what this generates.

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=build.rs");
    // No soname here: target/release/libbili_qr.so must be usable as built (cc -lbili_qr). The installer
    // (scripts/install.sh) gives the installed copy its versioned soname.
    let crate_dir =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let mut config =
        cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml parses");
    let version = |part: &str| {
        std::env::var(format!("CARGO_PKG_VERSION_{part}")).unwrap_or_else(|_| "0".into())
    };
    config.after_includes = Some(format!(
        "\n#include <stddef.h>\n\n/* The library version this header belongs to (Cargo.toml); bili_qr_version() gives the loaded one. */\n#define BILI_QR_VERSION_MAJOR {}\n#define BILI_QR_VERSION_MINOR {}\n#define BILI_QR_VERSION_PATCH {}\n",
        version("MAJOR"),
        version("MINOR"),
        version("PATCH")
    ));
    let bindings = match cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
    {
        Ok(b) => b,
        Err(e) => panic!("cbindgen failed to generate include/bili_qr.h: {e}"),
    };
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    bindings.write_to_file(out_dir.join("bili_qr.h"));
    // Keep the working copy current; the committed copy is what the freshness test compares against.
    bindings.write_to_file(crate_dir.join("include/bili_qr.h"));
}
