//! The TCP layer of every connection, in place of ureq's own (`ureq::unversioned::transport::TcpConnector`),
//! for two costs of ureq's that a poll and a cold start pay:
//! - **the liveness probe**: before a pooled connection is used again, ureq's TCP transport makes the socket
//!   non-blocking, reads one byte and makes it blocking again (3 syscalls at every poll). Here it is one
//!   `recv(MSG_PEEK | MSG_DONTWAIT)`: "would block" means open and idle; 0 (closed), a byte (stray bytes after
//!   the last answer) or an error means the connection is not reused. Windows has no `MSG_DONTWAIT`, so there
//!   the probe is ureq's three calls.
//! - **the buffers**: ureq grows its buffers a byte at a time (`Vec::resize`); these are allocated zeroed in
//!   one piece, on first use.
//!
//! Everything else is as ureq's: the addresses are tried in order, each with a share of the time left that
//! halves from one to the next (at least 10 ms); `TCP_NODELAY` as the agent's settings say; the socket's
//! read and write timeouts are set only when they change; a read interrupted by a signal is retried within the
//! time left; the socket is registered with the agent, so that `Agent::shutdown` interrupts blocked I/O.

use super::buf::{InputBuf, LayerBuffers, OutputBuf};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Weak};
use std::{fmt, time};
use ureq::unversioned::transport::time::{Duration, Instant};
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, Either, NextTimeout, ShutdownHandle, Transport,
};
use ureq::Timeout;

/// Connects TCP sockets, unless an earlier connector of the chain (SOCKS) already made the connection.
#[derive(Debug, Default)]
pub struct TcpConnector;

impl<In: Transport> Connector<In> for TcpConnector {
    type Out = Either<In, TcpTransport>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        if chained.is_some() {
            return Ok(chained.map(Either::A));
        }
        let stream = connect_any(details)?;
        let transport = TcpTransport {
            stream: Arc::new(stream),
            buffers: LayerBuffers {
                input: InputBuf::new(details.config.input_buffer_size()),
                output: OutputBuf::new(details.config.output_buffer_size()),
            },
            timeout_read: None,
            timeout_write: None,
        };
        let handle: Weak<dyn ShutdownHandle> = Arc::downgrade(&transport.stream) as Weak<_>;
        (details.register_shutdown)(handle)?;
        Ok(Some(Either::B(transport)))
    }
}

/// Tries the addresses in order; each gets a share of the time left (1, 1/2, 1/4, … of a series that sums to
/// the whole, at least 10 ms). A refused or unreachable address moves on to the next; so does an address
/// that timed out while time is left.
fn connect_any(details: &ConnectionDetails) -> Result<TcpStream, ureq::Error> {
    const MIN_PER_ADDRESS: time::Duration = time::Duration::from_millis(10);
    let addrs: &[SocketAddr] = &details.addrs;
    let total_weight = 2.0 * (1.0 - 0.5_f64.powi(i32::try_from(addrs.len()).unwrap_or(i32::MAX)));
    let mut weight = 1.0_f64;
    let mut last: Option<ureq::Error> = None;
    for addr in addrs {
        let per_address = details.timeout.not_zero().map(|t| {
            let secs = t.as_secs_f64() * weight / total_weight;
            time::Duration::try_from_secs_f64(secs)
                .unwrap_or(*t)
                .max(MIN_PER_ADDRESS)
        });
        let connected = match per_address {
            Some(limit) => TcpStream::connect_timeout(addr, limit),
            None => TcpStream::connect(addr),
        };
        match connected {
            Ok(stream) => {
                if details.config.no_delay() {
                    stream.set_nodelay(true)?;
                }
                return Ok(stream);
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
                ) =>
            {
                if elapsed(details) > details.timeout.after {
                    return Err(ureq::Error::Timeout(details.timeout.reason));
                }
                last = Some(ureq::Error::Timeout(Timeout::Connect));
            }
            Err(e) if address_specific(&e) => last = Some(ureq::Error::Io(e)),
            Err(e) => return Err(e.into()),
        }
        weight /= 2.0;
    }
    Err(last.unwrap_or_else(|| {
        ureq::Error::Io(io::Error::new(
            io::ErrorKind::ConnectionRefused,
            "Connection refused",
        ))
    }))
}

/// The time since the connection attempt started, on the agent's clock.
fn elapsed(details: &ConnectionDetails) -> Duration {
    match (details.current_time.as_ref()(), details.now) {
        (Instant::Exact(now), Instant::Exact(start)) => {
            Duration::Exact(now.saturating_duration_since(start))
        }
        (Instant::NotHappening, _) => Duration::NotHappening,
        _ => Duration::Exact(time::Duration::ZERO),
    }
}

/// A connect error that concerns this address only (the next one may still work).
fn address_specific(e: &io::Error) -> bool {
    // On Windows a VPN or firewall can refuse an address family with WSAEACCES (PermissionDenied).
    #[cfg(windows)]
    if e.raw_os_error() == Some(10013) {
        return true;
    }
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::HostUnreachable
            | io::ErrorKind::NetworkUnreachable
            | io::ErrorKind::NetworkDown
            | io::ErrorKind::AddrNotAvailable
    )
}

/// A connected TCP socket and its buffers.
pub struct TcpTransport {
    /// Shared (weakly) with the agent's shutdown handle; all I/O goes through `&TcpStream`.
    stream: Arc<TcpStream>,
    buffers: LayerBuffers,
    /// The socket's read and write timeouts as last set (`None`: none), so each is set only when it changes.
    timeout_read: Option<time::Duration>,
    timeout_write: Option<time::Duration>,
}

