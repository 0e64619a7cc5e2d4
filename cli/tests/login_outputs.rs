//! `bili-qr login` on bilibili.tv, the built binary against the fake server running in this test process: a
//! confirmed login's outputs (`--cookies` as a Netscape file, `--json`, `--svg`, `--print-header`: mode 0600,
//! no temporary file, the values the server set), the plain progress without a terminal, warnings of odd
//! confirmed logins and `--verify-login`, exit 1 (the code expired, refreshed `--max-refresh` times), exit 3
//! (closed port, request timeout, wait timeout), exit 130 on SIGINT and `--demo`; an existing output file
//! survives every failed or cancelled login unchanged. (Moved here from tests/suites/60-cli.sh, which keeps
//! what needs curl, yt-dlp or a pseudo-terminal.)

mod common;
use bili_qr_fake_server::{FakeServer, FETCH_PATH, URL_PATH};
use common::{cli, entries, one_line_reason, scratch, Run};
mod support;
use std::path::Path;
use support::{
    assert_has, assert_line, assert_line_ends, assert_line_starts, assert_only_warnings,
    assert_private, closed_port, netscape_rows, path_arg, LOGIN_COOKIES, WHO,
};
#[cfg(unix)]
use support::{mode, set_mode};

const FAST: [&str; 4] = ["--poll-interval", "100ms", "--timeout", "2s"];

/// `login --base-url URL` with the fast flags and `more`.
fn login(url: &str, more: &[&str]) -> Run {
    let mut args = vec!["login", "--base-url", url];
    args.extend_from_slice(&FAST);
    args.extend_from_slice(more);
    cli(&args)
}

/// How many requests the server got under `scenario` for `endpoint` (URL_PATH or FETCH_PATH).
fn requests(srv: &FakeServer, scenario: &str, endpoint: &str) -> usize {
    let path = format!("/s/{scenario}{endpoint}");
    srv.log().iter().filter(|r| r.path == path).count()
}

fn no_escapes(text: &str, what: &str) {
    assert!(
        !text.contains('\x1b'),
        "{what}: ANSI escape sequences in non-terminal output"
    );
}

fn ok(r: &Run, what: &str) {
    assert_eq!(r.code, 0, "{what}: {}", r.all());
}

