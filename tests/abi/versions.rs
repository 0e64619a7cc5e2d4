//! One source of truth for the version: `[workspace.package] version` in the root Cargo.toml. Every Cargo
//! manifest of the workspace inherits it, and each binding's own version file must say the same (the
//! bindings' maintainers keep them; this test fails when one drifts). The ABI version is 3.

use bili_qr::ffi::*;
use std::ffi::CStr;
use std::path::PathBuf;

fn read(rel: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("read {rel}: {e}"))
}

const VERSION: &str = env!("CARGO_PKG_VERSION");

#[test]
fn abi_version_is_3_and_version_is_cargos() {
    assert_eq!(bili_qr_abi_version(), 3);
    assert_eq!(BILI_QR_ABI_VERSION, 3);
    let v = bili_qr_version();
    assert_eq!(unsafe { CStr::from_ptr(v) }.to_str().unwrap(), VERSION);
    // Static: the same pointer every time.
    assert_eq!(bili_qr_version(), v);
    assert_eq!(bili_qr::VERSION, VERSION);
}

/// docs/ABI.md names the header's macro with the version the library implements.
#[test]
fn the_contract_names_the_abi_version_macro_with_its_value() {
    let doc = read("docs/ABI.md");
    let named: Vec<&str> = doc
        .match_indices("`BILI_QR_ABI_VERSION ")
        .filter_map(|(i, m)| doc[i + m.len()..].split('`').next())
        .collect();
    assert!(
        !named.is_empty(),
        "docs/ABI.md names the BILI_QR_ABI_VERSION macro"
    );
    for value in named {
        assert_eq!(
            value,
            BILI_QR_ABI_VERSION.to_string(),
            "docs/ABI.md: `BILI_QR_ABI_VERSION {value}`"
        );
    }
}

/// The release number as the root Cargo.toml writes it: `version = "…"` in `[workspace.package]`.
fn manifest_version() -> String {
    let root = read("Cargo.toml");
    let section = root
        .split("\n[workspace.package]\n")
        .nth(1)
        .expect("the root Cargo.toml has a [workspace.package] section");
    let line = section
        .lines()
        .take_while(|l| !l.starts_with('['))
        .find(|l| l.starts_with("version = "))
        .expect("[workspace.package] has a version");
    line.strip_prefix("version = \"")
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or_else(|| panic!("not a quoted version: {line}"))
        .to_owned()
}

/// The release number the manifest writes is what the library answers at run time (the CLI's `--version`
/// is checked against the same answer in cli/tests/exit_codes.rs).
#[test]
fn the_library_reports_the_manifests_release_number() {
    let runtime = unsafe { CStr::from_ptr(bili_qr_version()) }
        .to_str()
        .expect("the version is UTF-8");
    assert_eq!(runtime, manifest_version());
    let parts: Vec<&str> = runtime.split('.').collect();
    assert_eq!(parts.len(), 3, "MAJOR.MINOR.PATCH: {runtime}");
    assert!(
        parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())),
        "MAJOR.MINOR.PATCH: {runtime}"
    );
}

#[test]
fn the_workspace_version_is_the_one_every_manifest_inherits() {
    assert_eq!(manifest_version(), VERSION);
    for manifest in [
        "Cargo.toml",
        "capi/Cargo.toml",
        "cli/Cargo.toml",
        "fake-server/Cargo.toml",
    ] {
        let text = read(manifest);
        let package = text
            .split("[package]\n")
            .nth(1)
            .unwrap_or_else(|| panic!("{manifest} has a [package]"));
        let package: String = package
            .lines()
            .take_while(|l| !l.starts_with('['))
            .collect::<Vec<_>>()
            .join("\n");
        assert!(
            package.lines().any(|l| l == "version.workspace = true"),
            "{manifest}: [package] must say version.workspace = true"
        );
        assert!(
            !package.lines().any(|l| l.starts_with("version = ")),
            "{manifest}: a version of its own"
        );
    }
}

/// The value of the first `"key": "value"` in a JSON text (the package's own version comes first).
fn json_version(text: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(text).expect("JSON");
    v["version"].as_str().expect("a version string").to_owned()
}

#[test]
fn every_bindings_version_file_says_the_workspace_version() {
    let node = read("bindings/node/package.json");
    assert_eq!(json_version(&node), VERSION, "bindings/node/package.json");
    let lock: serde_json::Value =
        serde_json::from_str(&read("bindings/node/package-lock.json")).unwrap();
    assert_eq!(lock["version"], VERSION, "bindings/node/package-lock.json");
    assert_eq!(
        lock["packages"][""]["version"], VERSION,
        "package-lock.json packages[\"\"]"
    );

    let csproj = read("bindings/csharp/BiliQr.csproj");
    assert!(
        csproj.contains(&format!("<Version>{VERSION}</Version>")),
        "bindings/csharp/BiliQr.csproj must say <Version>{VERSION}</Version>"
    );

    let py = read("bindings/python/src/bili_qr/_version.py");
    assert!(
        py.lines()
            .any(|l| l == format!("__version__ = \"{VERSION}\"")),
        "bindings/python/src/bili_qr/_version.py must say __version__ = \"{VERSION}\""
    );
    // pyproject takes the version from _version.py (dynamic), so it has no number of its own to drift.
    let pyproject = read("bindings/python/pyproject.toml");
    assert!(
        pyproject.contains("dynamic = [\"version\"]"),
        "pyproject.toml: dynamic version"
    );
    assert!(
        pyproject.contains("attr = \"bili_qr._version.__version__\""),
        "pyproject.toml reads the version from bili_qr._version"
    );
    assert!(
        !pyproject.lines().any(|l| l.starts_with("version = \"")),
        "pyproject.toml has a version number of its own"
    );
}
