//! The `bili-qr` binary against the fake server's mainland (bilibili.com) and TV routes: the whole session
//! life on the command line (login → check → refresh → check; the old file's copy is retired; logout), the
//! `refresh_needed` line of `check` and `refresh --if-needed`, a refresh stopped between its two saves and
//! finished by the next `refresh`, and the TV token login (said SKIPPED while the library has no `flow`).
//!
//! The fake server runs in this test process; the CLI is the built binary (`CARGO_BIN_EXE_bili-qr`), run
//! with `std::process::Command`. Every login is bounded by `--wait-timeout`.

use bili_qr::session::SessionFormat;
use bili_qr::Session;
use bili_qr_fake_server::FakeServer;
use std::path::{Path, PathBuf};

mod common;
use common::{cli, scratch, Run};

/// The fake server, one scenario, and the PEM file of its refresh key.
struct Site {
    srv: FakeServer,
    url: String,
    pem: PathBuf,
    dir: PathBuf,
}

impl Site {
    fn new(name: &str, scenario: &str) -> Site {
        let srv = FakeServer::start();
        let url = srv.url(&format!("{scenario},id=cli-{name}"));
        let dir = scratch(name);
        let pem = dir.join("refresh-key.pem");
        std::fs::write(&pem, bili_qr_fake_server::refresh_public_key_pem()).expect("pem");
        Site { srv, url, pem, dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// The connection flags of every command: all three base URLs at the fake server, its test key.
    fn net(&self) -> Vec<String> {
        [
            "--site",
            "main",
            "--base-url",
            &self.url,
            "--api-base-url",
            &self.url,
            "--www-base-url",
            &self.url,
            "--refresh-public-key",
            &self.pem.to_string_lossy(),
            "--timeout",
            "10s",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }

    fn run(&self, cmd: &str, file_flag: &str, file: &Path, more: &[&str]) -> Run {
        let mut args: Vec<String> = vec![cmd.into(), file_flag.into(), file.display().to_string()];
        args.extend(self.net());
        args.extend(more.iter().map(|s| s.to_string()));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        cli(&refs)
    }

    fn login(&self, flag: &str, file: &Path, more: &[&str]) -> Run {
        let mut m = vec!["--poll-interval", "100ms", "--wait-timeout", "30s"];
        m.extend_from_slice(more);
        self.run("login", flag, file, &m)
    }

    /// Logs in (`flag`: `--cookies` or `--session`) to the file `name` in the site's directory, which must
    /// succeed: the file's path.
    fn logged_in(&self, flag: &str, name: &str) -> PathBuf {
        let file = self.path(name);
        assert_ok(&self.login(flag, &file, &[]), &format!("login {flag}"));
        file
    }

    fn check(&self, file: &Path) -> Run {
        self.run("check", "--cookies", file, &[])
    }

    fn refresh(&self, file: &Path, more: &[&str]) -> Run {
        self.run("refresh", "--cookies", file, more)
    }

    fn options(&self) -> bili_qr::Options {
        let json = serde_json::json!({
            "site": "main",
            "base_url": self.url,
            "api_base_url": self.url,
            "www_base_url": self.url,
            "refresh_public_key": bili_qr_fake_server::refresh_public_key_pem(),
            "proxy": "",
        });
        bili_qr::Options::from_json(Some(&json.to_string())).expect("options")
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn read_session(path: &Path) -> Session {
    Session::parse(&std::fs::read_to_string(path).expect("read session file")).expect("a session")
}

fn assert_ok(r: &Run, what: &str) {
    assert_eq!(r.code, 0, "{what}: {}", r.all());
}

#[cfg(unix)]
fn assert_private(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).expect("stat").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{}", path.display());
}
#[cfg(not(unix))]
fn assert_private(_: &Path) {}

/// No cookie value (but the account number) or refresh token of `s` in the text.
fn assert_no_secrets(s: &Session, text: &str) {
    for c in &s.cookies {
        // DedeUserID is the account number, which the CLI prints ("mid N").
        if c.value.len() >= 8 && c.name != "DedeUserID" {
            assert!(!text.contains(&c.value), "{} leaked: {text}", c.name);
        }
    }
    for t in [&s.refresh_token, &s.previous_refresh_token]
        .into_iter()
        .flatten()
    {
        assert!(!text.contains(t.as_str()), "a refresh token leaked: {text}");
    }
}

fn sessdata(s: &Session) -> String {
    s.get("SESSDATA").expect("SESSDATA").value.clone()
}

#[test]
fn mainland_round_trip_on_the_command_line() {
    let site = Site::new("round", "flow=wsc");
    let file = site.path("cookies.txt");

    let r = site.login("--cookies", &file, &[]);
    assert_ok(&r, "login");
    assert!(r.stdout.contains("logged in"), "{}", r.all());
    assert_private(&file);
    let text = std::fs::read_to_string(&file).expect("cookies.txt");
    assert!(
        text.contains(bili_qr::session::REFRESH_TOKEN_NAME),
        "the cookies.txt keeps the refresh token: {text}"
    );
    let first = read_session(&file);
    assert_eq!(first.site, Some(bili_qr::Site::Main));
    assert!(first.refresh_token.is_some() && first.previous_refresh_token.is_none());
    assert_no_secrets(&first, &r.all());

    let r = site.check(&file);
    assert_ok(&r, "check");
    assert!(r.stdout.contains("logged in"), "{}", r.all());
    assert!(!r.stdout.contains("refresh due"), "{}", r.all());

    // The file says its site: no --site needed; --site intl for it is a usage error.
    let f = file.display().to_string();
    let hosts = ["--base-url", &site.url, "--api-base-url", &site.url];
    let r = cli(&[&["check", "--cookies", &f][..], &hosts].concat());
    assert_ok(&r, "check without --site");
    let sent = site.srv.requests();
    let r = cli(&[&["check", "--cookies", &f, "--site", "intl"][..], &hosts].concat());
    assert_eq!(r.code, 2, "{}", r.all());
    assert_eq!(site.srv.requests(), sent, "nothing sent");

    let old = site.path("old-cookies.txt");
    std::fs::copy(&file, &old).expect("copy");

    let r = site.refresh(&file, &[]);
    assert_ok(&r, "refresh");
    assert!(r.stdout.contains("old session is retired"), "{}", r.all());
    assert_no_secrets(&first, &r.all());
    assert_private(&file);
    let second = read_session(&file);
    assert_no_secrets(&second, &r.all());
    assert_ne!(sessdata(&second), sessdata(&first), "a new SESSDATA");
    assert!(second.refresh_token.is_some());
    assert_ne!(
        second.refresh_token, first.refresh_token,
        "a new refresh token"
    );
    assert!(
        second.previous_refresh_token.is_none(),
        "the confirmed session is saved without the mark"
    );
    assert!(!std::fs::read_to_string(&file)
        .expect("read")
        .contains(bili_qr::session::PREVIOUS_REFRESH_TOKEN_NAME));
    assert_eq!(second.mid, first.mid);

    assert_ok(&site.check(&file), "check after the refresh");
    let r = site.check(&old);
    assert_eq!(r.code, 1, "the old session is retired: {}", r.all());
    // The hint logs in again to the mainland, in the file's own format.
    assert!(
        r.stderr.contains(&format!(
            "bili-qr login --site main --cookies {}",
            old.display()
        )),
        "{}",
        r.all()
    );

    // A second refresh of the refreshed file works (it holds the new refresh token).
    let r = site.refresh(&file, &[]);
    assert_ok(&r, "second refresh");
    assert_ne!(sessdata(&read_session(&file)), sessdata(&second));

    let r = site.run("logout", "--cookies", &file, &[]);
    assert_ok(&r, "logout");
    let r = site.check(&file);
    assert_eq!(r.code, 1, "logged out: {}", r.all());
    let r = site.refresh(&file, &[]);
    assert_eq!(
        r.code,
        1,
        "a logged-out session is not refreshed: {}",
        r.all()
    );
}

#[test]
fn session_json_round_trip_keeps_its_format() {
    let site = Site::new("json", "flow=wsc");
    let file = site.logged_in("--session", "session.json");
    assert_private(&file);
    let text = std::fs::read_to_string(&file).expect("read");
    let v: serde_json::Value = serde_json::from_str(&text).expect("JSON session object");
    assert_eq!(v["site"], "main");
    assert!(v["refresh_token"].is_string());

    // A second login with the file finds it valid and changes nothing.
    let r = site.login("--session", &file, &[]);
    assert_ok(&r, "already logged in");
    assert!(r.stdout.contains("already logged in"), "{}", r.all());
    assert_eq!(std::fs::read_to_string(&file).expect("read"), text);

    assert_ok(&site.refresh(&file, &[]), "refresh");
    let after: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("read")).expect("still JSON");
    assert_ne!(after["refresh_token"], v["refresh_token"]);
    assert!(after.get("previous_refresh_token").is_none(), "{after}");
    assert_ok(&site.check(&file), "check");

    // Once logged out, the hints of check and refresh name --session (--cookies would write a cookies.txt).
    assert_ok(&site.run("logout", "--cookies", &file, &[]), "logout");
    let hint = format!("bili-qr login --site main --session {}", file.display());
    for r in [site.check(&file), site.refresh(&file, &[])] {
        assert_eq!(r.code, 1, "{}", r.all());
        assert!(r.stderr.contains(&hint), "{}", r.all());
    }
}

#[test]
fn check_says_when_a_refresh_is_due_and_if_needed_follows_it() {
    let due = Site::new("due", "flow=wsc,refresh=1");
    let file = due.logged_in("--cookies", "c.txt");
    let r = due.check(&file);
    assert_ok(&r, "check");
    assert!(r.stdout.contains("refresh due"), "{}", r.all());
    let before = sessdata(&read_session(&file));
    let r = due.refresh(&file, &["--if-needed"]);
    assert_ok(&r, "refresh --if-needed (due)");
    assert_ne!(sessdata(&read_session(&file)), before, "{}", r.all());

    let fresh = Site::new("notdue", "flow=wsc");
    let file = fresh.logged_in("--cookies", "c.txt");
    let text = std::fs::read_to_string(&file).expect("read");
    let r = fresh.refresh(&file, &["--if-needed"]);
    assert_ok(&r, "refresh --if-needed (not due)");
    assert!(r.stdout.contains("no refresh due"), "{}", r.all());
    assert_eq!(std::fs::read_to_string(&file).expect("read"), text);
}

/// The program stopped after the first save: the file holds the refreshed session, marked with the old
/// refresh token. The next `refresh` confirms it (retiring the old session) and saves it without the mark.
#[test]
fn a_refresh_stopped_before_its_confirmation_is_finished_by_the_next() {
    let site = Site::new("crash", "flow=wsc");
    let file = site.logged_in("--cookies", "cookies.txt");
    let old = site.path("old.txt");
    std::fs::copy(&file, &old).expect("copy");

    // What `refresh` does up to its first save, then "dies".
    let refreshed =
        bili_qr::refresh(&read_session(&file), &site.options()).expect("library refresh");
    assert!(refreshed.session.previous_refresh_token.is_some());
    std::fs::write(&file, refreshed.session.write(SessionFormat::Netscape)).expect("save");
    assert!(std::fs::read_to_string(&file)
        .expect("read")
        .contains(bili_qr::session::PREVIOUS_REFRESH_TOKEN_NAME));
    // Nothing is lost: both sessions work.
    assert_ok(&site.check(&old), "the old session before the confirmation");
    let r = site.check(&file);
    assert_ok(&r, "the pending session");
    assert!(r.stdout.contains("refresh pending"), "{}", r.all());

    let r = site.refresh(&file, &[]);
    assert_ok(&r, "refresh of a pending session");
    assert!(r.stdout.contains("confirming it first"), "{}", r.all());
    assert_no_secrets(&refreshed.session, &r.all());
    let done = read_session(&file);
    assert!(done.previous_refresh_token.is_none());
    assert_eq!(
        sessdata(&done),
        sessdata(&refreshed.session),
        "confirmed, not refreshed again"
    );
    assert_ok(&site.check(&file), "the confirmed session");
    assert_eq!(site.check(&old).code, 1, "the old session is retired");
    // And it refreshes normally from then on.
    assert_ok(&site.refresh(&file, &[]), "refresh after the confirmation");
}

/// The program stopped after the service confirmed but before the second save: the service refuses a second
/// confirmation; the session logs in, so `refresh` saves it as confirmed instead of being stuck.
#[test]
fn a_refresh_confirmed_but_not_saved_is_not_stuck() {
    let site = Site::new("stuck", "flow=wsc");
    let file = site.logged_in("--session", "session.json");
    let opts = site.options();
    let refreshed = bili_qr::refresh(&read_session(&file), &opts).expect("library refresh");
    std::fs::write(&file, refreshed.session.write(SessionFormat::Json)).expect("save");
    bili_qr::refresh_confirm(&refreshed.session, &opts).expect("library confirm");

    let r = site.refresh(&file, &[]);
    assert_ok(&r, "refresh of a session confirmed before the stop");
    assert!(r.stderr.contains("refused the confirmation"), "{}", r.all());
    assert_no_secrets(&refreshed.session, &r.all());
    assert!(read_session(&file).previous_refresh_token.is_none());
    assert_ok(&site.refresh(&file, &[]), "a normal refresh afterwards");
    assert_ok(&site.check(&file), "check");
}

#[test]
fn refresh_refuses_what_it_cannot_save_or_use() {
    let site = Site::new("refuse", "flow=wsc");
    let file = site.logged_in("--cookies", "c.txt");
    let session = read_session(&file);

    // A Cookie header cannot keep the new refresh token: refused before anything is sent.
    let header = site.path("header.txt");
    std::fs::write(&header, session.write(SessionFormat::Header)).expect("write");
    let sent = site.srv.requests();
    let r = site.refresh(&header, &[]);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(r.stderr.contains("Cookie header"), "{}", r.all());
    assert_eq!(site.srv.requests(), sent, "nothing sent");

    // A missing file: exit 2, naming the login to run.
    let r = site.refresh(&site.path("none.txt"), &[]);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(r.stderr.contains("does not exist"), "{}", r.all());

    // A bad key file: exit 2 naming the flag, nothing sent.
    let bad = site.path("bad.pem");
    std::fs::write(&bad, "not a key").expect("write");
    let mut args: Vec<String> = vec![
        "refresh".into(),
        "--cookies".into(),
        file.display().to_string(),
    ];
    args.extend(site.net());
    args.extend(["--refresh-public-key".into(), bad.display().to_string()]);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let r = cli(&refs);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(r.stderr.contains("--refresh-public-key"), "{}", r.all());
    assert_eq!(site.srv.requests(), sent, "nothing sent");

    // An intl session has no refresh flow: exit 2.
    let intl = site.path("intl.txt");
    std::fs::write(
        &intl,
        ".bilibili.tv\tTRUE\t/\tTRUE\t0\tSESSDATA\tabc%2C1\n.bilibili.tv\tTRUE\t/\tTRUE\t0\tbili_jct\t0123\n",
    )
    .expect("write");
    let r = cli(&["refresh", "--cookies", &intl.display().to_string()]);
    assert_eq!(r.code, 2, "{}", r.all());
    assert_eq!(site.srv.requests(), sent, "nothing sent");
}

#[test]
fn demo_logs_in_to_the_mainland_offline() {
    let dir = scratch("demo");
    let file = dir.join("cookies.txt");
    let r = cli(&[
        "login",
        "--demo",
        "--site",
        "main",
        "--cookies",
        &file.display().to_string(),
        "--wait-timeout",
        "60s",
    ]);
    assert_ok(&r, "login --demo --site main");
    assert!(r.stdout.contains("OFFLINE DEMO"), "{}", r.all());
    let s = read_session(&file);
    assert_eq!(s.site, Some(bili_qr::Site::Main));
    assert!(
        s.refresh_token.is_some(),
        "the demo login hands out a refresh token"
    );
    assert_private(&file);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The TV token login: login --tv --session FILE → check → refresh → check; the old copy is retired once
/// the new token was used. SKIPPED while the library answers an argument error for the option `flow`.
#[test]
fn tv_round_trip() {
    let site = Site::new("tv", "flow=wsc");
    let file = site.path("tv.json");
    let r = site.login("--session", &file, &["--tv"]);
    if r.code == 2 && r.stderr.contains("no TV login") {
        eprintln!("SKIPPED tv_round_trip: this bili_qr library does not know the option flow yet");
        return;
    }
    assert_ok(&r, "login --tv");
    assert_private(&file);
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("read")).expect("JSON");
    assert_eq!(v["flow"], "tv", "{v}");
    let token = v["token"]["access_token"]
        .as_str()
        .expect("an access token")
        .to_owned();
    assert!(!r.all().contains(&token), "the token leaked: {}", r.all());

    // --tv with only a cookies.txt would lose the token: refused before anything is sent.
    let sent = site.srv.requests();
    let r = site.login("--cookies", &site.path("tv.txt"), &["--tv"]);
    assert_eq!(r.code, 2, "{}", r.all());
    assert_eq!(site.srv.requests(), sent);

    assert_ok(&site.check(&file), "check");
    let old = site.path("old.json");
    std::fs::copy(&file, &old).expect("copy");
    let r = site.refresh(&file, &[]);
    assert_ok(&r, "refresh");
    assert!(r.stdout.contains("no confirmation step"), "{}", r.all());
    assert!(!r.all().contains(&token), "the token leaked: {}", r.all());
    let v2: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("read")).expect("JSON");
    assert_ne!(v2["token"]["access_token"], v["token"]["access_token"]);
    // Using the new token retires the old one.
    assert_ok(&site.check(&file), "check with the new token");
    let r = site.check(&old);
    assert_eq!(r.code, 1, "the old token is retired: {}", r.all());
    let hint = format!("bili-qr login --tv --session {}", old.display());
    assert!(r.stderr.contains(&hint), "{}", r.all());
}
