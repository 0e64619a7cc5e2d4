//! Session files written atomically: the one writer of the library, behind `bili_qr_session_save`, the CLI
//! (its session file and its other outputs) and every binding.
//!
//! Each file goes to a new temporary file in the target's directory, created exclusively (`O_EXCL`: never an
//! existing file, never through a planted link) with mode 0600 on Unix, so that no other user can read it even
//! for a moment, whatever the umask; it is written, flushed to disk (`fsync`), and only then renamed over the
//! target, so a reader sees the old file or the new one, never a mix, and a crash leaves one of the two. On
//! Unix the directory is synced after the rename, which makes the rename itself durable. On Windows the rename
//! is `MoveFileExW(MOVEFILE_REPLACE_EXISTING)` (what `std::fs::rename` does there): the same replace in one
//! step, within one directory. Windows has no file mode: the new file takes the access list its folder hands
//! down (under the user's profile: the user, SYSTEM and Administrators).
//!
//! Several files can be staged first and renamed together ([`write_files`]): a failure while writing leaves
//! every target as it was, and no temporary file is left behind in any case.

use super::Session;
use crate::error::{Error, Result};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// The longest path accepted by [`save`] (bytes), as for `ca_file`'s path plus room.
pub const MAX_PATH: usize = 4096;

/// Checks, before anything else is done, that `path` can be written as a file: not empty, not a directory,
/// not a device, pipe or socket (nor a link to one), and its directory exists. The message names the path (never a file's content).
pub fn check_target(path: &Path) -> Result<()> {
    if path.as_os_str().is_empty() {
        return Err(Error::argument("the file name is empty"));
    }
    if path.as_os_str().len() > MAX_PATH {
        return Err(Error::argument(format!(
            "the file name is longer than {MAX_PATH} bytes"
        )));
    }
    if path.file_name().is_none() {
        return Err(Error::argument(format!(
            "{} does not name a file",
            path.display()
        )));
    }
    if path.is_dir() {
        return Err(Error::argument(format!(
            "{} is a directory",
            path.display()
        )));
    }
    if is_special(path) {
        return Err(Error::argument(format!("{} {NOT_A_FILE}", path.display())));
    }
    let dir = parent(path);
    if !dir.is_dir() {
        return Err(Error::argument(format!(
            "the directory {} does not exist",
            dir.display()
        )));
    }
    Ok(())
}

/// Why a device, pipe or socket is refused as a target.
const NOT_A_FILE: &str =
    "is a device, pipe or socket, not a file: a session file is written by replacing its target";

