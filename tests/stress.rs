//! Stress (bounded, loopback only; `#[ignore]`: run by tests/suites/80-stress.sh, or
//! `cargo test --release --test stress -- --ignored --nocapture`).
//!
//! 16 threads mix start, poll, wait (short), cancel and render through the C ABI against the in-process fake
//! server, each network call with a fault picked at random from PROTOCOL.md's list (or none), in a scenario of
//! its own (`id=`), sometimes transient (`times=1`). Asserts: no panic (BILI_QR_ERR_INTERNAL included), no
//! deadlock (a watchdog ends the process if no call completes for 30 s), every status is a documented one and
//! one the fault can produce (fault=412 -> -4, api-352 -> -6, ...), and resident memory after the run is within
//! 2 MiB of where it settled after the warm-up.
//!
//! BILI_QR_STRESS_SECS: the measured run (default 60); BILI_QR_STRESS_WARMUP_SECS: the warm-up (default 10).

use bili_qr::ffi::*;
use bili_qr_fake_server::FakeServer;
use serde_json::{json, Value};
use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::BTreeMap;
use std::ffi::c_int;
use std::ffi::{c_char, CStr, CString};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// Counts the live heap bytes of this process, to tell a leak (live bytes grow) from allocator
/// fragmentation (only the resident size grows) in the report.
struct Counting;

static LIVE: AtomicI64 = AtomicI64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            LIVE.fetch_add(layout.size() as i64, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as i64, Ordering::Relaxed);
        System.dealloc(ptr, layout)
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(layout);
        if !p.is_null() {
            LIVE.fetch_add(layout.size() as i64, Ordering::Relaxed);
        }
        p
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            LIVE.fetch_add(new_size as i64 - layout.size() as i64, Ordering::Relaxed);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const THREADS: usize = 16;
const WATCHDOG: Duration = Duration::from_secs(30);
const MAX_GROWTH: i64 = 2 << 20;
/// Live heap bytes may differ by what idle pooled connections and in-flight bookkeeping hold.
const MAX_LIVE_GROWTH: i64 = 1 << 20;

const OK: c_int = BILI_QR_OK;
const HTTP: c_int = BILI_QR_ERR_HTTP;
const API: c_int = BILI_QR_ERR_API;
const PROTOCOL: c_int = BILI_QR_ERR_PROTOCOL;
const NETWORK: c_int = BILI_QR_ERR_NETWORK;
const TIMEOUT: c_int = BILI_QR_ERR_TIMEOUT;

/// The fault modes and what a request hitting them ends in (`None`: it answers normally for that endpoint).
/// `transient`: wait retries it (network errors, timeouts, HTTP 5xx).
struct Fault {
    name: &'static str,
    url: Option<&'static [c_int]>,
    fetch: Option<&'static [c_int]>,
    transient: bool,
}

