//! The header and the layering: include/bili_qr.h equals what build.rs generates (compared with the working
//! tree, so a regenerated header passes before it is committed, and a stale committed one fails in a fresh
//! clone), its versions and constants, the library's exports (exactly the header's functions), and the
//! structure the compiler and the tests enforce (one boundary for every export, `unsafe` only in src/ffi,
//! nothing printed).
//!
//! To update the committed header after changing a doc comment in src/ffi:
//! `BILI_QR_BLESS_HEADER=1 cargo test --test abi header::`, then commit include/bili_qr.h.

use crate::ALL_STATUSES;
use bili_qr::ffi::*;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Every function of ABI 3, in name order.
const EXPORTS: [&str; 26] = [
    "bili_qr_abi_version",
    "bili_qr_cancel",
    "bili_qr_check",
    "bili_qr_check_ex",
    "bili_qr_free",
    "bili_qr_last_error",
    "bili_qr_logout",
    "bili_qr_logout_ex",
    "bili_qr_poll",
    "bili_qr_poll_ex",
    "bili_qr_refresh",
    "bili_qr_refresh_confirm",
    "bili_qr_refresh_confirm_ex",
    "bili_qr_refresh_ex",
    "bili_qr_render",
    "bili_qr_render_ex",
    "bili_qr_session_convert",
    "bili_qr_session_convert_ex",
    "bili_qr_session_save",
    "bili_qr_session_save_ex",
    "bili_qr_start",
    "bili_qr_start_ex",
    "bili_qr_status_str",
    "bili_qr_version",
    "bili_qr_wait",
    "bili_qr_wait_ex",
];

fn exports() -> Vec<&'static str> {
    EXPORTS.to_vec()
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn header() -> String {
    std::fs::read_to_string(root().join("include/bili_qr.h")).expect("include/bili_qr.h exists")
}

fn define(h: &str, name: &str) -> String {
    h.lines()
        .find_map(|l| {
            let mut it = l.split_whitespace();
            (it.next() == Some("#define") && it.next() == Some(name))
                .then(|| it.collect::<Vec<_>>().join(" "))
        })
        .unwrap_or_else(|| panic!("the header has no #define {name}"))
}

