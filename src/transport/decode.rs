//! `Content-Encoding`: the codings the library advertises in `Accept-Encoding`, and a body decoded as a
//! browser decodes it, also when the server used a coding it was not asked for.
//!
//! Chrome 144 advertises `gzip, deflate, br, zstd`. The library advertises and decodes `gzip` and `deflate`
//! only (flate2 on miniz_oxide, safe Rust): the brotli and zstd decoders would cost more of the stripped
//! library than the whole decoder budget allows (numbers in BENCHMARKS.md, "Content-Encoding"), and the
//! library is already told apart from Chrome by its TLS handshake. An answer in a coding that is not
//! decoded here (`br`, `zstd`, anything unknown) is a clear protocol error, never read as JSON.

use std::io::Read;

/// The `Accept-Encoding` every request carries: exactly the codings [`decode`] reads.
pub const ACCEPT_ENCODING: &str = "gzip, deflate";

/// Why a body could not be decoded (a phrase for a message; never the body).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeError {
    /// A coding this library does not decode (`br`, `zstd`, an unknown name).
    Unsupported,
    /// The bytes are not valid for their coding (or are cut short).
    Corrupt,
    /// Decoded, the body is larger than the limit.
    TooLarge,
}

impl DecodeError {
    pub fn reason(self) -> &'static str {
        match self {
            DecodeError::Unsupported => {
                "it is compressed with a Content-Encoding the library does not decode (it asks for gzip, deflate)"
            }
            DecodeError::Corrupt => "its compressed body is corrupt or cut short",
            DecodeError::TooLarge => "its body is larger than 1 MiB once decompressed",
        }
    }
}

/// Decodes `body` sent with `content_encoding` (a comma-separated list of codings in the order they were
/// applied; names case-insensitive; `identity` and empty entries skipped; `x-gzip` is `gzip`), to at most
/// `limit` bytes. `deflate` is read as a zlib stream, or as a raw deflate stream when it has no zlib header
/// (as browsers accept both).
pub fn decode(
    content_encoding: Option<&str>,
    body: Vec<u8>,
    limit: u64,
) -> Result<Vec<u8>, DecodeError> {
    let Some(list) = content_encoding else {
        return Ok(body);
    };
    let codings: Vec<String> = list
        .split(',')
        .map(|c| c.trim().to_ascii_lowercase())
        .filter(|c| !c.is_empty() && c != "identity")
        .collect();
    let mut body = body;
    for coding in codings.iter().rev() {
        body = match coding.as_str() {
            "gzip" | "x-gzip" => read_limited(flate2::read::MultiGzDecoder::new(&body[..]), limit)?,
            "deflate" => match read_limited(flate2::read::ZlibDecoder::new(&body[..]), limit) {
                Err(DecodeError::Corrupt) => {
                    read_limited(flate2::read::DeflateDecoder::new(&body[..]), limit)?
                }
                other => other?,
            },
            _ => return Err(DecodeError::Unsupported),
        };
    }
    Ok(body)
}

/// Reads a decoder to the end, refusing more than `limit` bytes (a small body can inflate to gigabytes).
fn read_limited(reader: impl Read, limit: u64) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::new();
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|_| DecodeError::Corrupt)?;
    if out.len() as u64 > limit {
        return Err(DecodeError::TooLarge);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn raw_deflate(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    const JSON: &[u8] = br#"{"code":0,"message":"0","data":{"x":1}}"#;

    #[test]
    fn codings_are_decoded() {
        assert_eq!(decode(None, JSON.to_vec(), 100).unwrap(), JSON);
        assert_eq!(decode(Some("identity"), JSON.to_vec(), 100).unwrap(), JSON);
        assert_eq!(decode(Some("gzip"), gzip(JSON), 100).unwrap(), JSON);
        assert_eq!(decode(Some(" GZip "), gzip(JSON), 100).unwrap(), JSON);
        assert_eq!(decode(Some("x-gzip"), gzip(JSON), 100).unwrap(), JSON);
        assert_eq!(decode(Some("deflate"), zlib(JSON), 100).unwrap(), JSON);
        assert_eq!(decode(Some("deflate"), raw_deflate(JSON), 100).unwrap(), JSON);
        // Applied in order: deflate first, then gzip.
        let both = gzip(&zlib(JSON));
        assert_eq!(decode(Some("deflate, gzip"), both, 100).unwrap(), JSON);
    }

    #[test]
    fn what_cannot_be_decoded_is_an_error() {
        assert_eq!(
            decode(Some("br"), JSON.to_vec(), 100),
            Err(DecodeError::Unsupported)
        );
        assert_eq!(
            decode(Some("zstd"), JSON.to_vec(), 100),
            Err(DecodeError::Unsupported)
        );
        assert_eq!(
            decode(Some("gzip"), JSON.to_vec(), 100),
            Err(DecodeError::Corrupt)
        );
        let cut = gzip(JSON);
        let cut = cut.get(..cut.len() / 2).unwrap().to_vec();
        assert_eq!(decode(Some("gzip"), cut, 100), Err(DecodeError::Corrupt));
        let bomb = gzip(&vec![b' '; 1 << 20]);
        assert!(bomb.len() < 4096);
        assert_eq!(
            decode(Some("gzip"), bomb, 1 << 16),
            Err(DecodeError::TooLarge)
        );
    }
}