const FAULTS: &[Fault] = &[
    Fault {
        name: "412",
        url: Some(&[HTTP]),
        fetch: Some(&[HTTP]),
        transient: false,
    },
    Fault {
        name: "404",
        url: Some(&[HTTP]),
        fetch: Some(&[HTTP]),
        transient: false,
    },
    Fault {
        name: "500",
        url: Some(&[HTTP]),
        fetch: Some(&[HTTP]),
        transient: true,
    },
    Fault {
        name: "502",
        url: Some(&[HTTP]),
        fetch: Some(&[HTTP]),
        transient: true,
    },
    Fault {
        name: "503",
        url: Some(&[HTTP]),
        fetch: Some(&[HTTP]),
        transient: true,
    },
    Fault {
        name: "api-412",
        url: Some(&[API]),
        fetch: Some(&[API]),
        transient: false,
    },
    Fault {
        name: "api-352",
        url: Some(&[API]),
        fetch: Some(&[API]),
        transient: false,
    },
    Fault {
        name: "api-400",
        url: Some(&[API]),
        fetch: Some(&[API]),
        transient: false,
    },
    Fault {
        name: "api-799",
        url: Some(&[API]),
        fetch: Some(&[API]),
        transient: false,
    },
    // delay=400 with timeout_ms=200 (set below).
    Fault {
        name: "slow",
        url: Some(&[TIMEOUT]),
        fetch: Some(&[TIMEOUT]),
        transient: true,
    },
    Fault {
        name: "truncated",
        url: Some(&[NETWORK, PROTOCOL, TIMEOUT]),
        fetch: Some(&[NETWORK, PROTOCOL, TIMEOUT]),
        transient: true,
    },
    Fault {
        name: "huge",
        url: Some(&[PROTOCOL]),
        fetch: Some(&[PROTOCOL]),
        transient: false,
    },
    Fault {
        name: "huge-chunked",
        url: Some(&[PROTOCOL]),
        fetch: Some(&[PROTOCOL]),
        transient: false,
    },
    Fault {
        name: "notjson",
        url: Some(&[PROTOCOL]),
        fetch: Some(&[PROTOCOL]),
        transient: false,
    },
    Fault {
        name: "empty",
        url: Some(&[PROTOCOL]),
        fetch: Some(&[PROTOCOL]),
        transient: false,
    },
    Fault {
        name: "badtypes",
        // A string code is accepted: the url answer is a QR code.
        url: Some(&[OK]),
        fetch: Some(&[PROTOCOL]),
        transient: false,
    },
    Fault {
        name: "missing",
        url: Some(&[PROTOCOL]),
        fetch: Some(&[PROTOCOL]),
        transient: false,
    },
    Fault {
        name: "noticket",
        url: Some(&[PROTOCOL]),
        fetch: None,
        transient: false,
    },
    // Only a confirmed answer is affected: ERR_PROTOCOL instead of OK.
    Fault {
        name: "nocookies",
        url: None,
        fetch: None,
        transient: false,
    },
    Fault {
        name: "partialcookies",
        url: None,
        fetch: None,
        transient: false,
    },
    Fault {
        name: "redirect",
        url: None,
        fetch: None,
        transient: false,
    },
    Fault {
        name: "redirect-loop",
        url: Some(&[NETWORK]),
        fetch: Some(&[NETWORK]),
        transient: true,
    },
    Fault {
        name: "redirect-foreign",
        url: Some(&[NETWORK]),
        fetch: Some(&[NETWORK]),
        transient: true,
    },
    Fault {
        name: "reset",
        url: Some(&[NETWORK]),
        fetch: Some(&[NETWORK]),
        transient: true,
    },
];

/// One finished call through the C ABI. (tests/common's wrappers keep every message and ticket for their
/// secret checks: unbounded here, so this test has its own.)
struct Outcome {
    status: c_int,
    out: Option<String>,
    error: String,
}

impl Outcome {
    fn json(&self) -> Value {
        serde_json::from_str(self.out.as_deref().expect("an out string")).expect("out is JSON")
    }
}

/// Checks the ABI's out-parameter and last-error rules, copies and releases the out string.
fn finish(status: c_int, out: *mut c_char, has_out: bool) -> Outcome {
    let error = unsafe { CStr::from_ptr(bili_qr_last_error()) }
        .to_str()
        .expect("UTF-8")
        .to_owned();
    let mut text = None;
    if has_out && status >= 0 {
        assert!(!out.is_null(), "status {status} without *out");
        text = Some(
            unsafe { CStr::from_ptr(out) }
                .to_str()
                .expect("UTF-8")
                .to_owned(),
        );
        unsafe { bili_qr_free(out) };
    } else if has_out {
        assert!(out.is_null(), "status {status}: *out must stay NULL");
    }
    if status < 0 {
        assert!(
            !error.is_empty() && !error.contains('\n'),
            "status {status}: bad message {error:?}"
        );
    } else {
        assert_eq!(error, "", "status {status}: the last error must be cleared");
    }
    Outcome {
        status,
        out: text,
        error,
    }
}

fn c(s: &str) -> CString {
    CString::new(s).expect("no NUL")
}

fn call(f: impl FnOnce(*mut *mut c_char) -> c_int) -> Outcome {
    let mut out: *mut c_char = 0x10 as *mut c_char;
    let status = f(&mut out);
    finish(status, out, true)
}

fn start(opts: Option<&str>) -> Outcome {
    let o = opts.map(c);
    call(|out| unsafe { bili_qr_start(o.as_ref().map_or(std::ptr::null(), |o| o.as_ptr()), out) })
}

fn poll(ticket: &str, opts: Option<&str>) -> Outcome {
    let (t, o) = (c(ticket), opts.map(c));
    call(|out| unsafe {
        bili_qr_poll(
            t.as_ptr(),
            o.as_ref().map_or(std::ptr::null(), |o| o.as_ptr()),
            out,
        )
    })
}

