//! `bili-qr login`: the QR flow with live progress, automatic refresh of expired codes, Ctrl-C, and outputs.
//!
//! Threads: a worker runs `start` / `wait` (and refreshes); the main thread draws the progress it reports and
//! handles signals. On SIGINT the main thread calls `bili_qr::cancel` on the current ticket and exits 130
//! without writing anything. Output files are written by the main thread only after a confirmed login, and
//! signals are no longer looked at from then on, so a late Ctrl-C cannot leave a half-written set of files.

use crate::args::LoginArgs;
use crate::output;
use crate::progress::{printable, status_text, Ui};
use crate::saved::{self, Place, ReadError};
use crate::{Failure, EXIT_CANCELLED, EXIT_EXPIRED, EXIT_LOCAL, EXIT_USAGE};
use bili_qr::session::{CheckStatus, Session, SessionFormat};
use bili_qr::{PollResult, PollStatus, QrCode};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The simulated phone of `--demo`: scans 2 s after the code is issued, confirms at 4 s.
pub const DEMO_SCENARIO: &str = "phone=2000:4000,id=demo";
/// How long, after Ctrl-C, the worker gets to report that its wait ended before the program exits anyway.
const CANCEL_GRACE: Duration = Duration::from_millis(300);
const SIGINT: i32 = 2;

enum Event {
    /// A new QR code; the number of refreshes so far.
    Qr(QrCode, u32),
    Progress(PollStatus),
    Done(Outcome),
    Signal(i32),
}

enum Outcome {
    Confirmed(Box<PollResult>),
    /// Expired after `refreshes` refreshes.
    Expired(u32),
    Failed(bili_qr::Error),
}

fn worker(
    opts: bili_qr::Options,
    max_refresh: u32,
    stop: Arc<AtomicBool>,
    current: Arc<Mutex<Option<String>>>,
    tx: Sender<Event>,
) {
    let stopped = || stop.load(Ordering::SeqCst);
    let cancelled = || bili_qr::Error::new(bili_qr::ErrorKind::Cancelled, "cancelled");
    let mut refreshes = 0;
    let outcome = loop {
        if stopped() {
            break Outcome::Failed(cancelled());
        }
        let qr = match bili_qr::start(&opts) {
            Ok(qr) => qr,
            Err(e) => break Outcome::Failed(e),
        };
        *current.lock().unwrap_or_else(|p| p.into_inner()) = Some(qr.ticket.clone());
        if stopped() {
            break Outcome::Failed(cancelled());
        }
        let ticket = qr.ticket.clone();
        let _ = tx.send(Event::Qr(qr, refreshes));
        let result = bili_qr::wait(&ticket, &opts, &mut |r: &PollResult| {
            let _ = tx.send(Event::Progress(r.status));
            !stopped()
        });
        match result {
            Ok(r) if r.status == PollStatus::Confirmed => break Outcome::Confirmed(Box::new(r)),
            Ok(_) if refreshes < max_refresh && !stopped() => refreshes += 1,
            Ok(_) => break Outcome::Expired(refreshes),
            Err(e) => break Outcome::Failed(e),
        }
    };
    let _ = tx.send(Event::Done(outcome));
}

#[cfg(unix)]
fn watch_signals(tx: Sender<Event>) -> Result<(), Failure> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals =
        signal_hook::iterator::Signals::new([SIGINT, SIGTERM]).map_err(|e| Failure {
            code: EXIT_LOCAL,
            message: format!("cannot install the Ctrl-C handler: {e}"),
        })?;
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            for sig in signals.forever() {
                if tx.send(Event::Signal(sig)).is_err() {
                    break;
                }
            }
        })
        .map_err(|e| Failure {
            code: EXIT_LOCAL,
            message: format!("cannot start the signal thread: {e}"),
        })?;
    Ok(())
}