#[test]
fn a_confirmed_login_writes_every_output_as_the_server_sent_it() {
    let srv = FakeServer::start();
    let dir = scratch("ok");
    let sc = "flow=wsc,id=ok";
    let (cookies, json, svg) = (
        dir.join("cookies.txt"),
        dir.join("login.json"),
        dir.join("qr.svg"),
    );
    let r = login(
        &srv.url(sc),
        &[
            "--cookies",
            &path_arg(&cookies),
            "--json",
            &path_arg(&json),
            "--svg",
            &path_arg(&svg),
            "--print-header",
        ],
    );
    ok(&r, "confirmed login");
    // Progress on stderr, the header alone on stdout.
    assert_eq!(r.stdout.lines().count(), 1, "--print-header: {}", r.stdout);
    assert_has(&r.stderr, &format!("logged in as {WHO}"), "stderr");
    no_escapes(&r.stderr, "--print-header progress");
    assert_eq!(entries(&dir), ["cookies.txt", "login.json", "qr.svg"]);
    for f in [&cookies, &json, &svg] {
        assert_private(f, "an output");
    }

    // The QR URL under the code, and only its ticket polled.
    let qr_url = r
        .stderr
        .split_whitespace()
        .find(|w| {
            w.starts_with("https://www.bilibili.tv/h5/") && w.contains("/qrcode/login?ticket=")
        })
        .expect("no QR URL under the code");
    let ticket = qr_url.rsplit("ticket=").next().unwrap_or_default();
    assert!(
        ticket.len() == 32 && ticket.chars().all(|c| c.is_ascii_hexdigit()),
        "{qr_url}"
    );
    let fetch_path = format!("/s/{sc}{FETCH_PATH}");
    let fetches: Vec<_> = srv
        .log()
        .into_iter()
        .filter(|r| r.path == fetch_path)
        .collect();
    assert!(!fetches.is_empty());
    assert!(
        fetches
            .iter()
            .all(|f| f.query.get("ticket").map(String::as_str) == Some(ticket)),
        "polled another ticket than the one shown"
    );
    let sent: std::collections::HashMap<String, String> = fetches[fetches.len() - 1]
        .set_cookies
        .iter()
        .filter_map(|c| {
            let pair = c.split(';').next()?;
            let (k, v) = pair.split_once('=')?;
            Some((k.to_owned(), v.to_owned()))
        })
        .collect();

    // login.json: the confirmed answer, every cookie's value as the server set it.
    let login_json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("read login.json"))
            .expect("JSON");
    assert_eq!(login_json["status"], "confirmed");
    assert_eq!(login_json["mid"], 1709658507);
    assert_eq!(login_json["user_profile"]["name"], "DemoUser");
    let jcookies = login_json["cookies"].as_array().expect("cookies");
    let names: Vec<&str> = jcookies.iter().filter_map(|c| c["name"].as_str()).collect();
    assert_eq!(names, LOGIN_COOKIES);
    for c in jcookies {
        let n = c["name"].as_str().unwrap_or_default();
        assert_eq!(c["value"].as_str(), sent.get(n).map(String::as_str), "{n}");
    }
    // --print-header is the JSON's cookie_header.
    let header = login_json["cookie_header"].as_str().expect("cookie_header");
    assert_eq!(r.stdout, format!("{header}\n"));
    assert!(header.starts_with(&format!("SESSDATA={}; bili_jct=", sent["SESSDATA"])));

    // The Netscape file: its header line, 7 fields a line, the domain and flags of each cookie.
    let text = std::fs::read_to_string(&cookies).expect("read cookies.txt");
    assert_eq!(text.lines().next(), Some("# Netscape HTTP Cookie File"));
    let rows = netscape_rows(&text);
    let row_names: Vec<&str> = rows.iter().map(|f| f[5].as_str()).collect();
    assert_eq!(row_names, names);
    for (f, c) in rows.iter().zip(jcookies) {
        let n = &f[5];
        assert_eq!(Some(f[6].as_str()), c["value"].as_str(), "{n}");
        assert_eq!(f[4], c["expires"].as_i64().unwrap_or(0).to_string(), "{n}");
        let secure = c["secure"].as_bool() == Some(true);
        assert_eq!(f[3], if secure { "TRUE" } else { "FALSE" }, "{n}");
        assert_eq!(
            f[0].starts_with("#HttpOnly_"),
            c["http_only"].as_bool() == Some(true),
            "{n}"
        );
    }
    assert_eq!(rows[0][..2], ["#HttpOnly_.bilibili.tv", "TRUE"]);
    assert_eq!(rows[5][..2], [".biliintl.com", "TRUE"], "mid");
    assert_eq!(
        rows[6][..5],
        ["127.0.0.1", "FALSE", "/", "FALSE", "0"],
        "sid"
    );

    // --svg is the issued code: the document `bili-qr render URL --format svg` draws.
    let drawn = cli(&["render", qr_url, "--format", "svg"]);
    ok(&drawn, "render --format svg");
    let saved = std::fs::read_to_string(&svg).expect("read qr.svg");
    assert!(saved.contains("</svg>"), "--svg is not an SVG document");
    assert_eq!(
        saved.trim_end_matches('\n'),
        drawn.stdout.trim_end_matches('\n'),
        "--svg is not the QR code of {qr_url}"
    );
    // Cookie values appear nowhere but in the outputs and the header.
    assert!(!r.stderr.contains(&sent["SESSDATA"]), "SESSDATA on stderr");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn without_a_terminal_progress_is_plain_lines_in_order() {
    let srv = FakeServer::start();
    let r = login(&srv.url("flow=wwsssc,id=plain,foreign=1"), &[]);
    ok(&r, "plain progress");
    no_escapes(&r.stdout, "stdout");
    // stderr holds only the library's warnings: the confirmed answer sets a cookie for a foreign domain.
    assert_only_warnings(&r.stderr, "stderr on success");
    assert!(
        r.stderr
            .lines()
            .any(|l| l.starts_with("warning: ") && l.contains("evil.example.com")),
        "the dropped foreign cookie is not warned about: {}",
        r.stderr
    );
    assert!(r.stdout.contains('█'), "no QR drawing on stdout");
    let logged_in = format!("logged in as {WHO}");
    let states = [
        "waiting for the scan",
        "scanned, waiting for confirmation in the app",
        logged_in.as_str(),
    ];
    let seen: Vec<&str> = r.stdout.lines().filter(|l| states.contains(l)).collect();
    assert_eq!(seen, states, "each state once, in order: {}", r.stdout);
}

