//! Limits on a response head.
//!
//! - The whole head (status line and headers): [`super::pool::MAX_HEAD_BYTES`], checked by ureq as the bytes
//!   arrive (ureq's `max_response_header_size`): more fails at once.
//! - The number of header lines: [`MAX_HEADERS`], a constant of ureq-proto (`MAX_RESPONSE_HEADERS`), which
//!   the HTTP stack does not let a caller raise; more fails at once with a message naming the limit.

use std::fmt;

/// Response header lines the HTTP stack parses (ureq-proto's fixed `MAX_RESPONSE_HEADERS`).
pub(crate) const MAX_HEADERS: usize = 128;

/// A response head over one of the limits; carried inside an `io::Error` from the connection.
#[derive(Debug)]
pub struct HeadLimit(pub &'static str);

impl fmt::Display for HeadLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for HeadLimit {}