/// Windows: Ctrl-C and Ctrl-Break in a console (a console control handler, SetConsoleCtrlHandler through the
/// `ctrlc` crate) cancel the login like SIGINT: exit 130, nothing written.
#[cfg(windows)]
fn watch_signals(tx: Sender<Event>) -> Result<(), Failure> {
    ctrlc::set_handler(move || {
        let _ = tx.send(Event::Signal(SIGINT));
    })
    .map_err(|e| Failure {
        code: EXIT_LOCAL,
        message: format!("cannot install the Ctrl-C handler: {e}"),
    })
}

/// Elsewhere (neither Unix nor Windows): no handler; Ctrl-C ends the process the system's way.
#[cfg(not(any(unix, windows)))]
fn watch_signals(_tx: Sender<Event>) -> Result<(), Failure> {
    Ok(())
}

/// `login --cookies FILE` when FILE exists: asks the service about the session in it. Valid → says "already
/// logged in" (saving renewed cookies, printing the header / writing --json and --session as a login would)
/// and returns true: nothing else happens. Otherwise says why it logs in again and returns false.
fn already_logged_in(
    path: &Place,
    opts: &bili_qr::Options,
    args: &LoginArgs,
    ui: &mut Ui,
) -> Result<bool, Failure> {
    let saved = match path.read() {
        Ok(s) => s,
        Err(ReadError::Missing) => return Ok(false),
        // No secret store: the login could not be saved, so it does not start.
        Err(ReadError::Unavailable(why)) => {
            return Err(Failure {
                code: EXIT_LOCAL,
                message: why,
            })
        }
        Err(e) => {
            ui.line(&format!(
                "not using the saved session ({}); logging in again",
                path.reason(&e)
            ));
            return Ok(false);
        }
    };
    let checked = match bili_qr::check(&saved.session, opts) {
        Ok(c) => c,
        Err(e) => {
            ui.line(&format!(
                "could not check the session saved in {} ({}); logging in again",
                path,
                crate::flagify(e.message())
            ));
            return Ok(false);
        }
    };
    if checked.status == CheckStatus::Expired {
        ui.line(&format!(
            "the session saved in {} has expired or was logged out; logging in again",
            path
        ));
        return Ok(false);
    }
    ui.line(&format!(
        "already {} ({} holds a valid session; nothing was changed, --force logs in again)",
        saved::account(&checked),
        path
    ));
    if checked.renewed {
        let note = saved::save_renewed(path, &saved, &checked)?;
        ui.line(&note);
    }
    // --session beside --cookies/--store: the session that is already there, as a JSON session object (when
    // --session is itself the saved session, it is not rewritten: renewed cookies were saved above).
    let session_file = args
        .session
        .as_ref()
        .filter(|p| !matches!(path, Place::File(f) if f == *p));
    if let Some(file) = session_file {
        saved::write(file, &checked.session, SessionFormat::Json).map_err(|message| Failure {
            code: EXIT_LOCAL,
            message,
        })?;
        ui.line(&format!(
            "saved the session (JSON session object) to {}",
            file.display()
        ));
    }
    if let Some(json) = &args.json {
        output::write_all(vec![(
            json.clone(),
            format!("{}\n", checked.to_json()).into_bytes(),
        )])
        .map_err(|message| Failure {
            code: EXIT_LOCAL,
            message,
        })?;
        ui.line(&format!(
            "saved the checked session (the session object) as JSON to {}",
            json.display()
        ));
    }
    if args.print_header {
        let mut out = io::stdout().lock();
        writeln!(out, "{}", checked.session.cookie_header())
            .and_then(|()| out.flush())
            .map_err(|e| Failure {
                code: EXIT_LOCAL,
                message: format!("cannot write the Cookie header to standard output: {e}"),
            })?;
    }
    Ok(true)
}

fn usage(message: String) -> Failure {
    Failure {
        code: EXIT_USAGE,
        message,
    }
}