/// Whether `path` is (or links to) something other than a regular file or a directory: a device such as
/// /dev/null, a pipe or a socket. The rename that replaces a target would put a regular file in its place,
/// so such a target is refused, and a link to one is left alone.
fn is_special(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

fn parent(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// A written, synced temporary file waiting to be renamed over its target; removed when dropped uncommitted.
struct Staged {
    tmp: Option<PathBuf>,
    target: PathBuf,
}

impl Drop for Staged {
    fn drop(&mut self) {
        if let Some(tmp) = self.tmp.take() {
            let _ = fs::remove_file(tmp);
        }
    }
}

impl Staged {
    /// Renames the temporary file over the target, then makes the rename durable.
    fn commit(mut self) -> io::Result<()> {
        let Some(tmp) = self.tmp.take() else {
            return Ok(());
        };
        if let Err(e) = fs::rename(&tmp, &self.target) {
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
        sync_dir(&parent(&self.target));
        Ok(())
    }
}

fn stage(target: &Path, content: &[u8]) -> io::Result<Staged> {
    if is_special(target) {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, NOT_A_FILE));
    }
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
    let staged = Staged {
        tmp: Some(tmp),
        target: target.to_path_buf(),
    };
    // On an error, dropping `staged` removes the temporary file.
    exactly_private(&file)?;
    file.write_all(content)?;
    file.sync_all()?;
    Ok(staged)
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

/// Sets mode 0600 exactly, whatever the umask took away from the mode the file was created with (a umask of
/// 0277 would leave 0400), before any byte is written.
#[cfg(unix)]
fn exactly_private(file: &File) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(fs::Permissions::from_mode(0o600))
}

#[cfg(not(unix))]
fn exactly_private(_file: &File) -> io::Result<()> {
    Ok(())
}

#[cfg(not(unix))]
fn create_private(path: &Path) -> io::Result<File> {
    OpenOptions::new().write(true).create_new(true).open(path)
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

fn could_not_write(target: &Path, e: &io::Error) -> Error {
    Error::argument(format!("could not write {}: {e}", target.display()))
}

/// Writes every `(target, content)` atomically, each with mode 0600 on Unix: all are staged first, then
/// renamed. On an error no target has been touched (unless the error came from a rename, which only fails
/// for reasons a write would have met first), no temporary file is left, and the error (an argument error)
/// names the file and the system's reason.
pub fn write_files(files: &[(&Path, &[u8])]) -> Result<()> {
    let mut staged: Vec<Staged> = Vec::with_capacity(files.len());
    for (target, content) in files {
        staged.push(stage(target, content).map_err(|e| could_not_write(target, &e))?);
    }
    for s in staged.drain(..) {
        let target = s.target.clone();
        s.commit().map_err(|e| could_not_write(&target, &e))?;
    }
    Ok(())
}

/// Writes one file atomically with mode 0600 ([`write_files`]).
pub fn write_private(path: &Path, content: &[u8]) -> Result<()> {
    write_files(&[(path, content)])
}

/// Saves a session file: checks that `text` is a session the library reads ([`Session::parse`]: any of its
/// forms — the JSON session or poll object, a cookies.txt, a Cookie header), then writes it to `path` exactly
/// as given, atomically and with mode 0600 (see the module). A text that is not a session is an argument
/// error and nothing is written; so is a path that cannot be written (the message names it).
///
/// The text is the caller's; this function keeps no copy of it.
pub fn save(path: &Path, text: &str) -> Result<()> {
    Session::parse(text)?;
    check_target(path)?;
    write_private(path, text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh directory of one test, removed when dropped (so also when the test fails).
    struct Scratch(PathBuf);

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    impl std::ops::Deref for Scratch {
        type Target = Path;
        fn deref(&self) -> &Path {
            &self.0
        }
    }

    fn scratch(name: &str) -> Scratch {
        let d =
            std::env::temp_dir().join(format!("bili-qr-file-test-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        Scratch(d)
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
        let b = d.join("b.json");
        write_files(&[(&a, b"new"), (&b, b"{}")]).unwrap();
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
    }

    #[test]
    fn a_failure_touches_nothing() {
        let d = scratch("fail");
        let a = d.join("a.txt");
        fs::write(&a, "keep").unwrap();
        // The second target's directory does not exist: staging fails after the first file was staged.
        let missing = d.join("missing/b");
        let err = write_files(&[(&a, b"new"), (&missing, b"x")]).unwrap_err();
        assert!(err.message().contains("missing"), "{}", err.message());
        assert_eq!(err.kind(), crate::ErrorKind::Argument);
        assert_eq!(fs::read_to_string(&a).unwrap(), "keep");
        assert_eq!(entries(&d), ["a.txt"]);
    }

    #[test]
    fn targets_are_checked() {
        let d = scratch("check");
        assert!(check_target(&d)
            .unwrap_err()
            .message()
            .contains("is a directory"));
        assert!(check_target(&d.join("nope/x"))
            .unwrap_err()
            .message()
            .contains("does not exist"));
        assert!(check_target(Path::new("")).is_err());
        check_target(&d.join("x.svg")).unwrap();
        check_target(Path::new("relative.svg")).unwrap();
    }

    /// A socket (as a device or a pipe would be) is refused, directly and through a link, before anything is
    /// written, and is still there afterwards: replacing it would leave a regular file in its place.
    #[cfg(unix)]
    #[test]
    fn a_device_pipe_or_socket_is_never_replaced() {
        use std::os::unix::fs::FileTypeExt;
        let d = scratch("special");
        let sock = d.join("s.sock");
        let _listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        let link = d.join("link.txt");
        std::os::unix::fs::symlink(&sock, &link).unwrap();
        for target in [&sock, &link] {
            let e = check_target(target).unwrap_err();
            assert!(e.message().contains("not a file"), "{}", e.message());
            let e = write_private(target, b"x").unwrap_err();
            assert!(e.message().contains("not a file"), "{}", e.message());
            let e = save(target, "SESSDATA=a; bili_jct=b; DedeUserID=1").unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::Argument);
        }
        assert!(fs::symlink_metadata(&sock).unwrap().file_type().is_socket());
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(entries(&d), ["link.txt", "s.sock"]);
    }

    #[test]
    fn save_refuses_what_is_not_a_session() {
        let d = scratch("save");
        let p = d.join("s.json");
        fs::write(&p, "keep").unwrap();
        for bad in ["", "{", "{\"cookies\":[]}", "hello", "bili_jct=x"] {
            assert!(save(&p, bad).is_err(), "{bad:?}");
        }
        assert_eq!(fs::read_to_string(&p).unwrap(), "keep");
        save(&p, "SESSDATA=a; bili_jct=b; DedeUserID=1").unwrap();
        assert_eq!(
            fs::read_to_string(&p).unwrap(),
            "SESSDATA=a; bili_jct=b; DedeUserID=1"
        );
        assert_eq!(entries(&d), ["s.json"]);
    }
}
