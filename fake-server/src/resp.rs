//! An answer, as the routes build it and the connection layer writes it.

/// What to send back.
pub(crate) enum Body {
    Owned(Vec<u8>),
    Static(&'static [u8]),
}

impl Body {
    pub(crate) fn bytes(&self) -> &[u8] {
        match self {
            Body::Owned(v) => v,
            Body::Static(s) => s,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Normal,
    /// Content-Length says 200 more bytes than sent, then the connection closes.
    Truncated,
    /// Chunked transfer coding, no Content-Length.
    Chunked,
    /// Close without answering.
    Reset,
}

pub(crate) struct Resp {
    pub(crate) status: u16,
    pub(crate) ctype: &'static str,
    pub(crate) location: Option<String>,
    pub(crate) cookies: Vec<String>,
    pub(crate) body: Body,
    pub(crate) kind: Kind,
    pub(crate) cookie_info: Vec<String>,
    pub(crate) ticket: Option<String>,
    /// Extra header lines (name, value), written after the usual ones.
    pub(crate) extra_headers: Vec<(String, String)>,
    /// All `Set-Cookie` values in one header line, joined with `", "` (`folded=1`).
    pub(crate) folded: bool,
}

impl Resp {
    pub(crate) fn new(status: u16, ctype: &'static str, body: Body) -> Resp {
        Resp {
            status,
            ctype,
            location: None,
            cookies: Vec::new(),
            body,
            kind: Kind::Normal,
            cookie_info: Vec::new(),
            ticket: None,
            extra_headers: Vec::new(),
            folded: false,
        }
    }
    pub(crate) fn json(body: String) -> Resp {
        Resp::new(200, JSON, Body::Owned(body.into_bytes()))
    }
    pub(crate) fn json_static(body: &'static str) -> Resp {
        Resp::new(200, JSON, Body::Static(body.as_bytes()))
    }
    pub(crate) fn html(status: u16, body: String) -> Resp {
        Resp::new(status, HTML, Body::Owned(body.into_bytes()))
    }
    pub(crate) fn redirect(location: String) -> Resp {
        let mut r = Resp::new(302, HTML, Body::Static(b""));
        r.location = Some(location);
        r
    }
}

pub(crate) const JSON: &str = "application/json; charset=utf-8";
pub(crate) const HTML: &str = "text/html; charset=utf-8";
pub(crate) const TEXT: &str = "text/plain; charset=utf-8";

pub(crate) fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string())
}

impl Resp {
    pub(crate) fn with_status(mut self, status: u16) -> Resp {
        self.status = status;
        self
    }
    pub(crate) fn reset() -> Resp {
        let mut r = Resp::new(0, TEXT, Body::Static(b""));
        r.kind = Kind::Reset;
        r
    }
    pub(crate) fn not_found_html() -> Resp {
        Resp::html(
            404,
            "<html><head><title>404 Not Found</title></head><body><h1>404 Not Found</h1></body></html>"
                .to_string(),
        )
    }
}
