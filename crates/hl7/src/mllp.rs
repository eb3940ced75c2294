//! MLLP framing (HL7 v2 transport, `<VT> payload <FS><CR>`): a streaming decoder fed with
//! whatever each socket read returned, and the encoder.
//!
//! The decoder holds partial frames across reads, including an `<FS>` whose `<CR>` has not
//! arrived yet, reports bytes outside frames instead of guessing, resynchronises on the next
//! `<VT>`, and bounds memory with a maximum frame size. It does no IO and no timing: the
//! listener decides how long a partial frame may wait ([`MllpDecoder::has_partial_frame`]).

use memchr::{memchr, memchr2};

/// Start of block.
pub const START_BLOCK: u8 = 0x0B;
/// End of block, followed by [`CARRIAGE_RETURN`].
pub const END_BLOCK: u8 = 0x1C;
/// Ends a frame after [`END_BLOCK`].
pub const CARRIAGE_RETURN: u8 = 0x0D;
/// Default maximum payload size: 16 MiB.
pub const DEFAULT_MAX_FRAME_SIZE: usize = 16 * 1024 * 1024;

/// Compact the buffer once this many consumed bytes sit at its front.
const COMPACT_THRESHOLD: usize = 64 * 1024;

/// A framing problem; the decoder has already resynchronised when it returns one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// Bytes (other than whitespace) outside any frame were dropped.
    #[error("{len} bytes outside any MLLP frame dropped")]
    BytesOutsideFrame {
        /// Number of bytes dropped.
        len: usize,
    },
    /// A frame grew beyond the limit; it is dropped up to its end.
    #[error("MLLP frame larger than {limit} bytes dropped")]
    FrameTooLarge {
        /// The configured limit.
        limit: usize,
    },
    /// A new start byte arrived before the end of the current frame, which is dropped.
    #[error("MLLP frame of {len} bytes not terminated before the next start byte")]
    UnterminatedFrame {
        /// Bytes of the dropped frame.
        len: usize,
    },
    /// The end byte was followed by something other than CR; the frame is dropped.
    #[error("MLLP end byte not followed by CR")]
    MissingCarriageReturn,
}

impl FrameError {
    /// A French sentence for operators.
    pub fn reason_fr(&self) -> String {
        match self {
            FrameError::BytesOutsideFrame { len } => {
                format!("{len} octets reçus hors trame MLLP ont été ignorés")
            }
            FrameError::FrameTooLarge { limit } => {
                format!("trame MLLP de plus de {limit} octets ignorée")
            }
            FrameError::UnterminatedFrame { len } => {
                format!("trame MLLP de {len} octets non terminée avant la trame suivante")
            }
            FrameError::MissingCarriageReturn => {
                "fin de trame MLLP (FS) non suivie d'un retour chariot".to_owned()
            }
        }
    }
}

/// Where the decoder stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Between frames, looking for a start byte.
    Idle,
    /// Inside a frame whose payload starts at this buffer position.
    InFrame { payload_start: usize },
    /// Dropping an oversized frame until its end (or the next start byte).
    Discarding,
}

/// Streaming MLLP decoder: `push` each read, then call `next_frame` until it returns `None`.
#[derive(Debug, Clone)]
pub struct MllpDecoder {
    buffer: Vec<u8>,
    /// Bytes at the front of `buffer` already delivered or dropped.
    consumed: usize,
    /// Where to resume searching for the end byte, so long frames are scanned once.
    scan_from: usize,
    state: State,
    max_frame_size: usize,
}

impl Default for MllpDecoder {
    fn default() -> Self {
        MllpDecoder::new()
    }
}

impl MllpDecoder {
    /// A decoder with the default 16 MiB frame limit.
    pub fn new() -> MllpDecoder {
        MllpDecoder::with_max_frame_size(DEFAULT_MAX_FRAME_SIZE)
    }

