//! Output files (the cookies file, the session, the login JSON, the QR drawing), written by the library's one
//! atomic writer, `bili_qr::session::file` (what `bili_qr_session_save` runs): each goes to a new temporary file
//! in the target's directory (created exclusively, mode 0600 on Unix), is flushed to disk, and only then renamed
//! over the target (Unix: then the directory is synced). Several files are staged first and renamed together, so
//! a failure while writing leaves every target as it was and no temporary file.
//!
//! Windows has no file mode: a new file takes the access list (ACL) its folder hands down. Under the user's
//! profile (`%USERPROFILE%`, `%APPDATA%`) that is the user, SYSTEM and Administrators only; in a shared folder
//! others may read it. cli/README.md says where to keep the cookies file.

use bili_qr::session::file;
use std::path::{Path, PathBuf};
use zeroize::Zeroize;

/// Checks, before anything is asked of the server, that `path` can be an output file: not a directory, and
/// its directory exists.
pub fn check_target(flag: &str, path: &Path) -> Result<(), String> {
    file::check_target(path).map_err(|e| format!("{flag}: {}", e.message()))
}

/// Writes every `(target, content)` atomically, all or none (see the module), then zeroes the contents (they
/// may hold session cookies).
pub fn write_all(mut files: Vec<(PathBuf, Vec<u8>)>) -> Result<(), String> {
    let result = {
        let refs: Vec<(&Path, &[u8])> = files
            .iter()
            .map(|(p, c)| (p.as_path(), c.as_slice()))
            .collect();
        file::write_files(&refs).map_err(|e| e.message().to_owned())
    };
    for (_, content) in files.iter_mut() {
        content.zeroize();
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_checked_and_name_the_flag() {
        let d = std::env::temp_dir();
        let e = check_target("--cookies", &d).unwrap_err();
        assert!(
            e.starts_with("--cookies: ") && e.contains("is a directory"),
            "{e}"
        );
        let e = check_target("--json", &d.join("bili-qr-nope-dir/x")).unwrap_err();
        assert!(
            e.starts_with("--json: ") && e.contains("does not exist"),
            "{e}"
        );
        check_target("--svg", Path::new("relative.svg")).unwrap();
    }
}
