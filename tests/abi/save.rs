//! bili_qr_session_save (ABI 3): the one atomic 0600 writer of a session file. A real session from the fake
//! server is saved in each form; the file is replaced whole, mode 0600, no temporary file left; what is not a
//! session, NULL, non-UTF-8 and unwritable paths are BILI_QR_ERR_ARGUMENT with the target untouched and no
//! cookie value in any message.

use crate::common::*;
use crate::session::login;
use bili_qr::ffi::*;
use serde_json::json;
use std::ffi::{c_char, CStr, CString};
use std::fs;
use std::path::Path;

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// `bili_qr_session_save`; the status, and the last error.
fn save(path: &str, session: &str) -> (i32, String) {
    let (p, s) = (c(path), c(session));
    let st = unsafe { bili_qr_session_save(p.as_ptr(), s.as_ptr()) };
    (st, last_error())
}

/// `bili_qr_session_save_ex`; the status and `*out_error` (released here).
fn save_ex(path: *const c_char, session: *const c_char) -> (i32, Option<String>) {
    let mut err: *mut c_char = DANGLING;
    let st = unsafe { bili_qr_session_save_ex(path, session, &mut err) };
    assert_ne!(err, DANGLING, "out_error was left untouched");
    let text = (!err.is_null()).then(|| {
        let t = unsafe { CStr::from_ptr(err) }.to_str().unwrap().to_owned();
        unsafe { bili_qr_free(err) };
        t
    });
    (st, text)
}

/// The session `session` in `format`, as bili_qr_session_convert hands it out.
fn converted(session: &str, format: &str) -> String {
    convert(session, format)
        .expect(BILI_QR_OK)
        .text()
        .to_owned()
}

#[test]
fn saves_every_form_atomically_with_mode_0600() {
    let env = Env::new("id=save1,flow=c");
    let confirmed = login(&env);
    let d = TempDir::new("abi-save-forms");
    let file = d.join("session.json");
    let path = file.to_str().unwrap();
    // An existing file, readable by others, is replaced by a 0600 one.
    fs::write(&file, "old").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).unwrap();
    }
    for format in ["json", "netscape", "header"] {
        let text = converted(&confirmed, format);
        let (st, err) = save(path, &text);
        assert_eq!(st, BILI_QR_OK, "{format}: {err}");
        assert_eq!(err, "", "a success clears the last error");
        assert_eq!(
            fs::read_to_string(&file).unwrap(),
            text,
            "{format}: byte for byte"
        );
        #[cfg(unix)]
        assert_eq!(mode(&file), 0o600, "{format}");
        assert_eq!(entries(&d), ["session.json"], "no temporary file is left");
        // What was saved reads back as the same session.
        assert_eq!(
            converted(&fs::read_to_string(&file).unwrap(), "header"),
            converted(&text, "header")
        );
    }
    // The confirmed poll object itself is a session too.
    assert_eq!(save(path, &confirmed).0, BILI_QR_OK);
    // A relative path works (relative to the current directory).
    let rel = format!("target/bili-qr-abi-save-rel-{}.json", std::process::id());
    let _ = fs::remove_file(&rel);
    assert_eq!(save(&rel, &confirmed).0, BILI_QR_OK);
    #[cfg(unix)]
    assert_eq!(mode(Path::new(&rel)), 0o600);
    fs::remove_file(&rel).unwrap();
    env.check_secrets();
}

