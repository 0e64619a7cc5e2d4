//! Limits on a response head, checked as its bytes arrive, so a head over a limit fails at once
//! (`BILI_QR_ERR_PROTOCOL`, naming the limit) instead of timing out or passing as "not valid HTTP/1.1".
//!
//! The HTTP stack (ureq-proto) parses at most 128 header lines (`MAX_RESPONSE_HEADERS`, a constant a
//! caller cannot raise) and treats more as a malformed answer. A real answer can carry more (a CDN adds its
//! own), so [`HeadGuard`], the outermost transport of every connection, reads each response head line by
//! line before ureq sees it:
//! - a header line longer than [`MAX_LINE`] bytes, or more than [`MAX_LINES`] header lines: an error at once;
//! - header lines the library never reads (anything but [`KEPT`]) are dropped, so up to [`MAX_LINES`]
//!   headers pass; more than [`MAX_KEPT`] of the kept kind (e.g. 200 `Set-Cookie` lines) is an error;
//! - a head of more than [`MAX_RAW_HEAD`] bytes as sent: an error at once; what is kept is also bounded by
//!   ureq's `max_response_header_size` (`pool::MAX_HEAD_BYTES`).
//!
//! The guard wraps the connection that carries requests (direct, through a SOCKS proxy, or TLS inside an
//! HTTP CONNECT tunnel), never the hop to the CONNECT proxy itself: see [`HeadGuardConnector`].
//!
//! This transport has buffers of its own (`super::buf`, allocated zeroed on first use): the input (8 KiB,
//! grown up to 64 KiB when a head or body needs it), which ureq parses, and the output ([`FIRST_OUTPUT`], then
//! [`OUTPUT_BUFFER`] once a request head takes more than one write), which ureq writes requests into and which
//! goes to the layer below in pieces of that layer's small output buffer.
//!
//! Bodies pass through untouched. A new head is expected after each request sent on the connection; a
//! `1xx` head is followed by another head.

use super::buf::{InputBuf, LayerBuffers, OutputBuf};
use std::fmt;
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, Either, NextTimeout, Transport,
};

/// The longest header line (or status line) accepted, in bytes.
pub(crate) const MAX_LINE: usize = 16 * 1024;
/// This transport's input buffer: what ureq parses (a kept head is at most `pool::MAX_HEAD_BYTES`) and
/// body bytes on their way through.
const INPUT_BUFFER: usize = 64 * 1024;
/// The largest response head as sent (all its lines, dropped ones included).
pub(crate) const MAX_RAW_HEAD: usize = 256 * 1024;
/// The most header lines a response head may have.
pub(crate) const MAX_LINES: usize = 512;
/// The most header lines of the kinds in [`KEPT`]: ureq-proto parses at most 128 in all.
pub(crate) const MAX_KEPT: usize = 120;
/// The headers that the library or the HTTP stack reads; others are dropped before parsing.
const KEPT: [&str; 11] = [
    "set-cookie",
    "location",
    "retry-after",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "content-type",
    "content-encoding",
    "proxy-connection",
    "upgrade",
];

/// A response head over one of the limits; carried inside an `io::Error` out of the connection.
#[derive(Debug)]
pub struct HeadLimit(pub String);

impl fmt::Display for HeadLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for HeadLimit {}

fn limit_error(what: String) -> ureq::Error {
    ureq::Error::Io(std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        HeadLimit(what),
    ))
}

/// Wraps every connection of an agent that carries requests in a [`HeadGuard`]; the hop to an HTTP CONNECT
/// proxy is left bare.
///
/// ureq opens the connection to a CONNECT proxy by running the agent's whole connector chain again (with
/// the proxy's URI and a copy of the config without the proxy), so this connector also sees that hop. A
/// guard there would read the tunnel's bytes (the TLS handshake with the target) as a response head and
/// hold them back: the request then hangs until its timeout. The tunnelled connection (TLS over the
/// tunnel) is wrapped like a direct one, so the answers of the target are checked all the same; the
/// proxy's own answer to CONNECT is parsed by ureq (at most 20 headers, within the connection's input
/// buffer).
#[derive(Default)]
pub struct HeadGuardConnector {
    /// The URI of the agent's HTTP CONNECT proxy (`http://` or `https://`), if it has one. It can hold the
    /// proxy's user name and password: never printed (see the `Debug` below).
    connect_proxy: Option<ureq::http::Uri>,
}

