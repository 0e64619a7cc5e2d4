//! The servers of the secrets tests: the fake server in this process or as the binary (stderr captured),
//! and a server that echoes the ticket in its error message.

use super::*;

/// A fake passport server: in this process, or the binary (whose stderr is captured).
pub(crate) enum Server {
    InProcess(FakeServer),
    Binary {
        child: Child,
        base: String,
        stderr: Arc<Mutex<Vec<u8>>>,
        reader: Option<thread::JoinHandle<()>>,
    },
}

impl Server {
    pub(crate) fn base(&self) -> String {
        match self {
            Server::InProcess(s) => s.base_url(),
            Server::Binary { base, .. } => base.clone(),
        }
    }

    pub(crate) fn url(&self, scenario: &str) -> String {
        format!("{}/s/{scenario}", self.base())
    }

    pub(crate) fn log(&self) -> Vec<RequestRecord> {
        match self {
            Server::InProcess(s) => s.log(),
            Server::Binary { base, .. } => {
                let mut answer = ureq::get(format!("{base}/__log"))
                    .call()
                    .expect("GET /__log");
                let text = answer
                    .body_mut()
                    .with_config()
                    .limit(64 << 20)
                    .read_to_string()
                    .expect("log body");
                serde_json::from_str(&text).expect("the log is a JSON array of records")
            }
        }
    }

    /// Stops the binary (EOF on its stdin) and returns everything it wrote to stderr.
    pub(crate) fn stop(&mut self) -> String {
        match self {
            Server::InProcess(_) => String::new(),
            Server::Binary {
                child,
                stderr,
                reader,
                ..
            } => {
                drop(child.stdin.take());
                let deadline = Instant::now() + Duration::from_secs(10);
                while child.try_wait().expect("try_wait").is_none() {
                    assert!(
                        Instant::now() < deadline,
                        "the fake server did not exit on stdin EOF"
                    );
                    thread::sleep(Duration::from_millis(20));
                }
                if let Some(r) = reader.take() {
                    r.join().expect("stderr reader");
                }
                let bytes = stderr.lock().unwrap().clone();
                String::from_utf8_lossy(&bytes).into_owned()
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

pub(crate) fn fake_server_binary() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("BILI_QR_FAKE_SERVER") {
        let p = PathBuf::from(p);
        assert!(
            p.exists(),
            "BILI_QR_FAKE_SERVER={} does not exist",
            p.display()
        );
        return Some(p);
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    [
        "target/release/bili-qr-fake-server",
        "target/debug/bili-qr-fake-server",
    ]
    .iter()
    .map(|p| root.join(p))
    .find(|p| p.exists())
}

pub(crate) fn spawn_binary(path: &PathBuf) -> Server {
    let mut child = Command::new(path)
        .arg("--watch-stdin")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the fake server");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("first line");
    let base = first
        .trim()
        .strip_prefix("listening ")
        .expect("`listening URL` first")
        .to_owned();
    let stderr = Arc::new(Mutex::new(Vec::new()));
    let sink = stderr.clone();
    let mut pipe = child.stderr.take().expect("stderr");
    let reader = thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = pipe.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock().unwrap().extend_from_slice(&buf[..n]);
        }
    });
    Server::Binary {
        child,
        base,
        stderr,
        reader: Some(reader),
    }
}

/// A one-endpoint HTTP server answering every request with API code -400 whose message repeats the request's
/// ticket after `pad` characters.
pub(crate) struct EchoServer {
    pub(crate) base: String,
}

impl EchoServer {
    pub(crate) fn start(pad: usize) -> EchoServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        thread::spawn(move || {
            // Bounded: serves at most 8 connections, then closes.
            for stream in listener.incoming().take(8) {
                let Ok(stream) = stream else { break };
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    continue;
                }
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).map_or(true, |n| n == 0) || h == "\r\n" {
                        break;
                    }
                }
                let ticket = line
                    .split(['?', '&', ' '])
                    .find_map(|p| p.strip_prefix("ticket="))
                    .unwrap_or("")
                    .to_owned();
                let message = format!("{}{ticket} is not a valid ticket", "x".repeat(pad));
                let body = json!({"code": -400, "message": message, "ttl": 1}).to_string();
                let mut s = stream;
                let _ = write!(
                    s,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        EchoServer { base }
    }
}