#[test]
fn not_a_session_and_bad_paths_touch_nothing() {
    let env = Env::new("id=save2,flow=c");
    let confirmed = login(&env);
    let sessdata = {
        let v: serde_json::Value = serde_json::from_str(&confirmed).unwrap();
        v["cookies"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "SESSDATA")
            .and_then(|c| c["value"].as_str())
            .unwrap()
            .to_owned()
    };
    let d = TempDir::new("abi-save-bad");
    let file = d.join("keep.txt");
    fs::write(&file, "keep").unwrap();
    let path = file.to_str().unwrap();
    let not_sessions = [
        String::new(),
        "{".to_owned(),
        "{\"cookies\":[]}".to_owned(),
        json!({"cookies": [{"name": "bili_jct", "value": "x"}]}).to_string(),
        "hello".to_owned(),
        format!("{{\"cookies\":[{{\"name\":\"SESSDATA\",\"value\":\"{sessdata}\"}}"),
    ];
    for bad in &not_sessions {
        let (st, err) = save(path, bad);
        assert_eq!(st, BILI_QR_ERR_ARGUMENT, "{bad:?}");
        assert!(!err.is_empty());
        assert!(
            !err.contains(&sessdata),
            "the message quotes no cookie value: {err}"
        );
        assert_eq!(fs::read_to_string(&file).unwrap(), "keep");
    }
    // Paths: empty, a directory, a missing directory, a file below a file.
    let missing = d.join("missing/s.json");
    let below_file = file.join("s.json");
    for (bad, needle) in [
        ("", "empty"),
        (d.to_str().unwrap(), "is a directory"),
        (missing.to_str().unwrap(), "does not exist"),
        (below_file.to_str().unwrap(), "does not exist"),
    ] {
        let (st, err) = save(bad, &confirmed);
        assert_eq!(st, BILI_QR_ERR_ARGUMENT, "{bad:?}");
        assert!(err.contains(needle), "{bad:?}: {err}");
        assert!(!err.contains(&sessdata), "{err}");
    }
    // A directory the user cannot write (unless running as root, who can).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let locked = d.join("locked");
        fs::create_dir(&locked).unwrap();
        fs::set_permissions(&locked, fs::Permissions::from_mode(0o500)).unwrap();
        let target = locked.join("s.json");
        let probe = fs::write(locked.join("probe"), "x").is_ok();
        let (st, err) = save(target.to_str().unwrap(), &confirmed);
        if probe {
            assert_eq!(st, BILI_QR_OK, "{err}");
        } else {
            assert_eq!(st, BILI_QR_ERR_ARGUMENT);
            assert!(
                err.contains("could not write") && err.contains("s.json"),
                "{err}"
            );
            assert!(entries(&locked).is_empty());
        }
        fs::set_permissions(&locked, fs::Permissions::from_mode(0o700)).unwrap();
    }
    assert_eq!(entries(&d), ["keep.txt", "locked"]);
    env.check_secrets();
}

#[test]
fn null_and_non_utf8_arguments_and_out_error() {
    let d = TempDir::new("abi-save-null");
    let file = d.join("s.txt");
    let p = CString::new(file.to_str().unwrap()).unwrap();
    let s = c("SESSDATA=a; bili_jct=b; DedeUserID=1");
    for (path, session, needle) in [
        (std::ptr::null(), s.as_ptr(), "path is NULL"),
        (p.as_ptr(), std::ptr::null(), "session is NULL"),
    ] {
        let st = unsafe { bili_qr_session_save(path, session) };
        assert_eq!(st, BILI_QR_ERR_ARGUMENT);
        assert!(last_error().contains(needle), "{}", last_error());
        let (st, err) = save_ex(path, session);
        assert_eq!(st, BILI_QR_ERR_ARGUMENT);
        assert!(err.unwrap().contains(needle));
    }
    let bad = CString::new(vec![b'x', 0xff, 0xfe]).unwrap();
    let (st, err) = save_ex(bad.as_ptr(), s.as_ptr());
    assert_eq!(st, BILI_QR_ERR_ARGUMENT);
    assert!(err.unwrap().contains("path is not valid UTF-8"));
    let (st, err) = save_ex(p.as_ptr(), bad.as_ptr());
    assert_eq!(st, BILI_QR_ERR_ARGUMENT);
    assert!(err.unwrap().contains("session is not valid UTF-8"));
    assert!(entries(&d).is_empty(), "nothing was written");
    // The _ex twin with a NULL out_error is the plain call; a success leaves out_error NULL.
    let st = unsafe { bili_qr_session_save_ex(p.as_ptr(), s.as_ptr(), std::ptr::null_mut()) };
    assert_eq!(st, BILI_QR_OK);
    let (st, err) = save_ex(p.as_ptr(), s.as_ptr());
    assert_eq!((st, err), (BILI_QR_OK, None));
    assert_eq!(entries(&d), ["s.txt"]);
}

#[test]
fn concurrent_saves_to_one_path_each_write_a_whole_file() {
    let d = TempDir::new("abi-save-threads");
    let file = d.join("s.txt");
    let path = file.to_str().unwrap().to_owned();
    let texts: Vec<String> = (0..8)
        .map(|i| format!("SESSDATA=s{i}; bili_jct=j{i}; DedeUserID={i}"))
        .collect();
    let handles: Vec<_> = texts
        .iter()
        .cloned()
        .map(|t| {
            let path = path.clone();
            std::thread::spawn(move || {
                for _ in 0..20 {
                    assert_eq!(save(&path, &t).0, BILI_QR_OK);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let last = fs::read_to_string(&file).unwrap();
    assert!(texts.contains(&last), "a whole file: {last}");
    assert_eq!(entries(&d), ["s.txt"]);
}
