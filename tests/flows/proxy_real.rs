//! Logins through the real proxies a user has: tinyproxy (HTTP CONNECT, with and without Basic auth in the
//! proxy URL) and microsocks (`socks5://`, `socks5h://`), in front of the fake server's TLS mode with
//! `ca_file`: start, poll, wait, check and logout. Then the proxy environment variables (`https_proxy`,
//! `HTTPS_PROXY`, `no_proxy` with a host, a suffix and `*`) in child processes, and proxies that refuse
//! (407, 502), close or stall, played by small stub servers: each a clear error naming the proxy.
//!
//! The daemons are found on PATH or in /usr/bin, /usr/sbin, /usr/local/bin, /usr/local/sbin and started
//! on free loopback ports with a config of their own in a temporary directory. A missing one is a failure
//! when `CI=true` (`.ci/deps/proxy.apt` installs them), else the test prints `SKIPPED` and passes.

use crate::common::*;
use bili_qr::ffi::*;
use bili_qr_fake_server::FakeServer;
use serde_json::{json, Value};
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

// ---------------------------------------------------------------------------------------------------------
// The daemons

/// `name` on PATH or in the usual system directories.
fn find(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(
            ["/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin"]
                .iter()
                .map(PathBuf::from),
        )
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// `name`, or `None` after printing SKIPPED; a failure under `CI=true`.
fn require(name: &str) -> Option<PathBuf> {
    let found = find(name);
    if found.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{name} is not installed, and CI=true needs every proxy suite to run: install the packages of .ci/deps/proxy.apt (tests/install-deps.sh)"
        );
        eprintln!("SKIPPED: {name} is not installed (apt-get install tinyproxy microsocks)");
    }
    found
}

/// A free TCP port on 127.0.0.1 (closed again, for a daemon to listen on).
fn free_port() -> u16 {
    closed_port()
}

/// A daemon this test started; killed (by its own pid) on drop.
struct Daemon {
    child: Child,
    port: u16,
    log: Option<PathBuf>,
    _dir: TempDir,
}

impl Daemon {
    /// Starts `cmd`, the daemon `name` that listens on `port`, without standard streams, and waits until it
    /// is ready. `dir` (which holds its files) lives as long as the daemon.
    fn spawn(
        name: &str,
        mut cmd: Command,
        port: u16,
        log: Option<PathBuf>,
        dir: TempDir,
    ) -> Daemon {
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {name}: {e}"));
        Daemon {
            child,
            port,
            log,
            _dir: dir,
        }
        .ready(name)
    }