impl fmt::Debug for HeadGuardConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HeadGuardConnector")
            .field("connect_proxy", &self.connect_proxy.is_some())
            .finish()
    }
}

impl HeadGuardConnector {
    /// For an agent that goes through `proxy` (`None`: direct).
    pub fn new(proxy: Option<&ureq::Proxy>) -> Self {
        let connect_proxy = proxy
            .filter(|p| {
                matches!(
                    p.protocol(),
                    ureq::ProxyProtocol::Http | ureq::ProxyProtocol::Https
                )
            })
            .map(|p| p.uri().clone());
        HeadGuardConnector { connect_proxy }
    }

    /// Whether `details` are ureq's connection to the CONNECT proxy itself: the proxy's URI, with the
    /// proxy taken out of the config (a request's own connection, even one the no-proxy rules send
    /// direct, keeps the agent's proxy in its config, or has no proxy and another URI).
    fn is_proxy_hop(&self, details: &ConnectionDetails) -> bool {
        self.connect_proxy
            .as_ref()
            .is_some_and(|uri| details.config.proxy().is_none() && details.uri == uri)
    }
}

impl Connector<Box<dyn Transport>> for HeadGuardConnector {
    /// `A`: a guarded connection; `B`: the bare connection to a CONNECT proxy.
    type Out = Either<HeadGuard, Box<dyn Transport>>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<Box<dyn Transport>>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        if self.is_proxy_hop(details) {
            return Ok(chained.map(Either::B));
        }
        Ok(chained.map(|inner| {
            Either::A(HeadGuard {
                inner,
                // Input only: requests are written straight into the inner transport's output buffer.
                buffers: LayerBuffers {
                    input: InputBuf::new(INPUT_BUFFER),
                    output: OutputBuf::starting_at(FIRST_OUTPUT, OUTPUT_BUFFER),
                },
                state: Filter::default(),
                io_since_check: false,
            })
        }))
    }
}

/// The time left of a request, rounded down to a multiple of 10 ms for the socket below. The TCP transport
/// sets `SO_SNDTIMEO`/`SO_RCVTIMEO` (a `setsockopt` each) whenever the value differs from the last one, and
/// the exact time left of a deadline differs at every request; rounded, it is the same from one poll to the
/// next, and no `setsockopt` is made. Never later than the deadline; at most 10 ms earlier, and never
/// rounded to nothing (under 20 ms it is kept as is).
fn coarse(mut timeout: NextTimeout) -> NextTimeout {
    use ureq::unversioned::transport::time::Duration as UreqDuration;
    const STEP_MS: u128 = 10;
    if let UreqDuration::Exact(d) = timeout.after {
        let ms = d.as_millis();
        if ms >= 2 * STEP_MS {
            let rounded = u64::try_from(ms - ms % STEP_MS).unwrap_or(u64::MAX);
            timeout.after = UreqDuration::Exact(std::time::Duration::from_millis(rounded));
        }
    }
    timeout
}

/// The largest request head (or part of a body) ureq can write at once: the head guard's output buffer,
/// which it hands to the layer below in pieces of that layer's own output buffer (`pool::LAYER_OUTPUT_BUFFER`,
/// small: a request is one piece). A large `Cookie` header fits.
pub(crate) const OUTPUT_BUFFER: usize = 64 * 1024;
/// The output buffer's first size: the longest request line (a URL is at most `url::MAX_URL_LEN`) and room to
/// spare. ureq-proto writes a request head a whole line at a time and fails only a write into which not even
/// one line fits; a head that did not end in its first write (a line longer than what was left) makes the
/// buffer [`OUTPUT_BUFFER`] before the next write. A poll's head is one write: only these pages are touched.
const FIRST_OUTPUT: usize = crate::url::MAX_URL_LEN + 1024;