/// The functions the header declares (a line that is not a comment, with `bili_qr_x(`).
fn declared_functions(h: &str) -> Vec<String> {
    let mut out: Vec<String> = h
        .lines()
        .filter(|l| !l.trim_start().starts_with(['*', '/', '#']) && !l.contains("typedef"))
        .filter_map(|l| {
            let at = l.find("bili_qr_")?;
            let rest = &l[at..];
            let end = rest.find('(')?;
            let name = &rest[..end];
            name.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_')
                .then(|| name.to_owned())
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

#[test]
fn the_committed_header_is_what_the_build_generates() {
    let generated = std::fs::read_to_string(Path::new(env!("OUT_DIR")).join("bili_qr.h"))
        .expect("build.rs wrote $OUT_DIR/bili_qr.h");
    let path = root().join("include/bili_qr.h");
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    if generated == on_disk {
        return;
    }
    if std::env::var_os("BILI_QR_BLESS_HEADER").is_some() {
        std::fs::write(&path, &generated).expect("write include/bili_qr.h");
        eprintln!("include/bili_qr.h rewritten from the generated header; commit it");
        return;
    }
    let first = generated
        .lines()
        .zip(on_disk.lines())
        .position(|(a, b)| a != b)
        .map_or_else(
            || "(one is a prefix of the other)".to_owned(),
            |i| format!("line {}", i + 1),
        );
    panic!(
        "include/bili_qr.h differs from the header build.rs generates from src/ffi (first difference: {first}). \
         Regenerate it with `BILI_QR_BLESS_HEADER=1 cargo test --test abi header::` and commit it."
    );
}

#[test]
fn header_versions_and_constants_match_the_library() {
    let h = header();
    assert_eq!(
        define(&h, "BILI_QR_ABI_VERSION"),
        bili_qr_abi_version().to_string()
    );
    assert_eq!(define(&h, "BILI_QR_ABI_VERSION"), "3");
    assert_eq!(
        define(&h, "BILI_QR_VERSION_MAJOR"),
        env!("CARGO_PKG_VERSION_MAJOR")
    );
    assert_eq!(
        define(&h, "BILI_QR_VERSION_MINOR"),
        env!("CARGO_PKG_VERSION_MINOR")
    );
    assert_eq!(
        define(&h, "BILI_QR_VERSION_PATCH"),
        env!("CARGO_PKG_VERSION_PATCH")
    );
    for (value, name) in ALL_STATUSES {
        assert_eq!(
            define(&h, name).trim_matches(|c| c == '(' || c == ')'),
            value.to_string(),
            "{name}"
        );
    }
}

#[test]
fn the_header_holds_only_the_abis_names() {
    // Generated from src/ffi alone: no constant of the core (CODE_*, MAX_*) can leak in.
    let h = header();
    for l in h.lines().filter(|l| l.starts_with("#define")) {
        let name = l.split_whitespace().nth(1).unwrap_or("");
        assert!(
            name.starts_with("BILI_QR_"),
            "the header defines {name}, which is not part of the ABI"
        );
    }
    assert_eq!(declared_functions(&h), exports());
}

#[test]
fn header_has_guard_cpp_compat_callback_and_a_doc_comment_on_every_function() {
    let h = header();
    assert!(h.contains("#ifndef BILI_QR_H") && h.contains("#define BILI_QR_H"));
    assert!(h.contains("#ifdef __cplusplus") && h.contains("extern \"C\""));
    assert!(h.contains("bili_qr_progress_fn"), "the callback type");
    assert!(
        h.contains("Errors with the result")
            && h.contains("bili_qr_poll_ex(ticket, NULL, &out, &err)"),
        "the header describes out_error once, with a C example"
    );
    let lines: Vec<&str> = h.lines().collect();
    for f in exports() {
        let at = lines
            .iter()
            .position(|l| {
                (l.contains(&format!(" {f}(")) || l.contains(&format!("*{f}(")))
                    && !l.trim_start().starts_with(['*', '/'])
            })
            .unwrap_or_else(|| panic!("{f} is not declared in the header"));
        let before = lines[..at]
            .iter()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or(&"");
        assert!(
            before.trim_end().ends_with("*/") || before.trim_start().starts_with("//"),
            "{f} has no doc comment (line before: {before:?})"
        );
        if f.ends_with("_ex") {
            let line = lines[at..]
                .iter()
                .take_while(|l| !l.contains(';'))
                .chain(lines[at..].iter().find(|l| l.contains(';')))
                .copied()
                .collect::<String>();
            assert!(
                line.contains("char **out_error);"),
                "{f}: out_error is the last parameter: {line}"
            );
        }
    }
}

#[test]
fn the_shared_library_exports_exactly_the_headers_functions() {
    // The library the other suites load (tests/run-all.sh exports it: the release build, with LTO), else the
    // one built next to these tests.
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().unwrap().parent().unwrap();
    let lib = std::env::var_os("BILI_QR_LIBRARY")
        .map(std::path::PathBuf::from)
        .into_iter()
        .chain(
            ["libbili_qr.so", "libbili_qr.dylib", "bili_qr.dll"]
                .iter()
                .map(|n| profile_dir.join(n)),
        )
        .find(|p| p.exists())
        .expect(
            "the cdylib: BILI_QR_LIBRARY, or built next to the tests (cargo build -p bili-qr-capi)",
        );
    if lib.extension().and_then(|e| e.to_str()) != Some("so") {
        return; // nm -D is the Linux check of docs/ABI.md
    }
    let out = Command::new("nm")
        .args(["-D", "--defined-only"])
        .arg(&lib)
        .output()
        .expect("nm (binutils) is needed to check the exports");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let mut ours: Vec<String> = Vec::new();
    for line in text.lines() {
        let parts: Vec<&str> = line.split_whitespace().collect();
        let (kind, name) = match parts.as_slice() {
            [_, k, n] => (*k, *n),
            [k, n] => (*k, *n),
            _ => continue,
        };
        // Only code and data symbols count (absolute version nodes like `A` are linker bookkeeping).
        if !matches!(
            kind,
            "T" | "t" | "D" | "d" | "B" | "b" | "R" | "r" | "W" | "V"
        ) {
            continue;
        }
        assert!(
            name.starts_with("bili_qr_"),
            "{lib:?} exports {name} ({kind})"
        );
        ours.push(name.to_owned());
    }
    ours.sort();
    assert_eq!(ours, declared_functions(&header()));
}

#[test]
fn cbindgen_is_pinned_to_one_exact_version() {
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let line = manifest
        .lines()
        .find(|l| l.trim_start().starts_with("cbindgen"))
        .expect("cbindgen is a build-dependency");
    assert!(
        line.contains("version = \"="),
        "cbindgen must be pinned with =x.y.z: {line}"
    );
}

/// Every `.rs` file under `dir`, recursively.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let p = entry.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The text of a source file without comments (line comments; good enough for this crate's sources).
fn code_of(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) if !l[..i].contains('"') => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_library_prints_nothing() {
    // "nothing the library prints ever holds a cookie value or a ticket": it prints nothing at all
    // (outside its unit tests).
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    assert!(files.len() >= 8, "{files:?}");
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap();
        for mac in ["print!(", "println!(", "eprint!(", "eprintln!(", "dbg!("] {
            assert!(!code.contains(mac), "{f:?} uses {mac}");
        }
    }
}

#[test]
fn unsafe_code_lives_in_src_ffi_only_and_the_compiler_refuses_it_elsewhere() {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    let ffi = root().join("src/ffi");
    for f in &files {
        if f.starts_with(&ffi) {
            continue;
        }
        let text = std::fs::read_to_string(f).unwrap();
        let code = code_of(&text);
        let bare = code
            .replace("unsafe_code", "")
            .replace("unsafe_op_in_unsafe_fn", "");
        assert!(
            !bare.contains("unsafe"),
            "{f:?} has `unsafe` outside src/ffi"
        );
    }
    // lib.rs: the crate denies unsafe code, and every module but ffi forbids it (no allow can lift that).
    let lib = std::fs::read_to_string(root().join("src/lib.rs")).unwrap();
    assert!(
        lib.contains("#![deny(unsafe_code)]") && lib.contains("#![deny(unsafe_op_in_unsafe_fn)]")
    );
    let lines: Vec<&str> = lib.lines().collect();
    let mut modules = 0;
    for (i, l) in lines.iter().enumerate() {
        let t = l.trim_start();
        if (t.starts_with("mod ") || t.starts_with("pub mod ")) && t.ends_with(';') {
            modules += 1;
            let attr = lines[..i].last().map(|s| s.trim()).unwrap_or("");
            if t.contains("mod ffi;") {
                assert_eq!(
                    attr, "#[allow(unsafe_code)]",
                    "ffi is the one module allowed unsafe"
                );
            } else {
                assert_eq!(
                    attr, "#[forbid(unsafe_code)]",
                    "module `{t}` must forbid unsafe code"
                );
            }
        }
    }
    assert!(modules >= 10, "lib.rs declares its modules ({modules})");
}

#[test]
fn every_export_is_a_plain_function_inside_the_one_boundary() {
    // Every export is a plain `#[no_mangle] pub [unsafe] extern "C" fn bili_qr_*` of src/ffi (so that
    // `grep 'extern "C" fn bili_qr_' src/ffi` lists them all), and its body is the boundary: it starts with
    // `ffi_boundary!(` (status exports), `guard(` (exports that cannot fail), or is one call of its `_ex`
    // twin, which is itself inside the boundary.
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    let mut declared = Vec::new();
    for f in &files {
        let code = code_of(&std::fs::read_to_string(f).unwrap());
        let in_ffi = f.starts_with(root().join("src/ffi"));
        for forbidden in ["no_mangle", "export_name", "extern \"C\" fn bili"] {
            assert!(
                in_ffi || !code.contains(forbidden),
                "{f:?}: `{forbidden}` outside src/ffi: exports live in src/ffi"
            );
        }
        assert!(!code.contains("export_name"), "{f:?}: use #[no_mangle]");
        let lines: Vec<&str> = code.lines().collect();
        for (i, l) in lines.iter().enumerate() {
            if l.contains("#[no_mangle]") {
                let next = lines.get(i + 1).copied().unwrap_or("");
                assert!(
                    next.starts_with("pub unsafe extern \"C\" fn bili_qr_")
                        || next.starts_with("pub extern \"C\" fn bili_qr_"),
                    "{f:?}:{}: #[no_mangle] on something else than an export: {next}",
                    i + 2
                );
            }
            let Some(at) = l.find("extern \"C\" fn bili_qr_") else {
                continue;
            };
            let name: String = l[at + 14..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            assert_eq!(
                lines.get(i.wrapping_sub(1)).map(|p| p.trim()),
                Some("#[no_mangle]"),
                "{f:?}: {name} is not #[no_mangle]"
            );
            // The body: from the line after the signature's `{` to the function's closing `}`.
            let open = (i..lines.len())
                .find(|&j| lines[j].ends_with('{'))
                .expect("a body");
            let body: Vec<&str> = lines[open + 1..]
                .iter()
                .take_while(|b| **b != "}")
                .map(|b| b.trim())
                .filter(|b| !b.is_empty())
                .collect();
            let first = body.first().copied().unwrap_or("");
            let joined = body.join(" ").replace("( ", "(");
            let twin = format!("unsafe {{ {name}_ex(");
            assert!(
                first.starts_with("ffi_boundary!(")
                    || first.starts_with("guard(")
                    || (joined.starts_with(&twin) && !joined.contains(';')),
                "{f:?}: the body of {name} does not enter the boundary: {first}"
            );
            declared.push(name);
        }
    }
    declared.sort();
    declared.dedup();
    assert_eq!(declared, exports(), "the exports of src/ffi");
}

#[test]
fn every_unsafe_block_in_src_ffi_has_a_safety_note() {
    let mut files = Vec::new();
    rust_files(&root().join("src/ffi"), &mut files);
    let mut blocks = 0;
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, l) in lines.iter().enumerate() {
            let code = l.split("//").next().unwrap_or("");
            if !code.contains("unsafe {") {
                continue;
            }
            blocks += 1;
            // The note is on one of the lines just above (a note may span two or three lines).
            let above = lines[i.saturating_sub(4)..i].join("\n");
            assert!(
                above.contains("// SAFETY:"),
                "{f:?}:{}: an unsafe block without a `// SAFETY:` note above it",
                i + 1
            );
        }
    }
    assert!(blocks >= 20, "found only {blocks} unsafe blocks in src/ffi");
}

#[test]
fn the_contract_data_lists_every_export() {
    // abi/bili_qr.toml (through include/bili_qr_abi.json) names every export with its version: the same set
    // as the library exports, and none added after the ABI version of this library.
    let text = std::fs::read_to_string(root().join("include/bili_qr_abi.json")).unwrap();
    let abi: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(abi["abi_version"], BILI_QR_ABI_VERSION);
    let mut listed: Vec<String> = Vec::new();
    for f in abi["functions"].as_array().expect("functions") {
        let since = f["since"].as_i64().expect("since");
        assert!((1..=i64::from(BILI_QR_ABI_VERSION)).contains(&since), "{f}");
        listed.push(f["name"].as_str().expect("name").to_owned());
    }
    listed.sort();
    assert_eq!(listed, exports(), "the functions of abi/bili_qr.toml");
}
