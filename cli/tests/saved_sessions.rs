//! Saved bilibili.tv sessions on the command line, the built `bili-qr` against the fake server running in this
//! test process: login → check (valid, asked of v2/user with the saved cookies) → a renewal saved in the
//! file's own format (cookies.txt, Cookie header, JSON; mode 0600) → "already logged in" (nothing asked or
//! changed) → `--force` → logout (the csrf sent) → check exit 1 → logout exit 1 → login again → `--remove`;
//! unusable files are exit 2 with nothing sent, a closed port exit 3; no cookie value is ever printed.
//! (Moved here from tests/suites/60-cli.sh.)

mod common;
use bili_qr_fake_server::{FakeServer, RequestRecord, EXIT_PATH, URL_PATH, USER_PATH};
use common::{cli, entries, one_line_reason, scratch, Run};
mod support;
use std::path::Path;
use support::{
    assert_has, assert_line, assert_line_starts, assert_private, closed_port, netscape_rows,
    netscape_value, path_arg as p, WHO,
};

/// The fake server and the cookie values handed out so far (none may be printed).
struct Sessions {
    srv: FakeServer,
    api: String,
    secrets: Vec<String>,
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).expect("read")
}

fn expect(r: &Run, code: i32, what: &str) {
    assert_eq!(r.code, code, "{what}: {}", r.all());
}

impl Sessions {
    fn new() -> Sessions {
        let srv = FakeServer::start();
        let api = srv.url("id=api");
        Sessions {
            srv,
            api,
            secrets: Vec::new(),
        }
    }

    fn login(&self, scenario: &str, more: &[&str]) -> Run {
        let url = self.srv.url(scenario);
        let mut args = vec![
            "login",
            "--base-url",
            url.as_str(),
            "--poll-interval",
            "100ms",
        ];
        args.extend_from_slice(&["--timeout", "2s", "--api-base-url", self.api.as_str()]);
        args.extend_from_slice(more);
        cli(&args)
    }

    fn check_at(&self, file: &Path, api: &str) -> Run {
        cli(&["check", "--cookies", &p(file), "--api-base-url", api])
    }

    fn check(&self, file: &Path) -> Run {
        self.check_at(file, &self.api)
    }

    fn logout(&self, file: &Path, more: &[&str]) -> Run {
        let url = self.srv.url("id=lo");
        let path = p(file);
        let mut args = vec![
            "logout",
            "--cookies",
            path.as_str(),
            "--base-url",
            url.as_str(),
        ];
        args.extend_from_slice(more);
        cli(&args)
    }

    /// Adds the values of a Netscape file, a Cookie header file or a JSON session (but DedeUserID and mid:
    /// the account number, which the CLI prints).
    fn add_secrets(&mut self, text: &str) {
        let pairs: Vec<(String, String)> =
            if let Ok(j) = serde_json::from_str::<serde_json::Value>(text) {
                j["cookies"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|c| {
                        Some((
                            c["name"].as_str()?.to_owned(),
                            c["value"].as_str()?.to_owned(),
                        ))
                    })
                    .collect()
            } else if text.starts_with("# Netscape") {
                netscape_rows(text)
                    .into_iter()
                    .map(|f| (f[5].clone(), f[6].clone()))
                    .collect()
            } else {
                text.trim()
                    .split(';')
                    .filter_map(|kv| kv.trim().split_once('='))
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect()
            };
        let before = self.secrets.len();
        self.secrets.extend(
            pairs
                .into_iter()
                .filter(|(n, v)| n != "DedeUserID" && n != "mid" && v.len() >= 6)
                .map(|(_, v)| v),
        );
        assert!(self.secrets.len() > before, "no cookie values in {text}");
    }

    fn no_secret_printed(&self, r: &Run, what: &str) {
        assert!(!self.secrets.is_empty(), "no cookie values collected");
        for s in &self.secrets {
            assert!(
                !r.all().contains(s.as_str()),
                "{what}: a cookie value was printed"
            );
        }
    }

    fn requests(&self, path: &str) -> usize {
        self.srv.log().iter().filter(|r| r.path == path).count()
    }

    /// The last request the server got for `path`.
    fn last_request(&self, path: &str, what: &str) -> RequestRecord {
        let found = self.srv.log().into_iter().rev().find(|r| r.path == path);
        found.unwrap_or_else(|| panic!("no request for {path}: {what}"))
    }

    fn codes_issued(&self, scenario: &str) -> usize {
        self.requests(&format!("/s/{scenario}{URL_PATH}"))
    }

    fn user_requests(&self) -> usize {
        self.srv
            .log()
            .iter()
            .filter(|r| r.path.ends_with(USER_PATH))
            .count()
    }
}