/// A transport that checks and filters response heads; see the module documentation.
#[derive(Debug)]
pub struct HeadGuard {
    inner: Box<dyn Transport>,
    /// This transport's own input (what ureq parses) and output (what ureq writes requests into).
    buffers: LayerBuffers,
    state: Filter,
    /// Bytes went out or came in since the last liveness check (see `is_open`).
    io_since_check: bool,
}

#[derive(Debug, Default, Clone)]
struct Filter {
    /// In a head (after a request was sent, until the blank line ending a final response's head).
    in_head: bool,
    /// No line of this head read yet (the next one is the status line).
    at_status: bool,
    /// This head is a 1xx answer: another head follows it.
    informational: bool,
    lines: usize,
    kept: usize,
    /// Bytes of this head so far.
    bytes: usize,
    /// Whether the previous header line was kept (a continuation line follows its decision).
    keep_previous: bool,
}

impl Filter {
    fn start(&mut self) {
        *self = Filter {
            in_head: true,
            at_status: true,
            ..Filter::default()
        };
    }

    /// Decides on one complete line (with its line end): keep it or drop it.
    fn line(&mut self, line: &[u8]) -> Result<bool, ureq::Error> {
        self.bytes += line.len();
        if self.bytes > MAX_RAW_HEAD {
            return Err(limit_error(format!(
                "has a response head larger than {} KiB (the header size limit)",
                MAX_RAW_HEAD / 1024
            )));
        }
        if self.at_status {
            self.at_status = false;
            self.informational = line.get(9) == Some(&b'1') && line.starts_with(b"HTTP/");
            return Ok(true);
        }
        if line == b"\r\n" || line == b"\n" {
            if self.informational {
                self.start();
            } else {
                self.in_head = false;
            }
            return Ok(true);
        }
        self.lines += 1;
        if self.lines > MAX_LINES {
            return Err(limit_error(format!(
                "has more than {MAX_LINES} header lines (the header count limit)"
            )));
        }
        let keep = if line.first().is_some_and(|b| *b == b' ' || *b == b'\t') {
            self.keep_previous
        } else {
            let name = match line.iter().position(|b| *b == b':') {
                Some(colon) => line.get(..colon).unwrap_or(line),
                None => line,
            };
            KEPT.iter().any(|k| k.as_bytes().eq_ignore_ascii_case(name))
        };
        self.keep_previous = keep;
        if keep {
            self.kept += 1;
            if self.kept > MAX_KEPT {
                return Err(limit_error(format!(
                    "has more than {MAX_KEPT} Set-Cookie, Location and framing header lines (the limit of what the HTTP stack parses)"
                )));
            }
        }
        Ok(keep)
    }
}

/// The position of the first `\n` in `bytes`, eight bytes at a time (a head is scanned for line ends as
/// it arrives, every byte of every answer's head).
fn find_newline(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    const NEWLINES: u64 = u64::from_ne_bytes([b'\n'; 8]);
    let mut chunks = bytes.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        // A zero byte in `x` (a `\n` in the chunk) sets its high bit here (the classic "has zero byte").
        let x = u64::from_ne_bytes(word) ^ NEWLINES;
        if x.wrapping_sub(ONES) & !x & HIGHS != 0 {
            break;
        }
        at += 8;
    }
    let tail = bytes.get(at..).unwrap_or(&[]);
    tail.iter().position(|b| *b == b'\n').map(|i| at + i)
}