#[test]
fn odd_confirmed_logins_warn_on_stderr_and_verify_login_says_what_it_found() {
    let srv = FakeServer::start();
    let dir = scratch("odd");
    let api = srv.url("id=api");
    for sc in ["confirm=nulls", "gourl=hop404", "confirm=empty,gourl=query"] {
        let file = dir.join("w.txt");
        let _ = std::fs::remove_file(&file);
        let r = login(
            &srv.url(&format!("{sc},id=w")),
            &[
                "--api-base-url",
                &api,
                "--cookies",
                &path_arg(&file),
                "--verify-login",
            ],
        );
        ok(&r, sc);
        let text = std::fs::read_to_string(&file).expect("read");
        for f in netscape_rows(&text) {
            // DedeUserID and mid are the account number, which the CLI prints.
            if f[5] != "DedeUserID" && f[5] != "mid" && f[6].len() >= 6 {
                assert!(!r.all().contains(&f[6]), "{sc}: {} printed", f[5]);
            }
        }
        assert_line_starts(&r.stderr, "warning: ", sc);
        assert_only_warnings(&r.stderr, sc);
        assert_line_ends(
            &r.stdout,
            "; the gateway accepts the new session (--verify-login)",
            sc,
        );
        let c = cli(&[
            "check",
            "--cookies",
            &path_arg(&file),
            "--api-base-url",
            &api,
        ]);
        ok(&c, &format!("check after {sc}"));
    }
    let r = login(&srv.url("confirm=nulls,id=w2"), &[]);
    ok(&r, "confirm=nulls");
    assert_line(&r.stdout, "logged in (mid 1709658507)", "confirm=nulls");
    assert_line(
        &r.stderr,
        "warning: data.user_profile is missing or not an object",
        "confirm=nulls",
    );
    let r = login(&srv.url("gourl=hop404,id=w3"), &[]);
    ok(&r, "gourl=hop404");
    assert_line_starts(&r.stderr, "warning: go_url answered HTTP 404", "stderr");
    let r = login(
        &srv.url("id=w4"),
        &["--api-base-url", &srv.url("verify=down"), "--verify-login"],
    );
    ok(&r, "--verify-login with the gateway down");
    assert_line_ends(
        &r.stdout,
        "; not verified: the gateway could not be asked (--verify-login)",
        "verify=down",
    );
    assert_line_starts(&r.stderr, "warning: --verify-login: ", "stderr");
    let rejected = dir.join("rej.txt");
    let r = login(
        &srv.url("id=w5"),
        &[
            "--api-base-url",
            &srv.url("verify=reject"),
            "--verify-login",
            "--cookies",
            &path_arg(&rejected),
        ],
    );
    assert_eq!(r.code, 4, "--verify-login, session refused: {}", r.all());
    one_line_reason(&r, "--verify-login refused", None);
    assert!(
        !rejected.exists(),
        "a session the gateway refused was saved"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A directory holding `cookies.txt` = "keep me" (mode 0644): what a failed login must leave as it is.
fn kept_file(name: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let dir = scratch(name);
    let file = dir.join("cookies.txt");
    std::fs::write(&file, "keep me\n").expect("write");
    #[cfg(unix)]
    set_mode(&file, 0o644);
    (dir, file)
}

fn assert_kept(dir: &Path, file: &Path, what: &str) {
    assert_eq!(
        std::fs::read_to_string(file).expect("read"),
        "keep me\n",
        "{what}: the cookies file changed"
    );
    #[cfg(unix)]
    assert_eq!(mode(file), 0o644, "{what}: the cookies file's mode changed");
    assert_eq!(entries(dir), ["cookies.txt"], "{what}: a file was left");
}

#[test]
fn an_expired_code_is_refreshed_max_refresh_times_then_exit_1() {
    let srv = FakeServer::start();
    let (dir, file) = kept_file("exp");
    let sc = "flow=we,id=exp";
    let r = login(
        &srv.url(sc),
        &[
            "--max-refresh",
            "1",
            "--cookies",
            &path_arg(&file),
            "--json",
            &path_arg(&dir.join("l.json")),
        ],
    );
    assert_eq!(r.code, 1, "expired twice: {}", r.all());
    one_line_reason(&r, "expired", Some("expired 2 times"));
    assert_eq!(requests(&srv, sc, URL_PATH), 2, "1 refresh: 2 codes");
    let mut tickets: Vec<&str> = r
        .stdout
        .split(|c: char| c.is_whitespace())
        .filter_map(|w| w.split("ticket=").nth(1))
        .map(|t| t.get(..32).unwrap_or(t))
        .collect();
    tickets.sort_unstable();
    tickets.dedup();
    assert_eq!(
        tickets.len(),
        2,
        "the refreshed code was not shown: {}",
        r.stdout
    );
    assert_has(&r.stdout, "new code 1 of 1", "stdout");
    assert_has(
        &r.stdout,
        &format!(
            "not using the saved session ({}: session has no SESSDATA",
            file.display()
        ),
        "login --cookies over a file without a session does not say why it logs in",
    );
    assert_kept(&dir, &file, "expired");

    let r = login(&srv.url("flow=e,id=exp0"), &["--max-refresh", "0"]);
    assert_eq!(r.code, 1, "--max-refresh 0: {}", r.all());
    assert_eq!(
        requests(&srv, "flow=e,id=exp0", URL_PATH),
        1,
        "--max-refresh 0 refreshed"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn network_failures_and_the_wait_timeout_are_exit_3() {
    let srv = FakeServer::start();
    let (dir, file) = kept_file("net");
    let closed = format!("http://127.0.0.1:{}", closed_port());
    login_exits_3(
        "closed port",
        &closed,
        &["--max-retries", "0", "--timeout", "2s"],
    );
    // The server would answer after a minute: only --timeout ends the request (the harness waits for the exit).
    let slow = srv.url("fault=slow,delay=60000,id=slow");
    login_exits_3(
        "slow server",
        &slow,
        &["--timeout", "300ms", "--max-retries", "0"],
    );
    let cookies = path_arg(&file);
    let r = login_exits_3(
        "wait timeout",
        &srv.url("flow=w,id=wt"),
        &[
            "--poll-interval",
            "200ms",
            "--wait-timeout",
            "1s",
            "--cookies",
            &cookies,
        ],
    );
    assert!(
        r.stderr.contains("wait_timeout") || r.stderr.contains("not confirmed"),
        "{}",
        r.stderr
    );
    assert_kept(&dir, &file, "wait timeout");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `bili-qr login --base-url URL ARGS…` (`what`): exit 3, one line of reason.
fn login_exits_3(what: &str, url: &str, args: &[&str]) -> Run {
    let r = cli(&[&["login", "--base-url", url], args].concat());
    assert_eq!(r.code, 3, "{what}: {}", r.all());
    one_line_reason(&r, what, None);
    r
}

/// Starts a login that never completes, sends SIGINT once it waits (between polls, or with a slow poll
/// request in flight): exit 130, one line, nothing written. The harness waits for the exit: a login the
/// signal did not end would run into its 30 s request timeout and exit 3, not 130.
#[cfg(unix)]
fn sigint_case(srv: &FakeServer, sc: &str, answered_poll_first: bool) {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let (dir, file) = kept_file("int");
    let url = srv.url(sc);
    let (file_arg, json_arg) = (path_arg(&file), path_arg(&dir.join("l.json")));
    let mut child = Command::new(env!("CARGO_BIN_EXE_bili-qr"))
        .args([
            "login",
            "--base-url",
            url.as_str(),
            "--poll-interval",
            "200ms",
        ])
        .args(["--timeout", "30s", "--cookies", file_arg.as_str()])
        .args(["--json", json_arg.as_str()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn bili-qr");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let waiting = lines
        .by_ref()
        .map_while(Result::ok)
        .any(|l| l == "waiting for the scan");
    assert!(waiting, "{sc}: the login did not start waiting");
    if answered_poll_first {
        // Into the wait: a poll has been answered (waiting), the next one is due or on its way.
        let fetch_path = format!("/s/{sc}{FETCH_PATH}");
        for _ in 0..2000 {
            if srv.log().iter().any(|r| r.path == fetch_path) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    } else {
        // The first poll's request is slow: give it time to be sent (the signal ends the wait either way).
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    let kill = Command::new("kill")
        .args(["-INT".to_owned(), child.id().to_string()])
        .status()
        .expect("kill");
    assert!(kill.success());
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let out = child.wait_with_output().expect("wait");
    let r = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: rest.join("\n"),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert_eq!(r.code, 130, "SIGINT ({sc}): {}", r.all());
    one_line_reason(&r, "SIGINT", Some("cancelled"));
    assert_kept(&dir, &file, sc);
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(unix)]
#[test]
fn sigint_while_waiting_is_exit_130_and_writes_nothing() {
    let srv = FakeServer::start();
    sigint_case(&srv, "flow=w,id=int1", true);
    // A poll request that would take a minute is in flight when the signal comes.
    sigint_case(&srv, "fault=slow,on=fetch,delay=60000,id=int2", false);
}

#[test]
fn demo_logs_in_offline_through_every_state() {
    let dir = scratch("demo");
    let file = dir.join("cookies.txt");
    let r = cli(&["login", "--demo", "--cookies", &path_arg(&file)]);
    ok(&r, "--demo");
    assert_has(&r.stdout, "OFFLINE DEMO", "stdout");
    assert_has(&r.stdout, "scanned, waiting for confirmation", "stdout");
    assert_has(&r.stdout, "logged in as DemoUser", "stdout");
    assert_private(&file, "--demo cookies.txt");
    let text = std::fs::read_to_string(&file).expect("read");
    assert!(
        netscape_rows(&text).iter().any(|f| f[..4]
            == ["#HttpOnly_.bilibili.tv", "TRUE", "/", "TRUE"]
            && f[5] == "SESSDATA"),
        "{text}"
    );
    assert_eq!(entries(&dir), ["cookies.txt"]);
    let _ = std::fs::remove_dir_all(&dir);
}
