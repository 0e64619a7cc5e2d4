//! Gives the shared library its soname on Linux: `libbili_qr.so.<major>` (`libbili_qr.so.0` for every 0.x).
//!
//! Why the major version alone, also for 0.x: the soname names the C ABI's compatibility, and the C ABI only
//! grows (docs/ABI.md: version 2 adds functions and options, every version-1 function keeps its meaning), so a
//! program linked against 0.1 runs with 0.2. A change that breaks a C caller raises the major version (and so the
//! soname): `libbili_qr.so.1` from 1.0 on.
//!
//! The linker writes the soname into every program linked with `-lbili_qr` as the file to load at run time. So
//! that `target/<profile>/libbili_qr.so` stays usable as built (`cc -Ltarget/release -lbili_qr
//! -Wl,-rpath,...`), this script also puts the symlink `libbili_qr.so.<major> -> libbili_qr.so` beside it.
//! scripts/install.sh copies the library as `libbili_qr.so.X.Y.Z` with the two usual symlinks; no patchelf.

use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if os != "linux" {
        // Mach-O install names and Windows DLL names come from the linker's defaults (bili_qr.dll,
        // libbili_qr.dylib); only ELF on Linux gets a soname.
        return;
    }
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_else(|_| "0".into());
    let soname = format!("libbili_qr.so.{major}");
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,{soname}");

    // OUT_DIR is <target>/<triple?>/<profile>/build/bili-qr-capi-<hash>/out: the library is written three
    // levels up. If the layout is ever different, no link is made (the build itself is not affected).
    let Some(out_dir) = std::env::var_os("OUT_DIR").map(PathBuf::from) else {
        return;
    };
    let Some(profile_dir) = out_dir.ancestors().nth(3) else {
        return;
    };
    if profile_dir.join("build").is_dir() {
        link_beside(profile_dir, &soname);
    }
}

#[cfg(unix)]
fn link_beside(dir: &Path, soname: &str) {
    let link = dir.join(soname);
    match std::fs::read_link(&link) {
        Ok(to) if to == Path::new("libbili_qr.so") => {}
        _ => {
            let _ = std::fs::remove_file(&link);
            if let Err(e) = std::os::unix::fs::symlink("libbili_qr.so", &link) {
                println!(
                    "cargo:warning=could not link {} -> libbili_qr.so: {e}",
                    link.display()
                );
            }
        }
    }
}

#[cfg(not(unix))]
fn link_beside(_dir: &Path, _soname: &str) {}
