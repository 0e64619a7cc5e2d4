//! Output files, written atomically: each one goes to a new temporary file in the target's directory (created
//! with mode 0600 on Unix), is flushed to disk, and only then renamed over the target (Unix: rename(2), then
//! the directory is synced; Windows: MoveFileExW with MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH).
//! Several files are staged first and renamed together, so a failure while writing leaves every target as it
//! was and no temporary file.
//!
//! Windows has no file mode: a new file takes the access list (ACL) its folder hands down. Under the user's
//! profile (`%USERPROFILE%`, `%APPDATA%`) that is the user, SYSTEM and Administrators only; in a shared folder
//! others may read it. cli/README.md says where to keep the cookies file.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Checks, before anything is asked of the server, that `path` can be an output file: not a directory, and
/// its directory exists.
pub fn check_target(flag: &str, path: &Path) -> Result<(), String> {
    if path.as_os_str().is_empty() {
        return Err(format!("{flag}: the file name is empty"));
    }
    if path.is_dir() {
        return Err(format!("{flag}: {} is a directory", path.display()));
    }
    let dir = parent(path);
    if !dir.is_dir() {
        return Err(format!(
            "{flag}: the directory {} does not exist",
            dir.display()
        ));
    }
    Ok(())
}

fn parent(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// A written, synced temporary file waiting to be renamed over its target.
struct Staged {
    tmp: PathBuf,
    target: PathBuf,
}

fn stage(target: &Path, content: &[u8]) -> io::Result<Staged> {
    let dir = parent(target);
    let name = target
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?
        .to_string_lossy()
        .into_owned();
    let mut attempt = 0;
    let (tmp, mut file) = loop {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(".{name}.bili-qr-{}-{n}.tmp", std::process::id()));
        match create_private(&tmp) {
            Ok(f) => break (tmp, f),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 100 => attempt += 1,
            Err(e) => return Err(e),
        }
    };
    let written = file.write_all(content).and_then(|()| file.sync_all());
    if let Err(e) = written {
        drop(file);
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    Ok(Staged {
        tmp,
        target: target.to_path_buf(),
    })
}

#[cfg(unix)]
fn create_private(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn create_private(path: &Path) -> io::Result<File> {
    OpenOptions::new().write(true).create_new(true).open(path)
}

/// Writes every `(target, content)` atomically. On an error, no target has been touched (unless the error
/// came from a rename, which only fails for reasons checked beforehand) and no temporary file is left.
pub fn write_all(files: &[(PathBuf, Vec<u8>)]) -> Result<(), String> {
    let mut staged: Vec<Staged> = Vec::new();
    for (target, content) in files {
        match stage(target, content) {
            Ok(s) => staged.push(s),
            Err(e) => {
                for s in &staged {
                    let _ = fs::remove_file(&s.tmp);
                }
                return Err(format!("could not write {}: {e}", target.display()));
            }
        }
    }
    let mut result = Ok(());
    for s in &staged {
        if result.is_err() {
            let _ = fs::remove_file(&s.tmp);
            continue;
        }
        if let Err(e) = replace(&s.tmp, &s.target) {
            let _ = fs::remove_file(&s.tmp);
            result = Err(format!("could not write {}: {e}", s.target.display()));
            continue;
        }
        sync_dir(&parent(&s.target));
    }
    result
}

/// Renames `tmp` over `target` in one step: readers see the old file or the new one, never a mix.
#[cfg(windows)]
fn replace(tmp: &Path, target: &Path) -> io::Result<()> {
    atomicwrites::replace_atomic(tmp, target)
}

#[cfg(not(windows))]
fn replace(tmp: &Path, target: &Path) -> io::Result<()> {
    fs::rename(tmp, target)
}

/// Makes a rename durable (best effort: not every file system supports syncing a directory).
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let d =
            std::env::temp_dir().join(format!("bili-qr-cli-test-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    fn entries(d: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn writes_replace_with_mode_0600_and_leave_no_temp() {
        let d = scratch("ok");
        let a = d.join("a.txt");
        fs::write(&a, "old").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&a, fs::Permissions::from_mode(0o644)).unwrap();
        }
        write_all(&[
            (a.clone(), b"new".to_vec()),
            (d.join("b.json"), b"{}".to_vec()),
        ])
        .unwrap();
        assert_eq!(fs::read_to_string(&a).unwrap(), "new");
        assert_eq!(entries(&d), ["a.txt", "b.json"]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for f in ["a.txt", "b.json"] {
                assert_eq!(
                    fs::metadata(d.join(f)).unwrap().permissions().mode() & 0o777,
                    0o600,
                    "{f}"
                );
            }
        }
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_failure_touches_nothing() {
        let d = scratch("fail");
        let a = d.join("a.txt");
        fs::write(&a, "keep").unwrap();
        // The second target's directory does not exist: staging fails after the first file was staged.
        let err = write_all(&[
            (a.clone(), b"new".to_vec()),
            (d.join("missing/b"), b"x".to_vec()),
        ])
        .unwrap_err();
        assert!(err.contains("missing"), "{err}");
        assert_eq!(fs::read_to_string(&a).unwrap(), "keep");
        assert_eq!(entries(&d), ["a.txt"]);
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn targets_are_checked() {
        let d = scratch("check");
        assert!(check_target("--cookies", &d)
            .unwrap_err()
            .contains("is a directory"));
        assert!(check_target("--json", &d.join("nope/x"))
            .unwrap_err()
            .contains("does not exist"));
        assert!(check_target("--svg", Path::new("")).is_err());
        check_target("--svg", &d.join("x.svg")).unwrap();
        check_target("--svg", Path::new("relative.svg")).unwrap();
        fs::remove_dir_all(&d).unwrap();
    }
}
