//! The buffers of the transports the library adds to ureq's chain (`head::HeadGuard`, `tcp::TcpTransport`):
//! ureq's `Buffers` contract, as its own `LazyBuffers` keeps it, but each buffer is allocated zeroed in one
//! piece (`vec![0; n]`, a `calloc`) the first time it is used. ureq grows its buffers with `Vec::resize`,
//! which in this build fills them a byte at a time: for a new connection's buffers that was two thirds of a
//! cold start's instructions.
//!
//! An input buffer starts at [`FIRST_INPUT`] bytes and doubles, up to its size, only when an answer needs the
//! room (a long head, a body arriving faster than it is read): a new connection zeroes, and so touches, 8 KiB
//! per layer instead of the whole size. Each page first touched is a page fault, which on the VMs measured in
//! BENCHMARKS.md costs more than the zeroing.

use std::fmt;
use ureq::unversioned::transport::Buffers;

/// The first allocation of an input buffer: an ordinary answer, head and body, fits.
pub(super) const FIRST_INPUT: usize = 8 * 1024;

/// Input: bytes appended at the end, consumed from the front; the unconsumed bytes are moved to the front
/// when all are consumed or when they reach into the second half, and the buffer grows (up to `size`) when
/// what is left free is less than asked for.
pub(super) struct InputBuf {
    /// The most this buffer grows to (`free_at_least` alone may go past it).
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
    /// A buffer that grows to `size` bytes (at least 1), allocated when first used.
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

    /// The free room after the unconsumed bytes, for a read of any length: the buffer grows (up to its size)
    /// when less than a quarter of it is free, so that a read always has room while the unconsumed bytes (a
    /// head line not yet whole, a TLS record) are short of the size.
    pub(super) fn free_mut(&mut self) -> &mut [u8] {
        let want = self.buf.len().max(FIRST_INPUT.min(self.size)) / 4;
        self.room(want, self.size)
    }

    /// The free room after the unconsumed bytes, grown (up to the buffer's size) to `want` bytes when less is
    /// free: for a copy of `want` bytes.
    pub(super) fn free_for(&mut self, want: usize) -> &mut [u8] {
        self.room(want, self.size)
    }

    /// `free_mut` with at least `min` bytes of room, past the buffer's size if need be (ureq wants room to
    /// read a request body through, as its own buffers guarantee).
    pub(super) fn free_at_least(&mut self, min: usize) -> &mut [u8] {
        self.room(min, usize::MAX)
    }

    /// The free room, at least `want` bytes when the buffer may grow to that within `cap`.
    fn room(&mut self, want: usize, cap: usize) -> &mut [u8] {
        if self.buf.is_empty() {
            self.buf = vec![0; FIRST_INPUT.min(self.size)];
        }
        if self.consumed == self.filled {
            (self.consumed, self.filled) = (0, 0);
        } else if self.consumed > 0 && self.filled > self.buf.len() / 2 {
            self.buf.copy_within(self.consumed..self.filled, 0);
            self.filled -= self.consumed;
            self.consumed = 0;
        }
        let free = self.buf.len().saturating_sub(self.filled);
        if free < want && self.buf.len() < cap {
            // A new zeroed buffer (a `calloc`), the unconsumed bytes copied to its front: growing in place
            // would zero the new part a byte at a time (see the module documentation).
            let used = self.filled.saturating_sub(self.consumed);
            // Doubled up to the size, or just what is asked for where that is more (past the size only
            // for `free_at_least`).
            let len = self
                .buf
                .len()
                .saturating_mul(2)
                .min(self.size)
                .max(used.saturating_add(want))
                .min(cap);
            let mut grown = vec![0; len];
            if let (Some(dst), Some(src)) = (
                grown.get_mut(..used),
                self.buf.get(self.consumed..self.filled),
            ) {
                dst.copy_from_slice(src);
            }
            self.buf = grown;
            (self.consumed, self.filled) = (0, used);
        }
        self.buf.get_mut(self.filled..).unwrap_or(&mut [])
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
    /// The first allocation (`size` unless made with `starting_at`).
    first: usize,
    buf: Vec<u8>,
}

/// Sizes only (see `InputBuf`'s): what is allocated now, and what it goes to.
impl fmt::Debug for OutputBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutputBuf")
            .field("capacity", &self.buf.len())
            .field("size", &self.size)
            .finish()
    }
}

impl OutputBuf {
    /// A buffer of `size` bytes (at least 1), allocated when first used.
    pub(super) fn new(size: usize) -> OutputBuf {
        OutputBuf::starting_at(size, size)
    }

    /// A buffer of `first` bytes when first used, `size` after `grow_to_full_size` (each at least 1).
    pub(super) fn starting_at(first: usize, size: usize) -> OutputBuf {
        let size = size.max(1);
        OutputBuf {
            size,
            first: first.clamp(1, size),
            buf: Vec::new(),
        }
    }

    pub(super) fn get(&mut self) -> &mut [u8] {
        if self.buf.is_empty() {
            self.buf = vec![0; self.first];
        }
        &mut self.buf
    }

    /// From now on the buffer has its full size. What it held is dropped: call it between two writes.
    pub(super) fn grow_to_full_size(&mut self) {
        if self.buf.len() < self.size {
            self.buf = vec![0; self.size];
        }
    }
}