/// The file an output path names, for telling two spellings of one file apart (`a`, `./a`, `dir/../a`, a
/// symbolic link): the canonical path of an existing file, else its canonical directory joined with its
/// name, else the path as given.
fn resolved_target(path: &Path) -> PathBuf {
    if let Ok(p) = std::fs::canonicalize(path) {
        return p;
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    match (std::fs::canonicalize(dir), path.file_name()) {
        (Ok(d), Some(name)) => d.join(name),
        _ => path.to_path_buf(),
    }
}

pub fn run(args: LoginArgs) -> Result<(), Failure> {
    for (flag, path) in [
        ("--cookies", &args.cookies),
        ("--json", &args.json),
        ("--svg", &args.svg),
        ("--session", &args.session),
    ] {
        if let Some(p) = path {
            output::check_target(flag, p).map_err(usage)?;
        }
    }
    let outputs: Vec<&PathBuf> = [&args.cookies, &args.json, &args.svg, &args.session]
        .into_iter()
        .flatten()
        .collect();
    let resolved: Vec<PathBuf> = outputs.iter().map(|p| resolved_target(p)).collect();
    for (i, a) in outputs.iter().enumerate() {
        if resolved[..i].contains(&resolved[i]) {
            return Err(usage(format!("{} is given for two outputs", a.display())));
        }
    }

    let mut net = args.net.clone();
    if args.tv {
        tv_options(&args, &mut net)?;
    }
    let demo_server = if args.demo {
        let server =
            bili_qr_fake_server::FakeServer::start_with(Default::default()).map_err(|e| {
                Failure {
                    code: EXIT_LOCAL,
                    message: format!(
                        "--demo: cannot start the local fake server on 127.0.0.1: {e}"
                    ),
                }
            })?;
        net.set("base_url", server.url(DEMO_SCENARIO));
        net.set_default("poll_interval_ms", || 500);
        // The demo server answers the session check too (login --demo --cookies FILE, a second time).
        net.set_default("api_base_url", || server.url(DEMO_SCENARIO));
        if net.get_str("site") == Some("main") {
            // The mainland refresh asks the correspond page there too, encrypted with the demo server's
            // test key (the real service's key would not decrypt there).
            net.set_default("www_base_url", || server.url(DEMO_SCENARIO));
            if net.extra.refresh_public_key.is_none() {
                net.extra.refresh_key_text =
                    Some(bili_qr_fake_server::refresh_public_key_pem().to_owned());
            }
        }
        Some(server)
    } else {
        None
    };
    let opts = net.to_options().map_err(|m| usage(tv_unknown(&net, m)))?;
    let base_host = opts.base_url.host().to_owned();

    let mut ui = Ui::new(args.print_header);
    if let Some(server) = &demo_server {
        ui.line(&format!(
            "OFFLINE DEMO: nothing is sent to bilibili. A fake passport server runs inside this program at {},\n\
             and a simulated phone scans the code after ~2 s and confirms after ~4 s. The cookies are fake.\n\
             For a real login, run `bili-qr login` without --demo.",
            server.base_url()
        ));
    }

    if let Some(place) = Place::of(args.cookies.as_ref(), args.store.as_ref()) {
        if !args.force && already_logged_in(&place, &opts, &args, &mut ui)? {
            return Ok(());
        }
        if args.force && matches!(place, Place::Keyring(_)) {
            // --force: the saved session is not looked at, but a store that cannot be reached is found out
            // before the QR code is shown, not after the login (which could then not be saved).
            if let Err(ReadError::Unavailable(why)) = place.read() {
                return Err(Failure {
                    code: EXIT_LOCAL,
                    message: why,
                });
            }
        }
    }

    if let (None, Some(path)) = (&args.cookies, &args.session) {
        if !args.force && already_logged_in(&Place::File(path.clone()), &opts, &args, &mut ui)? {
            return Ok(());
        }
    }

    let (tx, rx) = mpsc::channel();
    watch_signals(tx.clone())?;
    let stop = Arc::new(AtomicBool::new(false));
    let current = Arc::new(Mutex::new(None::<String>));
    {
        let (stop, current, opts, max_refresh) = (
            stop.clone(),
            current.clone(),
            opts.clone(),
            args.max_refresh,
        );
        std::thread::Builder::new()
            .name("login".into())
            .spawn(move || worker(opts, max_refresh, stop, current, tx))
            .map_err(|e| Failure {
                code: EXIT_LOCAL,
                message: format!("cannot start the login thread: {e}"),
            })?;
    }

    let outcome = loop {
        let Ok(event) = rx.recv() else {
            break Outcome::Failed(bili_qr::Error::new(
                bili_qr::ErrorKind::Internal,
                "the login thread stopped",
            ));
        };
        match event {
            Event::Qr(qr, refreshes) => {
                ui.qr(&qr, refreshes, args.max_refresh)?;
                if let Some(svg) = &args.svg {
                    let drawing =
                        bili_qr::render(&qr.qr_url, bili_qr::Format::Svg).map_err(|e| Failure {
                            code: EXIT_LOCAL,
                            message: format!("cannot draw the QR code as SVG: {}", e.message()),
                        })?;
                    if let Err(message) =
                        output::write_all(vec![(svg.clone(), drawing.into_bytes())])
                    {
                        ui.end_status();
                        return Err(Failure {
                            code: EXIT_LOCAL,
                            message,
                        });
                    }
                }
            }
            Event::Progress(status) => ui.set_status(status_text(status)),
            Event::Done(outcome) => break outcome,
            Event::Signal(sig) => {
                stop.store(true, Ordering::SeqCst);
                if let Some(ticket) = current.lock().unwrap_or_else(|p| p.into_inner()).as_deref() {
                    let _ = bili_qr::cancel(ticket);
                }
                // Let the wait report its end (it wakes at once unless a request is in flight); then go.
                let deadline = std::time::Instant::now() + CANCEL_GRACE;
                while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
                    match rx.recv_timeout(left) {
                        Ok(Event::Done(_)) | Err(_) => break,
                        Ok(_) => {}
                    }
                }
                ui.end_status();
                // 130 for SIGINT (Ctrl-C), 143 for SIGTERM: the shell's 128 + signal number.
                let (code, name) = if sig == SIGINT {
                    (EXIT_CANCELLED, "Ctrl-C")
                } else {
                    (128 + sig, "SIGTERM")
                };
                return Err(Failure {
                    code,
                    message: format!("cancelled by {name}; nothing was written"),
                });
            }
        }
    };

    let result = match outcome {
        Outcome::Confirmed(r) => r,
        Outcome::Expired(refreshes) => {
            ui.finish("expired".to_owned());
            let message = if refreshes == 0 {
                format!("the QR code expired before it was confirmed (--max-refresh {}); run bili-qr login again", args.max_refresh)
            } else {
                format!(
                    "the QR code expired {} times without a confirmed login (refreshed {}, --max-refresh {}); run bili-qr login again",
                    refreshes + 1,
                    if refreshes == 1 { "once".to_owned() } else { format!("{refreshes} times") },
                    args.max_refresh
                )
            };
            return Err(Failure {
                code: EXIT_EXPIRED,
                message,
            });
        }
        Outcome::Failed(e) => {
            ui.end_status();
            return Err(Failure::from_error(&e));
        }
    };
    let Some(login) = &result.login else {
        return Err(Failure::from_error(&bili_qr::Error::new(
            bili_qr::ErrorKind::Internal,
            "a confirmed answer without login data",
        )));
    };
    let name = login.user_profile.as_ref().and_then(|p| p.name.as_deref());
    let mut line = crate::logged_in(name, login.mid);
    match login.verified {
        Some(true) => line.push_str("; the gateway accepts the new session (--verify-login)"),
        Some(false) => {
            line.push_str("; not verified: the gateway could not be asked (--verify-login)")
        }
        None => {}
    }
    ui.finish(line);
    // What the library found odd (a missing field, a failed optional step): on standard error, never a secret.
    for w in &login.warnings {
        crate::tell(&format!("warning: {}", printable(&crate::flagify(w))));
    }

    // Everything is staged and renamed together: all outputs or none.
    let mut files = Vec::new();
    let mut notes = Vec::new();
    if let Some(path) = &args.cookies {
        // The library's one writer of the formats; host-only cookies are written for the base_url host.
        match Session::parse(&result.to_json()) {
            Ok(mut session) => {
                session.host = base_host.clone();
                let left_out = login.cookies.len().saturating_sub(session.cookies.len());
                if left_out > 0 {
                    crate::tell(&format!(
                        "warning: {left_out} cookie(s) left out of {}: a name or value a cookie file cannot carry",
                        path.display()
                    ));
                }
                notes.push(format!(
                    "saved {} cookies to {} (Netscape format: yt-dlp --cookies, curl -b)",
                    session.cookies.len(),
                    path.display()
                ));
                files.push((
                    path.clone(),
                    saved::text_of(&session, SessionFormat::Netscape).into_bytes(),
                ));
            }
            Err(e) => {
                // Cannot happen for a confirmed login (it has SESSDATA); the JSON and the header still go out.
                crate::tell(&format!(
                    "warning: {} was not written: {}",
                    path.display(),
                    e.message()
                ));
            }
        }
    }
    if let Some(path) = &args.session {
        files.push((
            path.clone(),
            session_json(&result, &base_host)?.into_bytes(),
        ));
        notes.push(format!(
            "saved the session (JSON session object) to {}",
            path.display()
        ));
    }
    if let Some(path) = &args.json {
        let mut json = result.to_json();
        json.push('\n');
        files.push((path.clone(), json.into_bytes()));
        notes.push(format!("saved the login as JSON to {}", path.display()));
    }
    output::write_all(files).map_err(|message| Failure {
        code: EXIT_LOCAL,
        message: format!("logged in, but {message}; nothing was saved"),
    })?;
    if let Some(store) = &args.store {
        match Session::parse(&result.to_json()) {
            Ok(mut session) => {
                session.host = base_host.clone();
                crate::store::write(store, &session).map_err(|message| Failure {
                    code: EXIT_LOCAL,
                    message: format!("logged in, but the session was not saved: {message}"),
                })?;
                notes.push(format!(
                    "saved the session ({} cookies) to {store}",
                    session.cookies.len()
                ));
            }
            Err(e) => {
                return Err(Failure {
                    code: EXIT_LOCAL,
                    message: format!(
                        "logged in, but the session was not saved to {store}: {}",
                        e.message()
                    ),
                })
            }
        }
    }
    for n in notes {
        ui.line(&n);
    }
    if args.print_header {
        let mut out = io::stdout().lock();
        writeln!(out, "{}", login.cookie_header)
            .and_then(|()| out.flush())
            .map_err(|e| Failure {
                code: EXIT_LOCAL,
                message: format!("cannot write the Cookie header to standard output: {e}"),
            })?;
    }
    drop(demo_server);
    Ok(())
}

