//! `bili-qr-fake-server [--port N] [--tls] [--tls-ca-out FILE] [--refresh-public-key-out FILE] [--watch-stdin]
//! [--quiet]`: a thin wrapper over the library. The first stdout line is `listening http://127.0.0.1:PORT` (or
//! `https://…`); nothing else goes to stdout. `--tls-ca-out FILE` (implies `--tls`) writes the test CA (PEM)
//! before that line; `--refresh-public-key-out FILE` writes the public half of the mainland cookie-refresh RSA
//! key (PEM SPKI) before it.
#![forbid(unsafe_code)]

use std::io::{Read, Write};
use std::process::ExitCode;

use bili_qr_fake_server::{FakeServer, Options};

const USAGE: &str = "usage: bili-qr-fake-server [--port N] [--tls] [--tls-ca-out FILE] [--refresh-public-key-out FILE] [--watch-stdin] [--quiet]";

fn main() -> ExitCode {
    let mut opts = Options {
        quiet: false,
        ..Options::default()
    };
    let mut watch_stdin = false;
    let mut ca_out: Option<std::path::PathBuf> = None;
    let mut key_out: Option<std::path::PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--port" => match args.next().and_then(|p| p.parse::<u16>().ok()) {
                Some(p) => opts.port = p,
                None => {
                    eprintln!("--port wants a number 0-65535\n{USAGE}");
                    return ExitCode::from(2);
                }
            },
            "--tls" => opts.tls = true,
            "--tls-ca-out" => match args.next() {
                Some(f) if !f.is_empty() => {
                    opts.tls = true;
                    ca_out = Some(f.into());
                }
                _ => {
                    eprintln!("--tls-ca-out wants a file name\n{USAGE}");
                    return ExitCode::from(2);
                }
            },
            "--refresh-public-key-out" => match args.next() {
                Some(f) if !f.is_empty() => key_out = Some(f.into()),
                _ => {
                    eprintln!("--refresh-public-key-out wants a file name\n{USAGE}");
                    return ExitCode::from(2);
                }
            },
            "--watch-stdin" => watch_stdin = true,
            "--quiet" => opts.quiet = true,
            "-h" | "--help" => {
                eprintln!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("unknown argument `{other}`\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let srv = match FakeServer::start_with(opts) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("bili-qr-fake-server: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(path) = &ca_out {
        let pem = srv.ca_pem().unwrap_or_default();
        if let Err(e) = std::fs::write(path, pem) {
            eprintln!(
                "bili-qr-fake-server: cannot write the CA to {}: {e}",
                path.display()
            );
            return ExitCode::FAILURE;
        }
    }
    if let Some(path) = &key_out {
        if let Err(e) = std::fs::write(path, bili_qr_fake_server::refresh_public_key_pem()) {
            eprintln!(
                "bili-qr-fake-server: cannot write the refresh public key to {}: {e}",
                path.display()
            );
            return ExitCode::FAILURE;
        }
    }
    {
        let mut out = std::io::stdout().lock();
        if writeln!(out, "listening {}", srv.base_url())
            .and_then(|_| out.flush())
            .is_err()
        {
            return ExitCode::FAILURE;
        }
    }
    if watch_stdin {
        let mut stdin = std::io::stdin().lock();
        let mut buf = [0u8; 4096];
        loop {
            match stdin.read(&mut buf) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        // Exit at once (open keep-alive connections need not be drained), after the pending log lines.
        srv.flush_log(std::time::Duration::from_secs(1));
        std::process::exit(0);
    }
    loop {
        std::thread::park();
    }
}