impl fmt::Debug for TcpTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpTransport")
            .field("peer", &self.stream.peer_addr().ok())
            .field("buffers", &self.buffers)
            .finish()
    }
}

/// Which way a socket call goes: its share of the timeout, and the socket timeout that bounds it.
#[derive(Clone, Copy)]
enum Way {
    Read,
    Write,
}

impl TcpTransport {
    /// The timeout of a call going `way`, and the time it may block, set as the socket's timeout of that way
    /// when it differs from what was set last (or a timeout error when no time is left).
    fn arm(
        &mut self,
        timeout: NextTimeout,
        way: Way,
    ) -> Result<(NextTimeout, Option<time::Duration>), ureq::Error> {
        let (timeout, last) = match way {
            Way::Read => (timeout.for_read(), &mut self.timeout_read),
            Way::Write => (timeout.for_write(), &mut self.timeout_write),
        };
        let left = time_left(timeout)?;
        if *last != left {
            match way {
                Way::Read => self.stream.set_read_timeout(left)?,
                Way::Write => self.stream.set_write_timeout(left)?,
            }
            *last = left;
        }
        Ok((timeout, left))
    }
}

/// The time a socket call may block, or a timeout error when none is left.
fn time_left(timeout: NextTimeout) -> Result<Option<time::Duration>, ureq::Error> {
    if timeout.after.is_zero() {
        return Err(ureq::Error::Timeout(timeout.reason));
    }
    Ok(timeout.not_zero().map(|d| *d))
}

/// An I/O error as ureq reports it: a socket timeout (`WouldBlock` on Unix, `TimedOut` on Windows) is the
/// timeout's reason.
fn io_error(e: io::Error, reason: Timeout) -> ureq::Error {
    match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => ureq::Error::Timeout(reason),
        _ => ureq::Error::Io(e),
    }
}

impl Transport for TcpTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        let (timeout, _) = self.arm(timeout, Way::Write)?;
        let output = self.buffers.output.get().get(..amount).unwrap_or(&[]);
        (&*self.stream)
            .write_all(output)
            .map_err(|e| io_error(e, timeout.reason))
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        let (timeout, left) = self.arm(timeout, Way::Read)?;
        let started = time::Instant::now();
        let input = self.buffers.input.free_mut();
        let amount = loop {
            match (&*self.stream).read(input) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                    // A signal: again, within the time left.
                    let Some(limit) = left else {
                        return Err(ureq::Error::Io(e));
                    };
                    let rest = limit.saturating_sub(started.elapsed());
                    if rest.is_zero() {
                        return Err(ureq::Error::Timeout(timeout.reason));
                    }
                    self.stream.set_read_timeout(Some(rest))?;
                    self.timeout_read = Some(rest);
                }
                result => break result.map_err(|e| io_error(e, timeout.reason))?,
            }
        };
        self.buffers.input.appended(amount);
        Ok(amount > 0)
    }

    fn is_open(&mut self) -> bool {
        probe(&self.stream)
    }
}

/// Whether an idle pooled connection can carry the next request: no byte waiting and not closed.
#[cfg(unix)]
fn probe(stream: &TcpStream) -> bool {
    use std::mem::MaybeUninit;
    let mut byte = [MaybeUninit::<u8>::uninit(); 1];
    let sock = socket2::SockRef::from(stream);
    match sock.recv_with_flags(&mut byte, libc::MSG_PEEK | libc::MSG_DONTWAIT) {
        Err(e) => e.kind() == io::ErrorKind::WouldBlock,
        // 0: closed by the server; 1: bytes nobody asked for.
        Ok(_) => false,
    }
}

/// Whether an idle pooled connection can carry the next request: no byte waiting and not closed.
#[cfg(not(unix))]
fn probe(stream: &TcpStream) -> bool {
    if stream.set_nonblocking(true).is_err() {
        return false;
    }
    let idle =
        matches!(stream.peek(&mut [0u8; 1]), Err(e) if e.kind() == io::ErrorKind::WouldBlock);
    stream.set_nonblocking(false).is_ok() && idle
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// A connected pair on loopback: (client, server side).
    fn pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        (client, server)
    }

    /// Waits (bounded) until the client's probe gives `want`: what the server did takes a moment to arrive.
    fn probe_becomes(client: &TcpStream, want: bool) -> bool {
        for _ in 0..200 {
            if probe(client) == want {
                return true;
            }
            std::thread::sleep(time::Duration::from_millis(5));
        }
        false
    }

    #[test]
    fn the_probe_keeps_an_idle_connection_and_drops_a_closed_or_talkative_one() {
        let (client, mut server) = pair();
        assert!(probe(&client), "an idle connection is reusable");
        assert!(probe(&client), "and probing it changes nothing");
        server.write_all(b"x").unwrap();
        assert!(probe_becomes(&client, false), "a byte nobody asked for");

        let (client, server) = pair();
        drop(server);
        assert!(probe_becomes(&client, false), "closed by the server");

        // The probe leaves the socket blocking: a read with a timeout waits for it.
        let (mut client, mut server) = pair();
        assert!(probe(&client));
        client
            .set_read_timeout(Some(time::Duration::from_secs(5)))
            .unwrap();
        server.write_all(b"answer").unwrap();
        let mut buf = [0u8; 6];
        client.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"answer");
    }
}