/// `--tv`: the TV login is a bilibili.com flow (`site` main, `flow` tv), and its token is kept only by the
/// JSON outputs.
fn tv_options(args: &LoginArgs, net: &mut crate::args::NetArgs) -> Result<(), Failure> {
    if net.get_str("site") == Some("intl") {
        return Err(usage(
            "--tv is the bilibili.com TV login: not with --site intl".to_owned(),
        ));
    }
    if args.cookies.is_some() && args.session.is_none() && args.json.is_none() {
        return Err(usage(
            "--tv: a cookies.txt cannot hold the TV token; add --session FILE (the JSON session that check and refresh read)".to_owned(),
        ));
    }
    net.set("site", "main");
    net.extra.flow = Some("tv".to_owned());
    Ok(())
}

/// An options error of `--tv` from a library without the TV login (it does not know the key `flow`).
fn tv_unknown(net: &crate::args::NetArgs, message: String) -> String {
    if net.extra.flow.is_some() && message.contains("unknown option \"flow\"") {
        "--tv: this bili_qr library has no TV login (it does not know the option flow)".to_owned()
    } else {
        message
    }
}

/// The session object (JSON, with a line break) of a confirmed login, host-only cookies for `host`.
fn session_json(result: &PollResult, host: &str) -> Result<String, Failure> {
    let mut session = Session::parse(&result.to_json()).map_err(|e| Failure {
        code: EXIT_LOCAL,
        message: format!(
            "logged in, but the session object could not be made: {}; nothing was saved",
            e.message()
        ),
    })?;
    session.host = host.to_owned();
    Ok(saved::text_of(&session, SessionFormat::Json))
}
