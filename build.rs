//! Generates the C header, `$OUT_DIR/bili_qr.h`, by running the pinned cbindgen (config: cbindgen.toml) on
//! the FFI layer alone: src/ffi/mod.rs and the modules it declares, whose exports are plain
//! `pub unsafe extern "C" fn`s. Nothing of the core can reach the header, so there is no exclude list; the
//! header's preamble is the `//!` documentation of src/ffi/mod.rs (its one home), up to "In Rust,".
//!
//! The committed copy, include/bili_qr.h, is compared with the generated one by tests/abi/header.rs (which
//! rewrites it when run with BILI_QR_BLESS_HEADER=1). This script never writes into the source tree.

use std::path::{Path, PathBuf};

/// The `//!` documentation of src/ffi/mod.rs as a C comment (code fences and `<!-- -->` markers dropped; it stops at the paragraph
/// about the Rust module, "In Rust,").
fn preamble(mod_rs: &Path) -> String {
    let text = std::fs::read_to_string(mod_rs).expect("read src/ffi/mod.rs");
    let mut lines = vec!["/*".to_owned()];
    for line in text.lines().map_while(|l| l.strip_prefix("//!")) {
        let line = line.strip_prefix(' ').unwrap_or(line);
        // Code fences, and the generator's markers (abi/gen.py writes the options table between them).
        if line.trim_start().starts_with("```") || line.starts_with("<!--") {
            continue;
        }
        if line.starts_with("In Rust,") {
            break;
        }
        assert!(
            !line.contains("*/"),
            "the preamble must not contain */: {line}"
        );
        lines.push(if line.is_empty() {
            " *".to_owned()
        } else {
            format!(" * {line}")
        });
    }
    while lines.last().is_some_and(|l| l == " *") {
        lines.pop();
    }
    lines.push(" */".to_owned());
    lines.join("\n")
}

fn main() {
    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=build.rs");
    // The soname (libbili_qr.so.MAJOR) is set by capi/build.rs, which also links target/<profile>/libbili_qr.so.MAJOR
    // to the library so that it stays usable as built (cc -lbili_qr).
    let crate_dir =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let mod_rs = crate_dir.join("src/ffi/mod.rs");
    let mut config =
        cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml parses");
    let version = |part: &str| {
        std::env::var(format!("CARGO_PKG_VERSION_{part}")).unwrap_or_else(|_| "0".into())
    };
    config.header = Some(preamble(&mod_rs));
    config.after_includes = Some(format!(
        "\n#include <stddef.h>\n\n/* The library version this header belongs to (Cargo.toml); bili_qr_version() gives the loaded one. */\n#define BILI_QR_VERSION_MAJOR {}\n#define BILI_QR_VERSION_MINOR {}\n#define BILI_QR_VERSION_PATCH {}\n",
        version("MAJOR"),
        version("MINOR"),
        version("PATCH")
    ));
    let bindings = match cbindgen::Builder::new()
        .with_src(&mod_rs)
        .with_config(config)
        .generate()
    {
        Ok(b) => b,
        Err(e) => panic!("cbindgen failed to generate bili_qr.h: {e}"),
    };
    bindings.write_to_file(out_dir.join("bili_qr.h"));
}