impl HeadGuard {
    /// Moves what the inner transport has read into this transport's buffer, a head line at a time.
    /// Returns whether anything was consumed from the inner transport. Every line already read is decided
    /// in one pass over the inner buffer, which is consumed (and this buffer extended) once at the end.
    fn pump(&mut self) -> Result<bool, ureq::Error> {
        let input = self.inner.buffers().input();
        if input.is_empty() {
            return Ok(false);
        }
        // Room for all of it (the buffer grows up to its size): a head line that does not fit then means
        // the kept head is over the size, and body bytes go up in one copy.
        let free = self.buffers.input.free_for(input.len());
        // Bytes taken from `input`, and written to `free`.
        let (mut read, mut written) = (0usize, 0usize);
        let result = loop {
            let rest = input.get(read..).unwrap_or(&[]);
            let room = free.get_mut(written..).unwrap_or(&mut []);
            if rest.is_empty() {
                break Ok(());
            }
            if !self.state.in_head {
                let n = rest.len().min(room.len());
                if n == 0 {
                    break Ok(());
                }
                if let (Some(dst), Some(src)) = (room.get_mut(..n), rest.get(..n)) {
                    dst.copy_from_slice(src);
                }
                read += n;
                written += n;
                continue;
            }
            let Some(end) = find_newline(rest) else {
                if rest.len() > MAX_LINE {
                    break Err(limit_error(format!(
                        "has a header line longer than {} KiB (the header line limit)",
                        MAX_LINE / 1024
                    )));
                }
                break Ok(());
            };
            let len = end + 1;
            if len > MAX_LINE + 2 {
                break Err(limit_error(format!(
                    "has a header line longer than {} KiB (the header line limit)",
                    MAX_LINE / 1024
                )));
            }
            let (line, _) = rest.split_at(len);
            // Decide before copying, but only take the line once it fits.
            let mut probe = self.state.clone();
            let keep = match probe.line(line) {
                Ok(keep) => keep,
                Err(e) => break Err(e),
            };
            if keep {
                // ureq parses a head only once it is whole in this buffer: a kept line that does not fit
                // can never be parsed.
                let Some(dst) = room.get_mut(..len) else {
                    break Err(limit_error(format!(
                        "has more than {} KiB of the header lines the library reads (the header size limit)",
                        INPUT_BUFFER / 1024
                    )));
                };
                dst.copy_from_slice(line);
                written += len;
            }
            self.state = probe;
            read += len;
        };
        self.buffers.input.appended(written);
        self.inner.buffers().input_consume(read);
        result.map(|()| read > 0)
    }
}