    /// Waits (a bounded number of tries) until the daemon accepts connections.
    fn ready(mut self, name: &str) -> Daemon {
        for _ in 0..200 {
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return self;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("{name} exited at start ({status}): {}", self.log_text());
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!(
            "{name} does not listen on 127.0.0.1:{}: {}",
            self.port,
            self.log_text()
        );
    }

    fn log_text(&self) -> String {
        self.log
            .as_ref()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .unwrap_or_default()
    }

    fn url(&self, scheme: &str, userinfo: &str) -> String {
        format!("{scheme}://{userinfo}127.0.0.1:{}", self.port)
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// tinyproxy on a free port, for clients on 127.0.0.1, allowing CONNECT to `connect_port` only, with
/// `BasicAuth user password` when `auth` is given. It logs each request line.
fn tinyproxy(connect_port: u16, auth: Option<(&str, &str)>) -> Option<Daemon> {
    let bin = require("tinyproxy")?;
    let dir = TempDir::new("proxy");
    let port = free_port();
    let log = dir.join("tinyproxy.log");
    let mut conf = format!(
        "Port {port}\nListen 127.0.0.1\nAllow 127.0.0.1\nConnectPort {connect_port}\nTimeout 30\nMaxClients 64\nLogLevel Info\nLogFile \"{}\"\nPidFile \"{}\"\n",
        log.display(),
        dir.join("tinyproxy.pid").display()
    );
    if let Some((user, password)) = auth {
        conf.push_str(&format!("BasicAuth {user} {password}\n"));
    }
    let conf_path = dir.join("tinyproxy.conf");
    std::fs::write(&conf_path, conf).expect("write tinyproxy.conf");
    let mut cmd = Command::new(bin);
    cmd.arg("-d").arg("-c").arg(&conf_path);
    Some(Daemon::spawn("tinyproxy", cmd, port, Some(log), dir))
}

/// microsocks on a free port on 127.0.0.1, with `-u user -P password` when `auth` is given.
fn microsocks(auth: Option<(&str, &str)>) -> Option<Daemon> {
    let bin = require("microsocks")?;
    let dir = TempDir::new("proxy");
    let port = free_port();
    let mut cmd = Command::new(bin);
    cmd.args(["-i", "127.0.0.1", "-p", &port.to_string()]);
    if let Some((user, password)) = auth {
        cmd.args(["-u", user, "-P", password]);
    }
    Some(Daemon::spawn("microsocks", cmd, port, None, dir))
}

// ---------------------------------------------------------------------------------------------------------
// The fake server in TLS mode

/// The fake server over TLS, its CA in a file for `ca_file`, and the scenario of one test.
struct Tls {
    env: Env,
    ca: PathBuf,
    _dir: TempDir,
}

impl Tls {
    fn new(scenario: &str) -> Tls {
        let env = Env {
            srv: FakeServer::start_tls(),
            scenario: scenario.to_owned(),
        };
        let dir = TempDir::new("proxy");
        let ca = dir.join("ca.pem");
        std::fs::write(&ca, env.srv.ca_pem().expect("the TLS server's CA")).expect("write ca.pem");
        Tls { env, ca, _dir: dir }
    }

    fn port(&self) -> u16 {
        self.env.srv.port()
    }

    /// This scenario's base URL on `host` (`localhost` or `127.0.0.1`: the certificate's names).
    fn base(&self, host: &str) -> String {
        self.env.base().replacen("127.0.0.1", host, 1)
    }

    /// Options for this server on `host` through `proxy`, plus `extra`.
    fn opts(&self, host: &str, proxy: &str, extra: Value) -> String {
        let base = self.base(host);
        let mut v = json!({
            "base_url": base,
            "api_base_url": base,
            "ca_file": self.ca.to_str().expect("UTF-8 temp path"),
            "proxy": proxy,
            "timeout_ms": 5000,
            "poll_interval_ms": 100,
            "wait_timeout_ms": 30000,
        });
        if let (Some(m), Value::Object(e)) = (v.as_object_mut(), extra) {
            m.extend(e);
        }
        v.to_string()
    }
}

/// start, poll (waiting), wait (scanned, then confirmed), check (valid), logout: every call through the
/// options' proxy. The scenario's flow must be `wsc`.
fn whole_login(tls: &Tls, opts: &str) {
    let started = start(Some(opts)).expect(BILI_QR_OK);
    let ticket = started.json()["ticket"]
        .as_str()
        .expect("a ticket")
        .to_owned();
    let polled = poll(&ticket, Some(opts)).expect(BILI_QR_WAITING);
    assert_eq!(polled.json()["status"], "waiting", "{:?}", polled.out);
    let waited = wait(&ticket, Some(opts)).expect(BILI_QR_OK);
    let session = waited.out.clone().expect("the confirmed poll object");
    assert_eq!(waited.json()["status"], "confirmed", "{session}");
    let checked = check(&session, Some(opts)).expect(BILI_QR_OK);
    assert_eq!(checked.json()["status"], "valid", "{:?}", checked.out);
    let out = logout(&session, Some(opts)).expect(BILI_QR_OK);
    assert_eq!(out.json()["status"], "logged_out", "{:?}", out.out);
    let paths: Vec<String> = tls.env.log().into_iter().map(|r| r.path).collect();
    for endpoint in [
        "/qrcode/auth/url",
        "/qrcode/auth/fetch",
        "/web/v2/user",
        "/login/exit",
    ] {
        assert!(
            paths.iter().any(|p| p.ends_with(endpoint)),
            "{endpoint} never reached the server: {paths:?}"
        );
    }
}

/// The request lines tinyproxy logged for CONNECT.
fn connects(proxy: &Daemon) -> Vec<String> {
    proxy
        .log_text()
        .lines()
        .filter_map(|l| l.split_once("): CONNECT ").map(|(_, r)| r.to_owned()))
        .collect()
}

/// After the proxy is gone, a call fails naming it: the calls before went through it (a pooled
/// connection through a proxy dies with the proxy).
fn proves_the_proxy_was_used(proxy: Daemon, opts: &str) {
    let port = proxy.port;
    drop(proxy);
    let r = start(Some(opts));
    assert!(
        r.status == BILI_QR_ERR_NETWORK || r.status == BILI_QR_ERR_TIMEOUT,
        "{r:?}"
    );
    assert!(
        r.error.contains(&format!("the proxy 127.0.0.1:{port}")),
        "{}",
        r.error
    );
}

// ---------------------------------------------------------------------------------------------------------
// Real proxies, whole logins

#[test]
fn tinyproxy_connect_carries_a_whole_login_over_tls() {
    let tls = Tls::new("id=px-tiny,flow=wsc");
    let Some(proxy) = tinyproxy(tls.port(), None) else {
        return;
    };
    let opts = tls.opts("localhost", &proxy.url("http", ""), json!({}));
    whole_login(&tls, &opts);
    let seen = connects(&proxy);
    let target = format!("localhost:{} HTTP/1.1", tls.port());
    assert!(
        !seen.is_empty() && seen.iter().all(|l| *l == target),
        "tinyproxy's CONNECT lines: {seen:?}"
    );
    proves_the_proxy_was_used(proxy, &opts);
}

#[test]
fn tinyproxy_with_basic_auth_in_the_proxy_url() {
    let tls = Tls::new("id=px-tiny-auth,flow=wsc");
    let (user, password) = ("alice-px", "Pw-9f3Kq7zR");
    let Some(proxy) = tinyproxy(tls.port(), Some((user, password))) else {
        return;
    };
    let opts = tls.opts(
        "localhost",
        &proxy.url("http", &format!("{user}:{password}@")),
        json!({}),
    );
    whole_login(&tls, &opts);
    assert!(!connects(&proxy).is_empty(), "{}", proxy.log_text());

    // Wrong and missing credentials: tinyproxy refuses the CONNECT (with 401, where RFC 9110 says 407),
    // and the message names the proxy and the credentials, never the user name or a password.
    for userinfo in ["alice-px:Wrong-pw-77Hx@", ""] {
        let opts = tls.opts("localhost", &proxy.url("http", userinfo), json!({}));
        let r = start(Some(&opts)).expect_err(
            BILI_QR_ERR_NETWORK,
            &[
                &format!("the proxy 127.0.0.1:{}", proxy.port),
                "user name and password in the proxy URL",
            ],
        );
        for secret in [user, password, "Wrong-pw-77Hx"] {
            assert!(!r.error.contains(secret), "{}", r.error);
        }
    }
    proves_the_proxy_was_used(proxy, &opts);
}

#[test]
fn microsocks_socks5_and_socks5h_carry_a_whole_login_over_tls() {
    // socks5:// resolves localhost here and hands microsocks the address; socks5h:// hands it the name
    // (127.0.0.1, so that microsocks's own lookup cannot pick ::1 where the server does not listen).
    for (scheme, host, auth) in [
        ("socks5", "localhost", None),
        ("socks5h", "127.0.0.1", None),
        ("socks5h", "127.0.0.1", Some(("bob-px", "Sx-4Lm9Tq2"))),
    ] {
        let tls = Tls::new(&format!("id=px-{scheme}-{},flow=wsc", auth.is_some() as u8));
        let Some(proxy) = microsocks(auth) else {
            return;
        };
        let userinfo = auth.map_or(String::new(), |(u, p)| format!("{u}:{p}@"));
        let opts = tls.opts(host, &proxy.url(scheme, &userinfo), json!({}));
        whole_login(&tls, &opts);
        if let Some((user, _)) = auth {
            let wrong = tls.opts(
                host,
                &proxy.url(scheme, &format!("{user}:Wrong-pw-31Kd@")),
                json!({}),
            );
            let r = start(Some(&wrong)).expect(BILI_QR_ERR_NETWORK);
            assert!(
                r.error
                    .contains(&format!("the proxy 127.0.0.1:{}", proxy.port)),
                "{}",
                r.error
            );
            assert!(
                !r.error.contains("Wrong-pw") && !r.error.contains(user),
                "{}",
                r.error
            );
        }
        proves_the_proxy_was_used(proxy, &opts);
    }
}

// ---------------------------------------------------------------------------------------------------------
// The environment variables, in child processes (the environment is read when a pool is built)

/// The marker of the child's one result line.
const RESULT: &str = "PROXY-CHILD-RESULT ";

/// Run by [`run_child`] in a child process only: one `bili_qr_start` with the options in
/// `BILI_QR_PROXY_CHILD_OPTS`, its status and message printed on one line.
#[test]
#[ignore = "the child process of the proxy environment tests"]
fn env_child() {
    let Ok(opts) = std::env::var("BILI_QR_PROXY_CHILD_OPTS") else {
        return;
    };
    let r = start(Some(&opts));
    println!("\n{RESULT}{}\t{}", r.status, r.error);
}

/// The name the test harness gives [`env_child`]: its module path without the crate's name.
fn child_test_name() -> String {
    let module = module_path!();
    let module = module.split_once("::").map_or(module, |(_, rest)| rest);
    format!("{module}::env_child")
}

/// `bili_qr_start` with `opts` in a child process whose proxy variables are only `vars`.
fn run_child(opts: &str, vars: &[(&str, &str)]) -> (i32, String) {
    let exe = std::env::current_exe().expect("this test binary");
    let mut cmd = Command::new(exe);
    cmd.args([
        "--ignored",
        "--exact",
        &child_test_name(),
        "--nocapture",
        "--test-threads=1",
    ])
    .env("BILI_QR_PROXY_CHILD_OPTS", opts);
    for name in proxy_variables() {
        cmd.env_remove(name);
    }
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run the child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.split_once(RESULT).map(|(_, r)| r))
        .unwrap_or_else(|| {
            panic!(
                "the child printed no result: {stdout}{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    let (status, message) = line.split_once('\t').expect("status TAB message");
    (status.parse().expect("a status"), message.to_owned())
}

#[test]
fn the_environment_proxy_and_no_proxy() {
    let tls = Tls::new("id=px-env,flow=wsc");
    // tinyproxy allows CONNECT to the server's port only: the tunnel to a name on another port is
    // refused at once (403), before any lookup, and the request line is in its log.
    let Some(proxy) = tinyproxy(tls.port(), None) else {
        return;
    };
    let proxy_url = proxy.url("http", "");
    let named = format!("the proxy 127.0.0.1:{}", proxy.port);
    // A host no resolver knows (.invalid): only the proxy is asked about it.
    let outside = json!({
        "base_url": "https://passport.bili-qr.invalid:9",
        "ca_file": tls.ca.to_str().expect("UTF-8 temp path"),
        "timeout_ms": 3000,
    })
    .to_string();
    let line = "passport.bili-qr.invalid:9 HTTP/1.1";

    for var in ["https_proxy", "HTTPS_PROXY"] {
        let before = connects(&proxy).len();
        let (status, message) = run_child(&outside, &[(var, &proxy_url)]);
        assert_eq!(status, BILI_QR_ERR_NETWORK, "{var}: {message}");
        assert!(
            message.contains(&named) && message.contains("403"),
            "{var}: {message}"
        );
        let seen = connects(&proxy);
        assert_eq!(seen.len(), before + 1, "{var}: {seen:?}");
        assert_eq!(seen.last().map(String::as_str), Some(line), "{var}");
    }

    // no_proxy with the host, a suffix, `*`: the request goes direct (and fails here: the name does
    // not resolve), the proxy never hears of it. A list that does not match still uses the proxy.
    for (no_proxy, direct) in [
        ("passport.bili-qr.invalid", true),
        (".bili-qr.invalid", true),
        ("example.com, bili-qr.invalid", true),
        ("*", true),
        ("example.com,.bili-qr.example", false),
    ] {
        for var in ["no_proxy", "NO_PROXY"] {
            let before = connects(&proxy).len();
            let (status, message) = run_child(
                &outside,
                &[("https_proxy", proxy_url.as_str()), (var, no_proxy)],
            );
            assert!(status < 0, "{var}={no_proxy}: {status}");
            let after = connects(&proxy).len();
            if direct {
                assert!(!message.contains("proxy"), "{var}={no_proxy}: {message}");
                assert_eq!(after, before, "{var}={no_proxy}: the proxy was asked");
            } else {
                assert!(message.contains(&named), "{var}={no_proxy}: {message}");
                assert_eq!(after, before + 1, "{var}={no_proxy}");
            }
        }
    }

    // A loopback base_url never goes through the environment's proxy: the login works direct and the
    // proxy hears nothing.
    let before = connects(&proxy).len();
    let local = tls.opts("localhost", "", json!({}));
    let local: Value = serde_json::from_str(&local).expect("JSON");
    let mut local = local.as_object().expect("object").clone();
    local.remove("proxy");
    let (status, message) = run_child(
        &Value::Object(local).to_string(),
        &[("https_proxy", &proxy_url), ("HTTPS_PROXY", &proxy_url)],
    );
    assert_eq!(status, BILI_QR_OK, "{message}");
    assert_eq!(connects(&proxy).len(), before);

    // A variable that is not a proxy URL: an argument error naming the variable, not its value.
    for bad in ["http://px-user:Secret-5Tz@:99999", "ftp://127.0.0.1:21"] {
        let (status, message) = run_child(&outside, &[("https_proxy", bad)]);
        assert_eq!(status, BILI_QR_ERR_ARGUMENT, "{message}");
        assert!(message.contains("https_proxy"), "{message}");
        assert!(
            !message.contains("Secret-5Tz") && !message.contains("px-user"),
            "{message}"
        );
    }
}

// ---------------------------------------------------------------------------------------------------------
// Proxies that refuse, close or stall (stub servers)

/// What a stub proxy does after reading the CONNECT request's head.
#[derive(Clone, Copy, Debug)]
enum Stub {
    /// Answers this status line and closes.
    Answer(&'static str),
    /// Closes without answering.
    Close,
    /// Answers 200, then closes (the TLS handshake meets the end of the stream).
    CloseAfter200,
    /// Answers 200, then holds the connection open and silent.
    StallAfter200,
    /// Reads the request and never answers.
    Stall,
}

/// A one-behaviour CONNECT proxy on 127.0.0.1; the connections it stalls are held until the test ends.
fn stub_proxy(behaviour: Stub) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind the stub proxy");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
            read_head(&mut stream, 16 * 1024);
            match behaviour {
                Stub::Answer(status) => {
                    let _ = stream.write_all(
                        format!("{status}\r\nProxy-Authenticate: Basic realm=\"px\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                            .as_bytes(),
                    );
                }
                Stub::Close => {}
                Stub::CloseAfter200 => {
                    let _ = stream.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
                }
                Stub::StallAfter200 => {
                    let _ = stream.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
                    held.push(stream);
                }
                Stub::Stall => held.push(stream),
            }
        }
    });
    port
}

#[test]
fn a_refusing_closing_or_stalling_proxy_is_named() {
    let tls = Tls::new("id=px-stub");
    for (behaviour, status, needles) in [
        (
            Stub::Answer("HTTP/1.1 407 Proxy Authentication Required"),
            BILI_QR_ERR_NETWORK,
            &["407", "user name and password"][..],
        ),
        (
            Stub::Answer("HTTP/1.1 502 Bad Gateway"),
            BILI_QR_ERR_NETWORK,
            &["refused the tunnel", "HTTP 502"][..],
        ),
        (
            Stub::Close,
            BILI_QR_ERR_NETWORK,
            &["closed the connection without answering"][..],
        ),
        (Stub::CloseAfter200, BILI_QR_ERR_NETWORK, &[][..]),
        (Stub::StallAfter200, BILI_QR_ERR_TIMEOUT, &["timed out"][..]),
        (Stub::Stall, BILI_QR_ERR_TIMEOUT, &["timed out"][..]),
    ] {
        let port = stub_proxy(behaviour);
        let opts = tls.opts(
            "localhost",
            &format!("http://px-user:Pw-stub-8Qd@127.0.0.1:{port}"),
            json!({"timeout_ms": 1500}),
        );
        let r = start(Some(&opts));
        assert_eq!(r.status, status, "{behaviour:?}: {}", r.error);
        assert!(
            r.error.contains(&format!("the proxy 127.0.0.1:{port}")),
            "{behaviour:?}: {}",
            r.error
        );
        for n in needles {
            assert!(r.error.contains(n), "{behaviour:?}: {}", r.error);
        }
        assert!(
            !r.error.contains("Pw-stub") && !r.error.contains("px-user"),
            "{behaviour:?}: {}",
            r.error
        );
    }
    // None of them reached the server.
    assert_eq!(tls.env.srv.requests(), 0);
}

/// A dead proxy whose URL holds a user name and password: the message names its host and port only.
#[test]
fn the_proxy_option_url_never_reaches_a_message() {
    let tls = Tls::new("id=px-secret");
    let port = closed_port();
    let opts = tls.opts(
        "localhost",
        &format!("http://someone:Hidden-6Wq@127.0.0.1:{port}"),
        json!({}),
    );
    let r = start(Some(&opts)).expect(BILI_QR_ERR_NETWORK);
    assert!(
        r.error.contains(&format!("the proxy 127.0.0.1:{port}")),
        "{}",
        r.error
    );
    assert!(
        !r.error.contains("Hidden-6Wq") && !r.error.contains("someone"),
        "{}",
        r.error
    );
}
