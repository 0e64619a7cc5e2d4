//! `bili-qr` exit codes 2 (usage: nothing is asked of the server) and 4 (refused by the server: outputs
//! untouched), with the built binary against the fake server running in this test process. (Moved here from
//! tests/suites/60-cli.sh, which keeps the cases that need curl, yt-dlp, signals or a terminal.)

mod common;
use bili_qr_fake_server::FakeServer;
use common::{cli, entries, one_line_reason, scratch};

/// How many QR codes the server issued under `scenario`.
fn codes_issued(srv: &FakeServer, scenario: &str) -> usize {
    let path = format!("/s/{scenario}{}", bili_qr_fake_server::URL_PATH);
    srv.log().iter().filter(|r| r.path == path).count()
}

#[test]
fn usage_errors_are_exit_2_and_ask_nothing() {
    let srv = FakeServer::start();
    let dir = scratch("usage");
    let ub = srv.url("id=usage");
    let d = dir.display().to_string();
    let n = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let cases: Vec<Vec<String>> = [
        "login --bogus --base-url {ub}",
        "login --timeout soon --base-url {ub}",
        "login --poll-interval 10ms --base-url {ub}",
        "login --max-refresh x --base-url {ub}",
        "login --locale en_US! --base-url {ub}",
        "login --demo --base-url {ub}",
        "login --base-url http://example.com",
        "login --base-url {ub} --cookies {d}/missing-dir/c.txt",
        "login --base-url {ub} --json {d}",
        "login --base-url {ub} --cookies {d}/a --json {d}/a",
        "login --base-url {ub} --session {d}/a --cookies {d}/a",
        "login --base-url {ub} --cookies {d}/a --json {d}/./a",
        "login --base-url {ub} --cookies {d}/a --session {d}/../{n}/a",
        "login --base-url {ub} --site cn",
        "login --base-url {ub} --tv --site intl --session {d}/s.json",
        "login --base-url {ub} --refresh-public-key {d}/none.pem",
        "refresh",
        "render",
        "render x --format png",
        "frobnicate",
    ]
    .iter()
    .map(|line| {
        line.replace("{ub}", &ub)
            .replace("{d}", &d)
            .replace("{n}", &n)
            .split(' ')
            .map(str::to_owned)
            .collect()
    })
    .collect();
    for args in &cases {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let r = cli(&refs);
        let what = args.join(" ");
        assert_eq!(r.code, 2, "{what}: {}", r.all());
        one_line_reason(&r, &what, None);
    }
    let r = cli(&["render", ""]);
    assert_eq!(r.code, 2, "{}", r.all());
    one_line_reason(&r, "render ''", Some("1 to 2048"));
    assert_eq!(
        codes_issued(&srv, "id=usage"),
        0,
        "a usage error asked for a code"
    );
    assert!(entries(&dir).is_empty(), "{:?}", entries(&dir));

    assert_eq!(cli(&[]).code, 2, "no subcommand");
    let r = cli(&["--help"]);
    assert_eq!(r.code, 0);
    assert!(
        r.stdout.contains("login") && r.stdout.contains("refresh"),
        "{}",
        r.stdout
    );
    let r = cli(&["login", "--help"]);
    assert_eq!(r.code, 0);
    for flag in [
        "--cookies",
        "--json",
        "--svg",
        "--print-header",
        "--max-refresh",
        "--demo",
        "--base-url",
        "--locale",
        "--platform",
        "--timeout",
        "--user-agent",
        "--proxy",
        "--poll-interval",
        "--wait-timeout",
        "--max-retries",
        "--site",
        "--www-base-url",
        "--refresh-public-key",
        "--session",
        "--tv",
    ] {
        assert!(
            r.stdout.contains(flag),
            "login --help does not document {flag}"
        );
    }
    assert!(
        r.stdout.contains("130") && r.stdout.contains("143"),
        "login --help does not list the exit codes"
    );
    let r = cli(&["refresh", "--help"]);
    assert_eq!(r.code, 0);
    for flag in ["--cookies", "--if-needed", "--site", "--refresh-public-key"] {
        assert!(
            r.stdout.contains(flag),
            "refresh --help does not document {flag}"
        );
    }
    // The release number is the library's own answer at run time (which tests/abi/versions.rs ties to the
    // root Cargo.toml), for the command and for the library it names.
    let r = cli(&["--version"]);
    assert_eq!(r.code, 0);
    // SAFETY: bili_qr_version returns a static NUL-terminated string.
    let library = unsafe { std::ffi::CStr::from_ptr(bili_qr::ffi::bili_qr_version()) }
        .to_str()
        .expect("the version is UTF-8");
    assert_eq!(
        r.stdout.trim_end(),
        format!("bili-qr {library} (bili_qr library {library})")
    );
    let r = cli(&["render", "hello", "--format", "matrix"]);
    assert_eq!(r.code, 0);
    let rows: Vec<&str> = r.stdout.lines().collect();
    assert!(
        rows[0].starts_with("1111111") && rows.iter().all(|l| l.len() == rows.len()),
        "not a square matrix with a finder pattern: {}",
        r.stdout
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn refusals_are_exit_4_and_leave_the_outputs() {
    let srv = FakeServer::start();
    let dir = scratch("refused");
    let file = dir.join("cookies.txt");
    std::fs::write(&file, "keep me\n").expect("write");
    for sc in [
        "fault=412,id=r1",
        "fault=api-412,id=r2",
        "fault=412,on=fetch,id=r3",
        "fault=notjson,id=r4",
    ] {
        let r = cli(&[
            "login",
            "--base-url",
            &srv.url(sc),
            "--poll-interval",
            "100ms",
            "--timeout",
            "2s",
            "--cookies",
            &file.display().to_string(),
        ]);
        assert_eq!(r.code, 4, "{sc}: {}", r.all());
        assert_eq!(codes_issued(&srv, sc), 1, "{sc}: one code asked for");
        one_line_reason(&r, sc, None);
        if !sc.contains("notjson") {
            assert!(
                r.stderr.contains("412"),
                "{sc}: the reason does not name the 412: {}",
                r.stderr
            );
        }
    }
    assert_eq!(std::fs::read_to_string(&file).expect("read"), "keep me\n");
    assert_eq!(entries(&dir), ["cookies.txt"]);
    let _ = std::fs::remove_dir_all(&dir);
}