/// A layer's input and output: ureq's `Buffers` over `InputBuf` and `OutputBuf`, for every transport the
/// library adds (the head guard, the TCP layer).
#[derive(Debug)]
pub(super) struct LayerBuffers {
    pub(super) input: InputBuf,
    pub(super) output: OutputBuf,
}

impl Buffers for LayerBuffers {
    fn output(&mut self) -> &mut [u8] {
        self.output.get()
    }

    fn input(&self) -> &[u8] {
        self.input.unconsumed()
    }

    fn input_append_buf(&mut self) -> &mut [u8] {
        self.input.free_mut()
    }

    fn input_appended(&mut self, amount: usize) {
        self.input.appended(amount)
    }

    fn input_consume(&mut self, amount: usize) {
        self.input.consume(amount)
    }

    fn tmp_and_output(&mut self) -> (&mut [u8], &mut [u8]) {
        // ureq's scratch space for a request body, as its own buffers give it: the free input room, at
        // least 10 KiB of it.
        const MIN_TMP: usize = 10 * 1024;
        (self.input.free_at_least(MIN_TMP), self.output.get())
    }

    fn can_use_input(&self) -> bool {
        self.input.can_use()
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
        assert_eq!(room.len(), FIRST_INPUT, "the first allocation is small");
        room[..5].copy_from_slice(b"hello");
        b.appended(5);
        assert_eq!(b.unconsumed(), b"hello");
        b.consume(2);
        assert!(b.progress);
        assert_eq!(b.unconsumed(), b"llo");
        // Unconsumed bytes in the first half stay where they are.
        assert_eq!(b.free_mut().len(), FIRST_INPUT - 5);
        assert_eq!(b.unconsumed(), b"llo");
        // All consumed: the next room starts at the front again.
        b.consume(3);
        assert_eq!(b.free_mut().len(), FIRST_INPUT);
        // Unconsumed bytes reaching into the second half are moved to the front.
        let half = FIRST_INPUT / 2 + 10;
        b.free_mut()[..half].fill(b'x');
        b.appended(half);
        b.consume(half - 4);
        assert_eq!(b.free_mut().len(), FIRST_INPUT - 4);
        assert_eq!(b.unconsumed(), b"xxxx");
        b.consume(0);
        assert!(!b.progress, "a consume of nothing is no progress");
        // More than there is is clamped, never a panic.
        b.appended(usize::MAX);
        assert_eq!(b.unconsumed().len(), FIRST_INPUT);
        b.consume(usize::MAX);
        assert!(b.unconsumed().is_empty());
    }

    #[test]
    fn the_input_buffer_grows_to_its_size_when_little_is_free_and_keeps_what_is_unconsumed() {
        let mut b = InputBuf::new(INPUT_BUFFER);
        // Fill all but a few bytes with a known pattern, one byte consumed: less than a quarter free.
        let fill = FIRST_INPUT - 100;
        for (i, byte) in b.free_mut()[..fill].iter_mut().enumerate() {
            *byte = (i % 251) as u8;
        }
        b.appended(fill);
        b.consume(1);
        let want: Vec<u8> = (1..fill).map(|i| (i % 251) as u8).collect();
        let room = b.free_mut().len();
        assert_eq!(
            room,
            2 * FIRST_INPUT - (fill - 1),
            "doubled, the unconsumed bytes at the front"
        );
        assert_eq!(
            b.unconsumed(),
            &want[..],
            "the unconsumed input is kept, in order"
        );
        // Room asked for a copy of more than is free: grown to fit it.
        // (16 KiB with 8,091 bytes in it: grown to those bytes plus the 30 KiB, more than double.)
        assert_eq!(b.free_for(30 * 1024).len(), 30 * 1024);
        assert_eq!(b.unconsumed(), &want[..]);
        // Never past its size, however much is asked for.
        assert_eq!(b.free_for(1 << 20).len(), INPUT_BUFFER - (fill - 1));
        let full = b.free_mut().len();
        b.appended(full);
        assert!(
            b.free_mut().is_empty(),
            "full at its size: no room, no growth"
        );
        assert!(b.free_for(1).is_empty());
        assert_eq!(b.unconsumed().len(), INPUT_BUFFER);
    }

    #[test]
    fn the_input_buffer_grows_past_its_size_only_for_ureqs_body_room() {
        let mut b = InputBuf::new(INPUT_BUFFER);
        let _ = b.free_for(INPUT_BUFFER);
        let full = b.free_mut().len();
        b.appended(full);
        assert!(b.free_mut().is_empty());
        assert_eq!(b.free_at_least(10 * 1024).len(), 10 * 1024);
        assert_eq!(b.unconsumed().len(), full, "the unconsumed input is kept");
    }

    #[test]
    fn a_small_input_buffer_starts_at_its_size() {
        let mut b = InputBuf::new(100);
        assert_eq!(b.free_mut().len(), 100);
        assert_eq!(b.free_for(1000).len(), 100);
    }

    #[test]
    fn an_output_buffer_starts_at_its_first_size_and_goes_to_its_full_size_once() {
        let mut b = OutputBuf::starting_at(20, 100);
        assert!(b.buf.is_empty(), "nothing is allocated before it is used");
        assert_eq!(b.get().len(), 20);
        b.grow_to_full_size();
        assert_eq!(b.get().len(), 100);
        b.grow_to_full_size();
        assert_eq!(b.get().len(), 100);
        assert_eq!(OutputBuf::new(64).get().len(), 64);
        assert_eq!(
            OutputBuf::starting_at(500, 64).get().len(),
            64,
            "never past its size"
        );
    }
}