    /// A decoder rejecting payloads longer than `max_frame_size` bytes.
    pub fn with_max_frame_size(max_frame_size: usize) -> MllpDecoder {
        MllpDecoder {
            buffer: Vec::new(),
            consumed: 0,
            scan_from: 0,
            state: State::Idle,
            max_frame_size,
        }
    }

    /// Adds bytes from one read.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.consumed >= COMPACT_THRESHOLD || self.consumed == self.buffer.len() {
            self.compact();
        }
        self.buffer.extend_from_slice(bytes);
    }

    /// True while a frame has started but not ended (useful for a read timeout), or bytes are
    /// still held.
    pub fn has_partial_frame(&self) -> bool {
        self.state != State::Idle
            || self.buffer[self.consumed..]
                .iter()
                .any(|byte| !byte.is_ascii_whitespace())
    }

    /// Bytes currently held.
    pub fn buffered_len(&self) -> usize {
        self.buffer.len() - self.consumed
    }

    /// The next complete payload (without framing bytes) or framing error, if any.
    pub fn next_frame(&mut self) -> Option<Result<Vec<u8>, FrameError>> {
        loop {
            let step = match self.state {
                State::Idle => self.step_idle(),
                State::InFrame { payload_start } => self.step_in_frame(payload_start),
                State::Discarding => self.step_discarding(),
            };
            match step {
                Step::Continue => continue,
                Step::Wait => return None,
                Step::Emit(result) => return Some(result),
            }
        }
    }

    fn step_idle(&mut self) -> Step {
        let rest = &self.buffer[self.consumed..];
        let (gap, found) = match memchr(START_BLOCK, rest) {
            Some(position) => (&rest[..position], true),
            None => (rest, false),
        };
        let gap_len = gap.len();
        let garbage = gap.iter().any(|byte| !byte.is_ascii_whitespace());
        self.consumed += gap_len;
        if garbage {
            return Step::Emit(Err(FrameError::BytesOutsideFrame { len: gap_len }));
        }
        if !found {
            return Step::Wait;
        }
        self.consumed += 1;
        self.scan_from = self.consumed;
        self.state = State::InFrame {
            payload_start: self.consumed,
        };
        Step::Continue
    }

    fn step_in_frame(&mut self, payload_start: usize) -> Step {
        let found = memchr2(END_BLOCK, START_BLOCK, &self.buffer[self.scan_from..])
            .map(|position| self.scan_from + position);
        let Some(position) = found else {
            self.scan_from = self.buffer.len();
            return self.check_size(payload_start);
        };
        if self.buffer[position] == START_BLOCK {
            self.state = State::Idle;
            self.consumed = position;
            return Step::Emit(Err(FrameError::UnterminatedFrame {
                len: position - payload_start,
            }));
        }
        let Some(&after) = self.buffer.get(position + 1) else {
            // The end byte's CR has not arrived yet: hold it.
            self.scan_from = position;
            return self.check_size(payload_start);
        };
        self.state = State::Idle;
        if after != CARRIAGE_RETURN {
            self.consumed = position + 1;
            return Step::Emit(Err(FrameError::MissingCarriageReturn));
        }
        self.consumed = position + 2;
        if position - payload_start > self.max_frame_size {
            let limit = self.max_frame_size;
            return Step::Emit(Err(FrameError::FrameTooLarge { limit }));
        }
        Step::Emit(Ok(self.buffer[payload_start..position].to_vec()))
    }

    fn check_size(&mut self, payload_start: usize) -> Step {
        if self.scan_from - payload_start <= self.max_frame_size {
            return Step::Wait;
        }
        self.state = State::Discarding;
        self.consumed = self.scan_from;
        Step::Emit(Err(FrameError::FrameTooLarge {
            limit: self.max_frame_size,
        }))
    }

    fn step_discarding(&mut self) -> Step {
        let rest = &self.buffer[self.consumed..];
        let Some(position) = memchr2(END_BLOCK, START_BLOCK, rest).map(|p| self.consumed + p)
        else {
            self.consumed = self.buffer.len();
            return Step::Wait;
        };
        if self.buffer[position] == START_BLOCK {
            self.consumed = position;
            self.state = State::Idle;
            return Step::Continue;
        }
        match self.buffer.get(position + 1) {
            None => {
                self.consumed = position;
                Step::Wait
            }
            Some(&CARRIAGE_RETURN) => {
                self.consumed = position + 2;
                self.state = State::Idle;
                Step::Continue
            }
            Some(_) => {
                self.consumed = position + 1;
                Step::Continue
            }
        }
    }

    fn compact(&mut self) {
        let consumed = self.consumed;
        self.buffer.drain(..consumed);
        self.consumed = 0;
        self.scan_from = self.scan_from.saturating_sub(consumed);
        if let State::InFrame { payload_start } = &mut self.state {
            *payload_start = payload_start.saturating_sub(consumed);
        }
    }
}