fn wait(ticket: &str, opts: Option<&str>) -> Outcome {
    let (t, o) = (c(ticket), opts.map(c));
    let o = o.as_ref().map_or(std::ptr::null(), |o| o.as_ptr());
    call(|out| unsafe { bili_qr_wait(t.as_ptr(), o, None, std::ptr::null_mut(), out) })
}

fn cancel(ticket: &str) -> Outcome {
    let t = c(ticket);
    let status = unsafe { bili_qr_cancel(t.as_ptr()) };
    finish(status, std::ptr::null_mut(), false)
}

fn render(text: &str, format: &str) -> Outcome {
    let (t, f) = (c(text), c(format));
    call(|out| unsafe { bili_qr_render(t.as_ptr(), f.as_ptr(), out) })
}

/// The fake server: the binary when the test runner names it (`BILI_QR_FAKE_SERVER`), so that its threads,
/// buffers and logs stay out of this process's resident memory; else in this process.
enum Server {
    InProcess(FakeServer),
    Binary {
        child: std::process::Child,
        base: String,
    },
}

impl Server {
    fn new() -> Server {
        let Some(path) = std::env::var_os("BILI_QR_FAKE_SERVER") else {
            eprintln!(
                "stress: fake server in this process (set BILI_QR_FAKE_SERVER to run it apart)"
            );
            return Server::InProcess(FakeServer::start());
        };
        let mut child = std::process::Command::new(&path)
            .args(["--watch-stdin", "--quiet"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("spawn BILI_QR_FAKE_SERVER");
        let mut first = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.take().expect("stdout")),
            &mut first,
        )
        .expect("the fake server's first line");
        let base = first
            .trim()
            .strip_prefix("listening ")
            .expect("listening URL")
            .to_owned();
        eprintln!(
            "stress: fake server {} at {base}",
            std::path::Path::new(&path).display()
        );
        Server::Binary { child, base }
    }

    fn url(&self, scenario: &str) -> String {
        match self {
            Server::InProcess(s) => s.url(scenario),
            Server::Binary { base, .. } => format!("{base}/s/{scenario}"),
        }
    }

