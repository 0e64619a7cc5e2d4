//! `Content-Encoding`: the codings the library advertises in `Accept-Encoding`, and a body decoded as a
//! browser decodes it, also when the server used a coding it was not asked for.
//!
//! Chrome 144 advertises `gzip, deflate, br, zstd`. The library advertises and decodes `gzip` and `deflate`
//! only (miniz_oxide's inflate, safe Rust; the gzip framing and its CRC-32 here): the brotli and zstd decoders would cost more of the stripped
//! library than the whole decoder budget allows (numbers in BENCHMARKS.md, "Content-Encoding"), and the
//! library is already told apart from Chrome by its TLS handshake. An answer in a coding that is not
//! decoded here (`br`, `zstd`, anything unknown) is a clear protocol error, never read as JSON.

use miniz_oxide::inflate::stream::{self, InflateState};
use miniz_oxide::{DataFormat, MZFlush, MZStatus};

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
/// (as browsers accept both). gzip: one or more members, each checked against its CRC-32 and length.
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
            "gzip" | "x-gzip" => gunzip(&body, limit)?,
            "deflate" => match inflate(&body, DataFormat::Zlib, limit) {
                Err(DecodeError::Corrupt) => inflate(&body, DataFormat::Raw, limit)?.0,
                other => other?.0,
            },
            _ => return Err(DecodeError::Unsupported),
        };
    }
    Ok(body)
}

/// Inflates the deflate (or zlib) stream at the start of `input`: its output (at most `limit` bytes) and
/// how many bytes of `input` it took. A stream cut short is corrupt.
fn inflate(input: &[u8], format: DataFormat, limit: u64) -> Result<(Vec<u8>, usize), DecodeError> {
    let mut state = InflateState::new_boxed(format);
    let mut out = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    let mut pos = 0;
    loop {
        let rest = input.get(pos..).unwrap_or_default();
        let r = stream::inflate(&mut state, rest, &mut buf, MZFlush::None);
        pos += r.bytes_consumed;
        out.extend_from_slice(buf.get(..r.bytes_written).unwrap_or_default());
        if out.len() as u64 > limit {
            return Err(DecodeError::TooLarge);
        }
        match r.status {
            Ok(MZStatus::StreamEnd) => return Ok((out, pos)),
            Ok(_) if r.bytes_consumed > 0 || r.bytes_written > 0 => {}
            _ => return Err(DecodeError::Corrupt),
        }
    }
}

/// Reads gzip members (RFC 1952): each header (with its optional extra field, name, comment and header
/// CRC), the deflate stream, then the CRC-32 and length of the data, which must match. Bytes after the
/// last member that do not start another one are ignored, as browsers do.
fn gunzip(input: &[u8], limit: u64) -> Result<Vec<u8>, DecodeError> {
    const FHCRC: u8 = 2;
    const FEXTRA: u8 = 4;
    const FNAME: u8 = 8;
    const FCOMMENT: u8 = 16;
    let mut out: Vec<u8> = Vec::new();
    let mut rest = input;
    loop {
        let Some((&[0x1f, 0x8b, 8, flags], after)) = rest.split_first_chunk::<4>() else {
            return Err(DecodeError::Corrupt);
        };
        let mut at = after.get(6..).ok_or(DecodeError::Corrupt)?;
        if flags & FEXTRA != 0 {
            let (len, more) = at.split_first_chunk::<2>().ok_or(DecodeError::Corrupt)?;
            at = more
                .get(usize::from(u16::from_le_bytes(*len))..)
                .ok_or(DecodeError::Corrupt)?;
        }
        for flag in [FNAME, FCOMMENT] {
            if flags & flag != 0 {
                let end = at
                    .iter()
                    .position(|&b| b == 0)
                    .ok_or(DecodeError::Corrupt)?;
                at = at.get(end + 1..).ok_or(DecodeError::Corrupt)?;
            }
        }
        if flags & FHCRC != 0 {
            at = at.get(2..).ok_or(DecodeError::Corrupt)?;
        }
        let left = limit.saturating_sub(out.len() as u64);
        let (data, used) = inflate(at, DataFormat::Raw, left)?;
        let trailer = at.get(used..).ok_or(DecodeError::Corrupt)?;
        let (check, next) = trailer
            .split_first_chunk::<8>()
            .ok_or(DecodeError::Corrupt)?;
        let (crc, size) = check.split_at(4);
        if crc != crc32(&data).to_le_bytes() || size != (data.len() as u32).to_le_bytes() {
            return Err(DecodeError::Corrupt);
        }
        out.extend_from_slice(&data);
        if !next.starts_with(&[0x1f, 0x8b]) {
            return Ok(out);
        }
        rest = next;
    }
}

/// CRC-32 (ISO 3309, reflected polynomial 0xEDB88320), bit by bit: bodies are small, and a table would
/// cost 1 KiB of the library.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
        out.extend(miniz_oxide::deflate::compress_to_vec(data, 6));
        out.extend_from_slice(&crc32(data).to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out
    }

    fn zlib(data: &[u8]) -> Vec<u8> {
        miniz_oxide::deflate::compress_to_vec_zlib(data, 6)
    }

    fn raw_deflate(data: &[u8]) -> Vec<u8> {
        miniz_oxide::deflate::compress_to_vec(data, 6)
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
        assert_eq!(
            decode(Some("deflate"), raw_deflate(JSON), 100).unwrap(),
            JSON
        );
        // Applied in order: deflate first, then gzip.
        let both = gzip(&zlib(JSON));
        assert_eq!(decode(Some("deflate, gzip"), both, 100).unwrap(), JSON);
        // Two gzip members, and a header with every optional field.
        let two = [gzip(b"{\"code\":"), gzip(b"0}")].concat();
        assert_eq!(decode(Some("gzip"), two, 100).unwrap(), b"{\"code\":0}");
        let mut full = vec![
            0x1f,
            0x8b,
            8,
            2 | 4 | 8 | 16,
            0,
            0,
            0,
            0,
            0,
            0xff,
            3,
            0,
            b'x',
            b'y',
            b'z',
        ];
        full.extend_from_slice(b"name\0comment\0\xab\xcd");
        full.extend(gzip(JSON).get(10..).unwrap());
        assert_eq!(decode(Some("gzip"), full, 100).unwrap(), JSON);
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
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
        let whole = gzip(JSON);
        for n in [0, 3, 10, whole.len() / 2, whole.len() - 4, whole.len() - 1] {
            let cut = whole.get(..n).unwrap().to_vec();
            assert_eq!(
                decode(Some("gzip"), cut, 100),
                Err(DecodeError::Corrupt),
                "{n}"
            );
        }
        let mut bad_crc = whole.clone();
        let at = bad_crc.len() - 8;
        bad_crc[at] ^= 1;
        assert_eq!(
            decode(Some("gzip"), bad_crc, 100),
            Err(DecodeError::Corrupt)
        );
        let bomb = gzip(&vec![b' '; 1 << 20]);
        assert!(bomb.len() < 4096);
        assert_eq!(
            decode(Some("gzip"), bomb, 1 << 16),
            Err(DecodeError::TooLarge)
        );
        let bomb = zlib(&vec![b' '; 1 << 20]);
        assert_eq!(
            decode(Some("deflate"), bomb, 1 << 16),
            Err(DecodeError::TooLarge)
        );
    }
}