enum Step {
    Continue,
    Wait,
    Emit(Result<Vec<u8>, FrameError>),
}

/// Wraps a payload in MLLP framing.
pub fn frame(payload: &[u8]) -> Vec<u8> {
    let mut framed = Vec::with_capacity(payload.len() + 3);
    framed.push(START_BLOCK);
    framed.extend_from_slice(payload);
    framed.push(END_BLOCK);
    framed.push(CARRIAGE_RETURN);
    framed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(decoder: &mut MllpDecoder) -> Vec<Result<Vec<u8>, FrameError>> {
        std::iter::from_fn(|| decoder.next_frame()).collect()
    }

    #[test]
    fn frame_split_across_reads_and_held_end_byte() {
        let mut decoder = MllpDecoder::new();
        decoder.push(b"\x0bMSH|^~\\&\rMSA|A");
        assert!(drain(&mut decoder).is_empty());
        assert!(decoder.has_partial_frame());
        decoder.push(b"A|1\r\x1c");
        assert!(drain(&mut decoder).is_empty());
        decoder.push(b"\r");
        assert_eq!(drain(&mut decoder), [Ok(b"MSH|^~\\&\rMSA|AA|1\r".to_vec())]);
        assert!(!decoder.has_partial_frame());
    }

    #[test]
    fn several_frames_in_one_read() {
        let mut decoder = MllpDecoder::new();
        let mut bytes = frame(b"A");
        bytes.extend(frame(b"B"));
        bytes.extend(b"\r\n");
        decoder.push(&bytes);
        assert_eq!(drain(&mut decoder), [Ok(b"A".to_vec()), Ok(b"B".to_vec())]);
    }

    #[test]
    fn garbage_is_reported_and_decoder_resynchronises() {
        let mut decoder = MllpDecoder::new();
        decoder.push(b"junk\x0bA\x1c\r");
        assert_eq!(
            drain(&mut decoder),
            [
                Err(FrameError::BytesOutsideFrame { len: 4 }),
                Ok(b"A".to_vec())
            ]
        );
        decoder.push(b"\x0bhalf\x0bB\x1c\r\x0bC\x1cX\x0bD\x1c\r");
        assert_eq!(
            drain(&mut decoder),
            [
                Err(FrameError::UnterminatedFrame { len: 4 }),
                Ok(b"B".to_vec()),
                Err(FrameError::MissingCarriageReturn),
                Err(FrameError::BytesOutsideFrame { len: 1 }),
                Ok(b"D".to_vec()),
            ]
        );
    }

    #[test]
    fn oversized_frame_is_dropped_then_next_frame_passes() {
        let mut decoder = MllpDecoder::with_max_frame_size(4);
        decoder.push(b"\x0b0123");
        assert!(drain(&mut decoder).is_empty());
        decoder.push(b"456789");
        assert_eq!(
            drain(&mut decoder),
            [Err(FrameError::FrameTooLarge { limit: 4 })]
        );
        decoder.push(b"more\x1c\r\x0bok\x1c\r");
        assert_eq!(drain(&mut decoder), [Ok(b"ok".to_vec())]);
    }
}