    /// Clears the server's log, counters and ticket states (it keeps up to 10000 records and 200000 tickets).
    fn reset(&self) {
        match self {
            Server::InProcess(s) => s.reset(),
            Server::Binary { base, .. } => {
                ureq::post(format!("{base}/__reset"))
                    .send_empty()
                    .expect("POST /__reset");
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Server::Binary { child, .. } = self {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// xorshift64*: the test needs no crate for randomness.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn ticket(&mut self) -> String {
        format!("{:016x}{:016x}", self.next(), self.next())
    }
}

/// Resident bytes, and of them those backed by files (`/proc/self/statm` fields 2 and 3).
fn statm() -> (i64, i64) {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm");
    let f: Vec<i64> = statm
        .split_whitespace()
        .map(|x| x.parse().expect("a number"))
        .collect();
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as i64;
    (f[1] * page, f[2] * page)
}

fn rss_bytes() -> i64 {
    statm().0
}

fn mib(b: i64) -> String {
    format!("{:.2} MiB", b as f64 / (1 << 20) as f64)
}

/// What one finished call adds to the statistics.
#[derive(Default)]
struct Stats {
    calls: u64,
    by_status: BTreeMap<c_int, u64>,
    by_op: BTreeMap<&'static str, u64>,
}

struct Shared {
    srv: Server,
    /// Milliseconds since `t0` of the last completed call.
    last_done: AtomicU64,
    t0: Instant,
    paused: AtomicBool,
    /// Tickets some thread is waiting on now (for cancel).
    waiting: Mutex<Vec<String>>,
    stats: Mutex<Stats>,
    /// Panic messages of failed calls.
    failures: Mutex<Vec<String>>,
}

impl Shared {
    fn done(&self, op: &'static str, status: c_int) {
        self.last_done
            .store(self.t0.elapsed().as_millis() as u64, Ordering::SeqCst);
        let mut s = self.stats.lock().unwrap();
        s.calls += 1;
        *s.by_status.entry(status).or_default() += 1;
        *s.by_op.entry(op).or_default() += 1;
    }
}

/// The statuses a fault-free fetch answers for the first state of `flow`.
fn state_status(letter: char) -> c_int {
    match letter {
        'w' => BILI_QR_WAITING,
        's' => BILI_QR_SCANNED,
        'c' => BILI_QR_OK,
        _ => BILI_QR_EXPIRED,
    }
}

#[track_caller]
fn check(op: &str, scenario: &str, o: &Outcome, allowed: &[c_int]) {
    assert_ne!(
        o.status, BILI_QR_ERR_INTERNAL,
        "{op} {scenario}: a panic was caught: {}",
        o.error
    );
    assert!(
        (-8..=3).contains(&o.status),
        "{op} {scenario}: undocumented status {} ({})",
        o.status,
        o.error
    );
    assert!(
        allowed.contains(&o.status),
        "{op} {scenario}: status {} not one of {allowed:?} ({:?})",
        o.status,
        o.error
    );
}

fn worker(sh: &Shared, index: usize, rng: &mut Rng, calls: &mut u64) {
    *calls += 1;
    let n = *calls;
    let fault = if rng.chance(70) {
        Some(&FAULTS[rng.below(FAULTS.len())])
    } else {
        None
    };
    // `times=1` on a redirect loop is one redirect, then a normal answer: never combined.
    let transient = fault.is_some_and(|f| f.name != "redirect-loop") && rng.chance(25);
    let flows = ["w", "s", "c", "e", "wc", "sc", "wsc", "we", "ws", "swe"];
    let flow = flows[rng.below(flows.len())];
    let mut scenario = format!("id=st{index}-{n},flow={flow}");
    if let Some(f) = fault {
        scenario.push_str(&format!(",fault={},delay=400", f.name));
        if transient {
            scenario.push_str(",times=1");
        }
    }
    let base = sh.srv.url(&scenario);
    let timeout_ms = if fault.is_some_and(|f| f.name == "slow") {
        200
    } else {
        2000
    };
    let opts = json!({"base_url": base, "timeout_ms": timeout_ms, "poll_interval_ms": 100,
                      "wait_timeout_ms": 1000 + 500 * rng.below(3) as u64, "max_retries": 2})
    .to_string();
    let confirmed_fault = |f: &Fault| matches!(f.name, "nocookies" | "partialcookies");
    match rng.below(100) {
        0..=24 => {
            let o = start(Some(&opts));
            let mut allowed = vec![OK];
            if let Some(set) = fault.and_then(|f| f.url) {
                // The first request of a scenario always meets its fault, `times=1` or not.
                allowed = set.to_vec();
            }
            check("start", &scenario, &o, &allowed);
            if o.status == OK {
                let v = o.json();
                let t = v["ticket"].as_str().expect("ticket");
                assert!(v["qr_url"]
                    .as_str()
                    .expect("qr_url")
                    .ends_with(&format!("ticket={t}")));
            }
            sh.done("start", o.status);
        }
        25..=49 => {
            let ticket = rng.ticket();
            let o = poll(&ticket, Some(&opts));
            let normal = state_status(flow.chars().next().unwrap());
            let mut allowed = vec![normal];
            if let Some(f) = fault {
                if let Some(set) = f.fetch {
                    allowed = set.to_vec();
                } else if confirmed_fault(f) && normal == OK {
                    allowed = vec![PROTOCOL];
                    if transient {
                        allowed.push(OK);
                    }
                }
            }
            check("poll", &scenario, &o, &allowed);
            sh.done("poll", o.status);
        }
        50..=69 => {
            let ticket = rng.ticket();
            sh.waiting.lock().unwrap().push(ticket.clone());
            let o = wait(&ticket, Some(&opts));
            sh.waiting.lock().unwrap().retain(|t| *t != ticket);
            // A fault-free wait ends as the flow's last state: confirmed, expired, or the wait times out.
            let normal = match flow.chars().last().unwrap() {
                'c' => OK,
                'e' => BILI_QR_EXPIRED,
                _ => TIMEOUT,
            };
            let cancelled = BILI_QR_ERR_CANCELLED;
            let allowed: Vec<c_int> = match fault {
                None => vec![normal, cancelled],
                Some(f) => match f.fetch {
                    // Transient and only on the first request: retried, then the flow goes on.
                    // The answer given up on may have spent a confirmation: then the ticket is expired.
                    // On a busy machine the failed request and the retry pause can use up the 1-2 s wait.
                    Some(_) if transient && f.transient => {
                        vec![normal, BILI_QR_EXPIRED, TIMEOUT, cancelled]
                    }
                    // Transient on every request: retried up to max_retries, or the wait ends first.
                    Some(set) if f.transient => [set, &[TIMEOUT, cancelled]].concat(),
                    // Anything else ends the wait at once.
                    Some(set) => [set, &[cancelled]].concat(),
                    // A confirmation without the session cookies is a protocol error.
                    None if confirmed_fault(f) && normal == OK => {
                        if transient {
                            vec![PROTOCOL, OK, cancelled]
                        } else {
                            vec![PROTOCOL, cancelled]
                        }
                    }
                    None => vec![normal, cancelled],
                },
            };
            check("wait", &scenario, &o, &allowed);
            sh.done("wait", o.status);
        }
        70..=79 => {
            let target = {
                let w = sh.waiting.lock().unwrap();
                (!w.is_empty()).then(|| w[rng.below(w.len())].clone())
            };
            let (ticket, allowed): (String, &[c_int]) = match target {
                Some(t) if rng.chance(90) => (t, &[0, 1, 2, 3]),
                _ if rng.chance(50) => (rng.ticket(), &[0]),
                _ => ("not a ticket!".to_owned(), &[BILI_QR_ERR_ARGUMENT]),
            };
            let o = cancel(&ticket);
            check("cancel", "", &o, allowed);
            sh.done("cancel", o.status);
        }
        _ => {
            let len = 1 + rng.below(300);
            let text: String = (0..len)
                .map(|_| (b'!' + rng.below(94) as u8) as char)
                .collect();
            let formats = ["utf8", "svg", "matrix", "png"];
            let format = formats[rng.below(formats.len())];
            let o = render(&text, format);
            let expected = if format == "png" {
                BILI_QR_ERR_ARGUMENT
            } else {
                OK
            };
            check("render", format, &o, &[expected]);
            sh.done("render", o.status);
        }
    }
}

/// Touches 512 KiB of this thread's stack, so that its resident high-water mark is reached before the
/// warm-up ends rather than by whichever rare deep call comes later.
#[inline(never)]
fn touch_stack() {
    let mut block = [0u8; 512 * 1024];
    for i in (0..block.len()).step_by(4096) {
        block[i] = i as u8;
    }
    std::hint::black_box(&mut block);
}

fn env_secs(name: &str, default: u64) -> Duration {
    Duration::from_secs(
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default),
    )
}

#[test]
#[ignore = "long: run by tests/suites/80-stress.sh"]
fn sixteen_threads_with_random_faults_stay_bounded() {
    let warmup = env_secs("BILI_QR_STRESS_WARMUP_SECS", 10);
    let run = env_secs("BILI_QR_STRESS_SECS", 60);
    let sh = Arc::new(Shared {
        srv: Server::new(),
        last_done: AtomicU64::new(0),
        t0: Instant::now(),
        paused: AtomicBool::new(false),
        waiting: Mutex::new(Vec::new()),
        stats: Mutex::new(Stats::default()),
        failures: Mutex::new(Vec::new()),
    });
    let stop_watchdog = Arc::new(AtomicBool::new(false));
    let watchdog = {
        let sh = sh.clone();
        let stop = stop_watchdog.clone();
        thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                thread::sleep(Duration::from_millis(500));
                let idle = (sh.t0.elapsed().as_millis() as u64)
                    .saturating_sub(sh.last_done.load(Ordering::SeqCst));
                if !sh.paused.load(Ordering::SeqCst) && idle > WATCHDOG.as_millis() as u64 {
                    let s = sh.stats.lock().unwrap();
                    eprintln!(
                        "stress: DEADLOCK? no call completed for {} s (after {} calls; statuses {:?}); failing",
                        idle / 1000,
                        s.calls,
                        s.by_status
                    );
                    std::process::exit(101);
                }
            }
        })
    };
    // Phases: warm-up, (barrier: measure), run, (barrier: measure), exit.
    let barrier = Arc::new(Barrier::new(THREADS + 1));
    let warm_end = Instant::now() + warmup;
    let run_end = warm_end + run;
    let seed = sh.t0.elapsed().as_nanos() as u64 ^ 0x9E37_79B9_7F4A_7C15;
    let workers: Vec<_> = (0..THREADS)
        .map(|i| {
            let sh = sh.clone();
            let barrier = barrier.clone();
            thread::Builder::new()
                .name(format!("stress-{i}"))
                .spawn(move || {
                    let mut rng = Rng(seed.wrapping_add(i as u64 * 0x1000_0000_01B3) | 1);
                    let mut calls = 0;
                    touch_stack();
                    for end in [warm_end, run_end] {
                        while Instant::now() < end {
                            let call = std::panic::AssertUnwindSafe(|| {
                                worker(&sh, i, &mut rng, &mut calls)
                            });
                            if let Err(panic) = std::panic::catch_unwind(call) {
                                // Recorded, and the worker goes on, so that the phases' barriers still meet.
                                let text = panic
                                    .downcast_ref::<String>()
                                    .cloned()
                                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                                    .unwrap_or_default();
                                sh.failures.lock().unwrap().push(text);
                                sh.done("failed", -100);
                            }
                        }
                        barrier.wait(); // stopped: main measures
                        barrier.wait(); // measured: go on
                    }
                })
                .expect("spawn a worker")
        })
        .collect();
    let measure = |label: &str| -> (i64, i64) {
        barrier.wait();
        // Every worker is idle now (a stuck one never gets here, and the watchdog is still on).
        sh.paused.store(true, Ordering::SeqCst);
        // Clear the fake server's log and ticket states (bounded, but large), let idle
        // keep-alive connections be, and read the resident size.
        sh.srv.reset();
        thread::sleep(Duration::from_millis(300));
        // Free heap pages go back to the system first (glibc keeps them otherwise), so that the resident
        // size counts what is in use.
        unsafe { libc::malloc_trim(0) };
        let (rss, shared) = statm();
        let live = LIVE.load(Ordering::Relaxed);
        let calls = sh.stats.lock().unwrap().calls;
        eprintln!(
            "stress: {label}: {calls} calls, RSS {} (file-backed {}), live heap {}",
            mib(rss),
            mib(shared),
            mib(live)
        );
        sh.last_done
            .store(sh.t0.elapsed().as_millis() as u64, Ordering::SeqCst);
        sh.paused.store(false, Ordering::SeqCst);
        barrier.wait();
        (rss, live)
    };
    // While the workers run, the fake server's memory is kept bounded by a reset every 2 s.
    let reset_until = |end: Instant| {
        while Instant::now() + Duration::from_secs(2) < end {
            thread::sleep(Duration::from_secs(2));
            sh.srv.reset();
            let s = sh.stats.lock().unwrap();
            eprintln!(
                "stress: {} calls, RSS {}, live heap {}",
                s.calls,
                mib(rss_bytes()),
                mib(LIVE.load(Ordering::Relaxed))
            );
        }
    };
    reset_until(warm_end);
    let (settled, live_settled) = measure("after warm-up");
    reset_until(run_end);
    let (after, live_after) = measure("after the run");
    for w in workers {
        w.join().expect("a worker panicked");
    }
    stop_watchdog.store(true, Ordering::SeqCst);
    watchdog.join().expect("watchdog");
    let s = sh.stats.lock().unwrap();
    eprintln!(
        "stress: {} calls in {} s + {} s warm-up",
        s.calls,
        run.as_secs(),
        warmup.as_secs()
    );
    eprintln!("stress: calls by operation: {:?}", s.by_op);
    let named: Vec<String> = s
        .by_status
        .iter()
        .map(|(st, n)| {
            let name = unsafe { std::ffi::CStr::from_ptr(bili_qr_status_str(*st)) }
                .to_string_lossy()
                .into_owned();
            format!("{st} ({name}): {n}")
        })
        .collect();
    eprintln!("stress: statuses: {}", named.join(", "));
    eprintln!(
        "stress: RSS after warm-up {}, after the run {}, growth {}; live heap {} -> {}",
        mib(settled),
        mib(after),
        mib(after - settled),
        mib(live_settled),
        mib(live_after)
    );
    let failures = sh.failures.lock().unwrap();
    assert!(
        failures.is_empty(),
        "{} calls failed; the first ones:\n{}",
        failures.len(),
        failures
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        s.calls > 0 && s.by_op.len() == 6 - usize::from(failures.is_empty()),
        "every operation ran: {:?}",
        s.by_op
    );
    for st in [
        OK,
        BILI_QR_WAITING,
        HTTP,
        API,
        PROTOCOL,
        NETWORK,
        TIMEOUT,
        BILI_QR_ERR_CANCELLED,
    ] {
        assert!(
            s.by_status.contains_key(&st),
            "status {st} never seen: {:?}",
            s.by_status
        );
    }
    assert!(
        live_after - live_settled <= MAX_LIVE_GROWTH,
        "live heap grew by {} after the warm-up: a leak",
        mib(live_after - live_settled)
    );
    assert!(
        after - settled <= MAX_GROWTH,
        "resident memory grew by {} (more than 2 MiB) after the warm-up",
        mib(after - settled)
    );
}