#[test]
fn a_saved_session_from_login_to_logout() {
    let mut s = Sessions::new();
    let dir = scratch("sessions");
    let c = dir.join("cookies.txt");

    // login -> check (valid): v2/user asked with the saved cookies.
    let r = s.login("id=s1", &["--cookies", &p(&c)]);
    expect(&r, 0, "login (sessions)");
    s.add_secrets(&read(&c));
    s.no_secret_printed(&r, "login");
    assert_private(&c, "login");
    let sess1 = netscape_value(&read(&c), "SESSDATA").expect("SESSDATA");
    let r = s.check(&c);
    expect(&r, 0, "check (valid)");
    assert_eq!(r.stdout, format!("logged in as {WHO}\n"));
    assert!(r.stderr.is_empty(), "check: stderr: {}", r.stderr);
    let user_path = format!("/s/id=api{USER_PATH}");
    let asked = s.last_request(&user_path, "v2/user asked");
    assert_eq!(asked.method, "GET");
    assert_eq!(asked.query.get("platform").map(String::as_str), Some("web"));
    assert!(
        asked.cookies.contains(&format!("SESSDATA={sess1}")),
        "check did not send the saved SESSDATA"
    );

    // A renewal is saved: mode 0600 (even over a 0644 file), still a cookies.txt, the server's new value.
    #[cfg(unix)]
    support::set_mode(&c, 0o644);
    let renew = s.srv.url("renew=1,id=renew");
    let r = s.check_at(&c, &renew);
    expect(&r, 0, "check (renewed)");
    s.no_secret_printed(&r, "check (renewed)");
    assert_line(&r.stdout, &format!("logged in as {WHO}"), "stdout");
    assert_has(
        &r.stdout,
        &format!(
            "the service renewed the session: saved the new cookies to {} (Netscape format)",
            c.display()
        ),
        "the renewal is not announced",
    );
    assert_private(&c, "renewed cookies.txt");
    let text = read(&c);
    assert_eq!(text.lines().next(), Some("# Netscape HTTP Cookie File"));
    let row = netscape_rows(&text)
        .into_iter()
        .find(|f| f[5] == "SESSDATA")
        .expect("no SESSDATA line after renewal");
    assert_eq!(row[..4], ["#HttpOnly_.bilibili.tv", "TRUE", "/", "TRUE"]);
    let sess2 = row[6].clone();
    assert_ne!(sess2, sess1, "the renewed SESSDATA was not saved");
    let renew_path = format!("/s/renew=1,id=renew{USER_PATH}");
    let set = s.last_request(&renew_path, "renewal");
    assert!(
        set.set_cookies
            .iter()
            .any(|c| c.split(';').next() == Some(format!("SESSDATA={sess2}").as_str())),
        "the renewed value differs from the server's"
    );
    s.add_secrets(&text);
    assert_eq!(entries(&dir), ["cookies.txt"]);
    // The old value is logged out now: the saved (renewed) file is what still checks as valid.
    expect(&s.check(&c), 0, "check after the renewal");

    // A Cookie header file and a JSON file are renewed in their own format. (Two logins: a renewal ends the
    // old value, so the two files must not hold the same session.)
    let header = dir.join("header.txt");
    let json = dir.join("login.json");
    let r = s.login("id=s1h", &["--print-header"]);
    expect(&r, 0, "login --print-header (sessions)");
    std::fs::write(&header, &r.stdout).expect("write header.txt");
    s.add_secrets(&r.stdout);
    let r = s.login("id=s1j", &["--json", &p(&json)]);
    expect(&r, 0, "login --json (sessions)");
    s.add_secrets(&read(&json));
    let mut last = None;
    for f in [&header, &json] {
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let r = s.check_at(f, &s.srv.url(&format!("renew=1,id=renew-{name}")));
        expect(&r, 0, &format!("check {name} (renewed)"));
        s.no_secret_printed(&r, name);
        assert_private(f, name);
        last = Some(r);
    }
    let r = last.expect("ran");
    assert_has(
        &r.stdout,
        &format!(
            "saved the new cookies to {} (JSON session object)",
            json.display()
        ),
        "login.json",
    );
    let h = read(&header);
    assert!(
        h.lines().count() == 1 && h.starts_with("SESSDATA=") && h.contains("; bili_jct="),
        "header.txt is no longer one Cookie header line: {h}"
    );
    let j: serde_json::Value = serde_json::from_str(&read(&json)).expect("JSON");
    assert_eq!(j["mid"], 1709658507);
    assert_eq!(j["host"], "127.0.0.1");
    let jsess = j["cookies"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["name"] == "SESSDATA")
        .and_then(|c| c["value"].as_str())
        .expect("SESSDATA in login.json")
        .to_owned();
    assert!(j["cookie_header"]
        .as_str()
        .is_some_and(|ch| ch.starts_with(&format!("SESSDATA={jsess};"))));
    assert!(
        !h.contains(&format!("SESSDATA={jsess}")),
        "two separate renewals gave the same SESSDATA"
    );
    assert_eq!(entries(&dir), ["cookies.txt", "header.txt", "login.json"]);

    // login over a valid file: "already logged in", nothing asked or changed; --force logs in.
    let saved = read(&c);
    let r = s.login("id=s2", &["--cookies", &p(&c)]);
    expect(&r, 0, "login over a valid session");
    s.no_secret_printed(&r, "already logged in");
    assert_has(
        &r.stdout,
        &format!(
            "already logged in as {WHO} ({} holds a valid session; nothing was changed",
            c.display()
        ),
        "no 'already logged in'",
    );
    assert!(
        !r.stdout.contains('█'),
        "a QR code was drawn although already logged in"
    );
    assert_eq!(
        s.codes_issued("id=s2"),
        0,
        "already logged in, yet a QR code was asked for"
    );
    assert_eq!(read(&c), saved, "already logged in, yet the file changed");
    let r = s.login("id=s2", &["--cookies", &p(&c), "--print-header"]);
    expect(&r, 0, "login --print-header over a valid session");
    let sess = netscape_value(&saved, "SESSDATA").expect("SESSDATA");
    assert!(
        r.stdout.lines().count() == 1 && r.stdout.contains(&format!("SESSDATA={sess}; bili_jct=")),
        "already logged in: --print-header does not print the saved session's header"
    );
    assert_line_starts(
        &r.stderr,
        "already logged in as DemoUser",
        "the note is not on stderr",
    );
    assert_eq!(s.codes_issued("id=s2"), 0);
    assert_eq!(
        read(&c),
        saved,
        "--print-header over a valid session logged in"
    );
    // --session beside a valid --cookies file gets that session as a JSON session object (mode 0600).
    let sj = dir.join("session.json");
    let r = s.login("id=s2", &["--cookies", &p(&c), "--session", &p(&sj)]);
    expect(&r, 0, "login --session over a valid session");
    assert_eq!(s.codes_issued("id=s2"), 0);
    let written: serde_json::Value =
        serde_json::from_str(&read(&sj)).expect("--session holds JSON");
    assert_eq!(
        written["cookie_header"]
            .as_str()
            .and_then(|h| h.split("; ").find(|c| c.starts_with("SESSDATA=")))
            .map(|c| c.trim_start_matches("SESSDATA=")),
        Some(sess.as_str()),
        "--session does not hold the saved session"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&sj)
            .expect("session.json")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "--session is not private");
    }
    assert_eq!(read(&c), saved, "--session changed the cookies file");
    std::fs::remove_file(&sj).expect("remove session.json");
    let r = s.login("id=s3", &["--cookies", &p(&c), "--force"]);
    expect(&r, 0, "login --force");
    assert_eq!(s.codes_issued("id=s3"), 1, "--force did not log in");
    assert_line(&r.stdout, &format!("logged in as {WHO}"), "stdout");
    assert_ne!(read(&c), saved, "--force did not replace the file");
    s.add_secrets(&read(&c));
    assert_eq!(entries(&dir), ["cookies.txt", "header.txt", "login.json"]);

    // logout with a wrong bili_jct is refused (exit 4); the right one is sent in the query and the form.
    let wrong = dir.join("wrongjct.txt");
    let text = read(&c);
    let jct = netscape_value(&text, "bili_jct").expect("bili_jct");
    let changed: String = text
        .lines()
        .map(|l| {
            let mut f: Vec<&str> = l.split('\t').collect();
            if f.len() == 7 && f[5] == "bili_jct" {
                f[6] = "ffffffffffffffffffffffffffffffff";
            }
            f.join("\t") + "\n"
        })
        .collect();
    assert_ne!(changed, text, "could not change bili_jct in the copy");
    std::fs::write(&wrong, changed).expect("write");
    let r = s.logout(&wrong, &[]);
    expect(&r, 4, "logout with a wrong bili_jct");
    one_line_reason(&r, "logout, wrong csrf", Some("csrf"));
    s.no_secret_printed(&r, "logout, wrong csrf");
    std::fs::remove_file(&wrong).expect("rm");
    let r = s.logout(&c, &[]);
    expect(&r, 0, "logout");
    s.no_secret_printed(&r, "logout");
    assert_eq!(
        r.stdout,
        format!(
            "logged out (mid 1709658507); {} is left in place; its cookies no longer log in (--remove deletes it)\n",
            c.display()
        )
    );
    assert!(c.exists(), "logout without --remove removed the file");
    let exit_path = format!("/s/id=lo{EXIT_PATH}");
    let sent = s.last_request(&exit_path, "logout request");
    assert_eq!(sent.method, "POST");
    assert_eq!(sent.query.get("csrf"), Some(&jct), "csrf in the query");
    assert_eq!(sent.form.get("csrf"), Some(&jct), "csrf in the form");
    let r = s.check(&c);
    expect(&r, 1, "check after logout");
    one_line_reason(&r, "check after logout", Some("expired or was logged out"));
    assert!(
        r.stdout.is_empty(),
        "check (expired) printed on stdout: {}",
        r.stdout
    );
    let r = s.logout(&c, &[]);
    expect(&r, 1, "logout twice");
    one_line_reason(&r, "logout twice", Some("already logged out"));
    assert!(
        c.exists(),
        "logout (already logged out) removed the file without --remove"
    );

    // login over an ended session logs in again and says why; logout --remove deletes the file.
    let ended = read(&c);
    let r = s.login("id=s4", &["--cookies", &p(&c)]);
    expect(&r, 0, "login over an ended session");
    assert_has(
        &r.stdout,
        &format!(
            "the session saved in {} has expired or was logged out; logging in again",
            c.display()
        ),
        "login over an ended session does not say why it logs in",
    );
    assert_eq!(s.codes_issued("id=s4"), 1);
    assert_ne!(
        read(&c),
        ended,
        "login over an ended session did not log in"
    );
    s.add_secrets(&read(&c));
    let r = s.logout(&c, &["--remove"]);
    expect(&r, 0, "logout --remove");
    assert_eq!(
        r.stdout,
        format!("logged out (mid 1709658507); removed {}\n", c.display())
    );
    assert!(!c.exists(), "logout --remove left the file");
    let r = s.check(&c);
    expect(&r, 2, "check of a missing file");
    one_line_reason(&r, "check, missing file", Some("does not exist"));
    let dead = dir.join("dead.txt");
    std::fs::copy(&header, &dead).expect("cp");
    expect(&s.logout(&dead, &[]), 0, "logout (header file)");
    let r = s.logout(&dead, &["--remove"]);
    expect(&r, 1, "logout --remove of an ended session");
    one_line_reason(&r, "logout --remove, ended", Some("already logged out"));
    assert_has(&r.stderr, "removed", "stderr");
    assert!(
        !dead.exists(),
        "logout --remove of an ended session left the file"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn unusable_session_files_are_exit_2_and_nothing_is_sent() {
    let s = Sessions::new();
    let dir = scratch("unusable");
    let files: [(&str, Vec<u8>); 5] = [
        ("bin.txt", b"\x00\xff\xfe binary".to_vec()),
        (
            "nosess.txt",
            b"bili_jct=abcdef0123456789; DedeUserID=1\n".to_vec(),
        ),
        ("broken.json", b"{\"cookies\": [".to_vec()),
        ("empty.txt", Vec::new()),
        ("huge.txt", vec![b'a'; 2_000_000]),
    ];
    for (name, bytes) in &files {
        let f = dir.join(name);
        std::fs::write(&f, bytes).expect("write");
        let r = s.check(&f);
        expect(&r, 2, &format!("check {name}"));
        one_line_reason(&r, &format!("check {name}"), Some(*name));
        assert!(
            !r.stderr.contains("abcdef0123456789"),
            "check {name}: the file's content was printed"
        );
        expect(&s.logout(&f, &[]), 2, &format!("logout {name}"));
    }
    assert_eq!(
        s.user_requests(),
        0,
        "an unusable session file was still sent"
    );
    assert_eq!(
        s.srv.requests(),
        0,
        "an unusable session file was still sent"
    );

    // A closed port is exit 3.
    let port = closed_port();
    let header = dir.join("header.txt");
    std::fs::write(
        &header,
        "SESSDATA=abcdef0123456789; bili_jct=0123456789abcdef; DedeUserID=1\n",
    )
    .expect("write");
    let r = cli(&[
        "check",
        "--cookies",
        &p(&header),
        "--api-base-url",
        &format!("http://127.0.0.1:{port}"),
        "--timeout",
        "2s",
    ]);
    expect(&r, 3, "check, closed port");
    one_line_reason(&r, "check, closed port", None);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn check_and_logout_document_their_flags() {
    for cmd in ["check", "logout"] {
        let r = cli(&[cmd, "--help"]);
        expect(&r, 0, &format!("{cmd} --help"));
        for flag in [
            "--cookies",
            "--base-url",
            "--api-base-url",
            "--timeout",
            "--proxy",
            "--ca-file",
            "--user-agent",
        ] {
            assert!(
                r.stdout.contains(flag),
                "{cmd} --help does not document {flag}"
            );
        }
    }
    assert!(cli(&["logout", "--help"]).stdout.contains("--remove"));
}
