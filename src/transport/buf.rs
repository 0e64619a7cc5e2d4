//! The buffers of the transports the library adds to ureq's chain (`head::HeadGuard`, `tcp::TcpTransport`):
//! ureq's `Buffers` contract, as its own `LazyBuffers` keeps it, but each buffer is allocated zeroed in one
//! piece (`vec![0; n]`, a `calloc`) the first time it is used. ureq grows its buffers with `Vec::resize`,
//! which in this build fills them a byte at a time: for a new connection's buffers that was two thirds of a
//! cold start's instructions.

use std::fmt;

/// Input: bytes appended at the end, consumed from the front; the unconsumed bytes are moved to the front
/// when all are consumed or when they reach into the second half.
pub(super) struct InputBuf {
    size: usize,
    buf: Vec<u8>,
    /// `buf[consumed..filled]` is the unconsumed input.
    consumed: usize,
    filled: usize,
    /// The last `consume` took something (ureq's "can use input" rule).
    progress: bool,
}

/// Sizes only: the bytes are requests and answers, which carry cookies.
impl fmt::Debug for InputBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InputBuf")
            .field("capacity", &self.buf.len())
            .field("unconsumed", &self.unconsumed().len())
            .finish()
    }
}

impl InputBuf {
    /// A buffer of `size` bytes (at least 1), allocated when first used.
    pub(super) fn new(size: usize) -> InputBuf {
        InputBuf {
            size: size.max(1),
            buf: Vec::new(),
            consumed: 0,
            filled: 0,
            progress: false,
        }
    }

    pub(super) fn unconsumed(&self) -> &[u8] {
        self.buf.get(self.consumed..self.filled).unwrap_or(&[])
    }

    /// The free room after the unconsumed bytes.
    pub(super) fn free_mut(&mut self) -> &mut [u8] {
        if self.buf.is_empty() {
            self.buf = vec![0; self.size];
        }
        if self.consumed == self.filled {
            (self.consumed, self.filled) = (0, 0);
        } else if self.consumed > 0 && self.filled > self.buf.len() / 2 {
            self.buf.copy_within(self.consumed..self.filled, 0);
            self.filled -= self.consumed;
            self.consumed = 0;
        }
        self.buf.get_mut(self.filled..).unwrap_or(&mut [])
    }

    /// `free_mut` with at least `min` bytes of room: grows the buffer in the rare case that unconsumed input
    /// leaves less (ureq wants room to read a request body through, as its own buffers guarantee).
    pub(super) fn free_at_least(&mut self, min: usize) -> &mut [u8] {
        let room = self.free_mut().len();
        if room < min {
            self.buf.resize(self.buf.len() + (min - room), 0);
        }
        self.free_mut()
    }

    pub(super) fn appended(&mut self, amount: usize) {
        self.filled = self.filled.saturating_add(amount).min(self.buf.len());
    }

    pub(super) fn consume(&mut self, amount: usize) {
        self.progress = amount > 0;
        self.consumed = self.consumed.saturating_add(amount).min(self.filled);
    }

    /// ureq's `can_use_input`: unconsumed input, and the last consume took something.
    pub(super) fn can_use(&self) -> bool {
        !self.unconsumed().is_empty() && self.progress
    }
}

/// Output: where ureq writes a request (or the layer above writes what it sends).
pub(super) struct OutputBuf {
    size: usize,
    buf: Vec<u8>,
}

/// Size only (see `InputBuf`'s).
impl fmt::Debug for OutputBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutputBuf")
            .field("capacity", &self.buf.len())
            .finish()
    }
}

impl OutputBuf {
    /// A buffer of `size` bytes (at least 1), allocated when first used.
    pub(super) fn new(size: usize) -> OutputBuf {
        OutputBuf {
            size: size.max(1),
            buf: Vec::new(),
        }
    }

    pub(super) fn get(&mut self) -> &mut [u8] {
        if self.buf.is_empty() {
            self.buf = vec![0; self.size];
        }
        &mut self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INPUT_BUFFER: usize = 64 * 1024;

    #[test]
    fn the_input_buffer_appends_consumes_and_moves_what_is_left_to_the_front() {
        let mut b = InputBuf::new(INPUT_BUFFER);
        assert!(b.unconsumed().is_empty());
        assert!(
            b.buf.is_empty(),
            "nothing is allocated before room is asked for"
        );
        let room = b.free_mut();
        assert_eq!(room.len(), INPUT_BUFFER);
        room[..5].copy_from_slice(b"hello");
        b.appended(5);
        assert_eq!(b.unconsumed(), b"hello");
        b.consume(2);
        assert!(b.progress);
        assert_eq!(b.unconsumed(), b"llo");
        // Unconsumed bytes in the first half stay where they are.
        assert_eq!(b.free_mut().len(), INPUT_BUFFER - 5);
        assert_eq!(b.unconsumed(), b"llo");
        // All consumed: the next room starts at the front again.
        b.consume(3);
        assert_eq!(b.free_mut().len(), INPUT_BUFFER);
        // Unconsumed bytes reaching into the second half are moved to the front.
        let half = INPUT_BUFFER / 2 + 10;
        b.free_mut()[..half].fill(b'x');
        b.appended(half);
        b.consume(half - 4);
        assert_eq!(b.free_mut().len(), INPUT_BUFFER - 4);
        assert_eq!(b.unconsumed(), b"xxxx");
        b.consume(0);
        assert!(!b.progress, "a consume of nothing is no progress");
        // More than there is is clamped, never a panic.
        b.appended(usize::MAX);
        assert_eq!(b.unconsumed().len(), INPUT_BUFFER);
        b.consume(usize::MAX);
        assert!(b.unconsumed().is_empty());
    }

    #[test]
    fn the_input_buffer_grows_when_unconsumed_input_leaves_too_little_room() {
        let mut b = InputBuf::new(INPUT_BUFFER);
        let full = b.free_mut().len();
        b.appended(full);
        assert!(b.free_mut().is_empty());
        assert_eq!(b.free_at_least(10 * 1024).len(), 10 * 1024);
        assert_eq!(b.unconsumed().len(), full, "the unconsumed input is kept");
    }
}