impl Transport for HeadGuard {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        // A request (or a part of one) goes out: the next bytes in are a new response head.
        self.state.start();
        self.io_since_check = true;
        let timeout = coarse(timeout);
        // In pieces of the inner layer's output buffer (one piece for any ordinary request).
        let mut sent = 0;
        while sent < amount {
            let rest = self.buffers.output.get().get(sent..amount).unwrap_or(&[]);
            let room = self.inner.buffers().output();
            let n = rest.len().min(room.len());
            match (room.get_mut(..n), rest.get(..n)) {
                (Some(dst), Some(src)) if n > 0 => dst.copy_from_slice(src),
                _ => {
                    return Err(ureq::Error::Io(std::io::Error::other(
                        "the connection has no output buffer",
                    )))
                }
            }
            self.inner.transmit_output(n, timeout)?;
            sent += n;
        }
        // A head not ended by this write goes on in the next one, whose first line may be longer than this
        // buffer's first size (a body part that is not a head's end also lands here: harmless).
        let ended = self
            .buffers
            .output
            .get()
            .get(..amount)
            .is_some_and(|sent| sent.ends_with(b"\r\n\r\n"));
        if !ended {
            self.buffers.output.grow_to_full_size();
        }
        Ok(())
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        // Bytes already read below (left when this buffer was full) come first.
        if self.pump()? {
            return Ok(true);
        }
        self.io_since_check = true;
        let progress = self.inner.await_input(coarse(timeout))?;
        // Lines dropped or a partial line count as progress: ureq asks again with its own timeout.
        let pumped = self.pump()?;
        Ok(progress || pumped)
    }

    fn is_open(&mut self) -> bool {
        // Bytes read below but not yet handed up are bytes after the answer: not reusable (ureq checks
        // this transport's own buffer, as it does for a bare connection).
        if !self.inner.buffers().input().is_empty() {
            return false;
        }
        // ureq asks twice per request: when it puts the connection back in the pool, right after the
        // answer was read, and when it takes it out for the next request. The socket probe (`super::tcp`:
        // one non-blocking peek on Unix) is made at the second only, just before the connection is used;
        // bytes the server sent after the answer, or its close, are still found there.
        if std::mem::take(&mut self.io_since_check) {
            return true;
        }
        self.inner.is_open()
    }

    fn is_tls(&self) -> bool {
        self.inner.is_tls()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A layer below the guard with a tiny output buffer, recording what it is given to send.
    #[derive(Debug)]
    struct Recorder {
        out: [u8; 7],
        sent: Vec<u8>,
        pieces: usize,
    }

    impl Buffers for Recorder {
        fn output(&mut self) -> &mut [u8] {
            &mut self.out
        }
        fn input(&self) -> &[u8] {
            &[]
        }
        fn input_append_buf(&mut self) -> &mut [u8] {
            &mut []
        }
        fn input_appended(&mut self, _: usize) {}
        fn input_consume(&mut self, _: usize) {}
        fn tmp_and_output(&mut self) -> (&mut [u8], &mut [u8]) {
            (&mut [], &mut self.out)
        }
        fn can_use_input(&self) -> bool {
            false
        }
    }

    impl Transport for Recorder {
        fn buffers(&mut self) -> &mut dyn Buffers {
            self
        }
        fn transmit_output(&mut self, amount: usize, _: NextTimeout) -> Result<(), ureq::Error> {
            self.sent.extend_from_slice(&self.out[..amount]);
            self.pieces += 1;
            Ok(())
        }
        fn await_input(&mut self, _: NextTimeout) -> Result<bool, ureq::Error> {
            Ok(false)
        }
        fn is_open(&mut self) -> bool {
            true
        }
    }

    #[test]
    fn a_request_goes_to_the_layer_below_whole_in_pieces_of_its_buffer() {
        let recorder = Recorder {
            out: [0; 7],
            sent: Vec::new(),
            pieces: 0,
        };
        let mut guard = HeadGuard {
            inner: Box::new(recorder),
            buffers: LayerBuffers {
                input: InputBuf::new(INPUT_BUFFER),
                output: OutputBuf::starting_at(FIRST_OUTPUT, OUTPUT_BUFFER),
            },
            state: Filter::default(),
            io_since_check: false,
        };
        let request = b"GET / HTTP/1.1\r\nCookie: a=1; b=2\r\n\r\n";
        assert_eq!(guard.buffers().output().len(), FIRST_OUTPUT);
        guard.buffers().output()[..request.len()].copy_from_slice(request);
        let timeout = NextTimeout {
            after: ureq::unversioned::transport::time::Duration::NotHappening,
            reason: ureq::Timeout::Global,
            per_read: None,
            per_write: None,
        };
        guard.transmit_output(request.len(), timeout).unwrap();
        // Whole, in order, in pieces of at most the 7 bytes below.
        let debug = format!("{:?}", guard.inner);
        assert!(
            debug.contains(&format!("pieces: {}", request.len().div_ceil(7))),
            "{debug}"
        );
        let expected: Vec<String> = request.iter().map(|b| b.to_string()).collect();
        assert!(
            debug.contains(&format!("sent: [{}]", expected.join(", "))),
            "{debug}"
        );
        // The guard's own buffers show their sizes, never the bytes of a request.
        let shown = format!("{guard:?}");
        assert!(
            shown.contains(&format!(
                "output: OutputBuf {{ capacity: {FIRST_OUTPUT}, size: {OUTPUT_BUFFER} }}"
            )),
            "a whole head in one write leaves the output at its first size: {shown}"
        );
        assert_eq!(
            shown.matches("97, 61, 49").count(),
            1,
            "only the recorder's copy: {shown}"
        );
        // A head that goes on past a write (its next line did not fit): the next write has the full size.
        let part = b"GET / HTTP/1.1\r\n";
        guard.buffers().output()[..part.len()].copy_from_slice(part);
        guard.transmit_output(part.len(), timeout).unwrap();
        assert_eq!(guard.buffers().output().len(), OUTPUT_BUFFER);
    }

    #[test]
    fn socket_timeouts_are_rounded_down_to_10_ms_and_never_to_nothing() {
        use std::time::Duration as D;
        use ureq::unversioned::transport::time::Duration as U;
        let after = |d: U| {
            coarse(NextTimeout {
                after: d,
                reason: ureq::Timeout::Global,
                per_read: None,
                per_write: None,
            })
            .after
        };
        let exact = |ms: u64, us: u64| U::Exact(D::from_millis(ms) + D::from_micros(us));
        // Two polls a few microseconds apart hand the socket the same value.
        assert_eq!(after(exact(9_999, 990)), U::Exact(D::from_millis(9_990)));
        assert_eq!(after(exact(9_999, 30)), U::Exact(D::from_millis(9_990)));
        assert_eq!(after(exact(20, 5)), U::Exact(D::from_millis(20)));
        // Under 20 ms the time left is kept as it is (rounding could make it zero, an immediate timeout).
        assert_eq!(after(exact(19, 999)), exact(19, 999));
        assert_eq!(after(exact(0, 7)), exact(0, 7));
        assert_eq!(after(U::NotHappening), U::NotHappening);
    }

    #[test]
    fn newlines_are_found_wherever_they_are() {
        for len in 0..40 {
            for at in 0..len {
                let mut bytes = vec![b'a'; len];
                bytes[at] = b'\n';
                if at + 3 < len {
                    bytes[at + 3] = b'\n';
                }
                // Bytes near a newline's value must not be taken for it.
                for (i, b) in bytes.iter_mut().enumerate() {
                    if *b != b'\n' && i % 3 == 0 {
                        *b = [0x0b, 0x09, 0x8a, 0xff, 0x00][i % 5];
                    }
                }
                assert_eq!(find_newline(&bytes), Some(at), "{len} {at}");
            }
            assert_eq!(find_newline(&vec![0x0b; len]), None);
        }
    }

    fn run(head: &str) -> Result<Vec<String>, String> {
        let mut f = Filter::default();
        f.start();
        let mut kept = Vec::new();
        for line in head.split_inclusive('\n') {
            if f.line(line.as_bytes()).map_err(|e| e.to_string())? {
                kept.push(line.trim_end().to_owned());
            }
        }
        Ok(kept)
    }

    #[test]
    fn drops_unread_headers_and_counts() {
        let mut head = String::from("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n");
        for i in 0..300 {
            head.push_str(&format!("X-Fake-{i}: {i}\r\n"));
        }
        head.push_str("Set-Cookie: a=1\r\n set-cookie-continuation\r\nX-Y: 1\r\n\tfolded\r\n\r\n");
        let kept = run(&head).unwrap();
        assert_eq!(
            kept,
            [
                "HTTP/1.1 200 OK",
                "Content-Length: 2",
                "Set-Cookie: a=1",
                " set-cookie-continuation",
                ""
            ]
        );
        let mut many = String::from("HTTP/1.1 200 OK\r\n");
        for i in 0..=MAX_LINES {
            many.push_str(&format!("X-{i}: 1\r\n"));
        }
        assert!(run(&many).unwrap_err().contains("header count limit"));
        let mut cookies = String::from("HTTP/1.1 200 OK\r\n");
        for i in 0..=MAX_KEPT {
            cookies.push_str(&format!("Set-Cookie: c{i}=1\r\n"));
        }
        assert!(run(&cookies).unwrap_err().contains("Set-Cookie"));
        let mut big = String::from("HTTP/1.1 200 OK\r\n");
        for i in 0..300 {
            big.push_str(&format!("X-{i}: {}\r\n", "b".repeat(1000)));
        }
        assert!(run(&big).unwrap_err().contains("header size limit"));
    }

    #[test]
    fn informational_heads_are_followed_by_another() {
        let kept = run("HTTP/1.1 100 Continue\r\nX-A: 1\r\n\r\nHTTP/1.1 200 OK\r\nX-B: 2\r\nLocation: /\r\n\r\n")
            .unwrap();
        assert_eq!(
            kept,
            [
                "HTTP/1.1 100 Continue",
                "",
                "HTTP/1.1 200 OK",
                "Location: /",
                ""
            ]
        );
    }
}
