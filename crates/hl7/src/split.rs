//! Splitting a file into messages: single messages, plain concatenations, and batch files with
//! any combination of FHS/BHS/BTS/FTS (HL7 v2.5 chapter 2.10.3).
//!
//! A file is never rejected as a whole: each message gets its byte range, and what looks wrong
//! around them (stray bytes, a count in BTS/FTS that does not match) is listed as a problem.

use std::ops::Range;

use memchr::memchr2_iter;

use crate::message::raw_piece;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The messages found in a file and the problems around them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Split {
    /// Byte range of each message (from `MSH` to just before the next header, trailer or end of
    /// file), in file order; give each slice to [`crate::Message::parse`].
    pub messages: Vec<Range<usize>>,
    /// Problems found, in file order.
    pub problems: Vec<SplitProblem>,
}

/// Something wrong around the messages of a file; the messages themselves are still returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SplitProblem {
    /// Non-blank bytes outside any message (before the first MSH, after a trailer...).
    #[error("{} bytes outside any message at offset {}", range.len(), range.start)]
    BytesOutsideMessage {
        /// Where the bytes are.
        range: Range<usize>,
    },
    /// BTS-1 (batch message count) differs from the number of messages in the batch.
    #[error("batch trailer at offset {offset} declares {declared} messages, found {found}")]
    BatchCountMismatch {
        /// Offset of the BTS segment.
        offset: usize,
        /// BTS-1.
        declared: usize,
        /// Messages actually found since BHS.
        found: usize,
    },
    /// FTS-1 (file batch count) differs from the number of batches in the file.
    #[error("file trailer at offset {offset} declares {declared} batches, found {found}")]
    FileCountMismatch {
        /// Offset of the FTS segment.
        offset: usize,
        /// FTS-1.
        declared: usize,
        /// Batches found (a file without BHS counts as one batch when it holds messages).
        found: usize,
    },
    /// A BHS or FHS with no matching trailer before the next header or the end of the file.
    #[error("{segment} at offset {offset} has no trailer")]
    MissingTrailer {
        /// `BHS` or `FHS`.
        segment: &'static str,
        /// Offset of the header.
        offset: usize,
    },
    /// A BTS or FTS with no open header.
    #[error("{segment} at offset {offset} has no header")]
    MissingHeader {
        /// `BTS` or `FTS`.
        segment: &'static str,
        /// Offset of the trailer.
        offset: usize,
    },
}

impl SplitProblem {
    /// A French sentence for users and interface teams.
    pub fn reason_fr(&self) -> String {
        match self {
            SplitProblem::BytesOutsideMessage { range } => format!(
                "{} octets hors de tout message (position {})",
                range.len(),
                range.start
            ),
            SplitProblem::BatchCountMismatch {
                offset,
                declared,
                found,
            } => format!("le BTS (position {offset}) annonce {declared} messages, {found} trouvés"),
            SplitProblem::FileCountMismatch {
                offset,
                declared,
                found,
            } => format!("le FTS (position {offset}) annonce {declared} lots, {found} trouvés"),
            SplitProblem::MissingTrailer { segment, offset } => {
                format!("{segment} (position {offset}) sans segment de fin")
            }
            SplitProblem::MissingHeader { segment, offset } => {
                format!("{segment} (position {offset}) sans segment d'en-tête")
            }
        }
    }
}

/// What a line starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineKind {
    Blank,
    Msh,
    Fhs,
    Bhs,
    Bts,
    Fts,
    Other,
}

/// Splits a file into messages; never fails.
pub fn split_messages(file: &[u8]) -> Split {
    let mut splitter = Splitter::default();
    let start = if file.starts_with(BOM) { BOM.len() } else { 0 };
    let mut line_start = start;
    let ends = memchr2_iter(b'\r', b'\n', &file[start..])
        .map(|position| start + position)
        .chain(std::iter::once(file.len()));
    for line_end in ends {
        if line_end > line_start {
            splitter.line(file, line_start, line_end);
        }
        line_start = line_end + 1;
    }
    splitter.finish(file.len())
}

#[derive(Debug, Default)]
struct Splitter {
    split: Split,
    /// Start of the message being read.
    message: Option<usize>,
    /// Offset of the open BHS and the messages counted since.
    batch: Option<(usize, usize)>,
    /// Offset of the open FHS.
    file_header: Option<usize>,
    batches: usize,
    /// Stray bytes being accumulated.
    stray: Option<Range<usize>>,
}

impl Splitter {
    fn line(&mut self, file: &[u8], start: usize, end: usize) {
        // A leading MLLP start byte (file dumps of framed traffic) is not part of the line.
        let start = if file[start] == 0x0B {
            start + 1
        } else {
            start
        };
        let line = &file[start..end];
        match classify(line) {
            LineKind::Blank => {}
            LineKind::Other if self.message.is_some() => {}
            LineKind::Other => self.stray(start..end),
            LineKind::Msh => {
                self.close_message(start);
                self.message = Some(start);
                if let Some((_, count)) = &mut self.batch {
                    *count += 1;
                }
            }
            LineKind::Bhs => {
                self.close_message(start);
                self.close_batch_without_trailer();
                self.batch = Some((start, 0));
            }
            LineKind::Fhs => {
                self.close_message(start);
                self.close_batch_without_trailer();
                if let Some(offset) = self.file_header.replace(start) {
                    self.push(SplitProblem::MissingTrailer {
                        segment: "FHS",
                        offset,
                    });
                }
            }
            LineKind::Bts => {
                self.close_message(start);
                self.batch_trailer(line, start);
            }
            LineKind::Fts => {
                self.close_message(start);
                self.close_batch_without_trailer();
                self.file_trailer(line, start);
            }
        }
    }

    fn batch_trailer(&mut self, line: &[u8], offset: usize) {
        let Some((_, found)) = self.batch.take() else {
            self.push(SplitProblem::MissingHeader {
                segment: "BTS",
                offset,
            });
            return;
        };
        self.batches += 1;
        if let Some(declared) = count_field(line)
            && declared != found
        {
            self.push(SplitProblem::BatchCountMismatch {
                offset,
                declared,
                found,
            });
        }
    }

    fn file_trailer(&mut self, line: &[u8], offset: usize) {
        if self.file_header.take().is_none() {
            self.push(SplitProblem::MissingHeader {
                segment: "FTS",
                offset,
            });
            return;
        }
        let found = match self.batches {
            0 if !self.split.messages.is_empty() => 1,
            batches => batches,
        };
        if let Some(declared) = count_field(line)
            && declared != found
        {
            self.push(SplitProblem::FileCountMismatch {
                offset,
                declared,
                found,
            });
        }
    }

    fn close_message(&mut self, end: usize) {
        self.flush_stray();
        if let Some(start) = self.message.take() {
            self.split.messages.push(start..end);
        }
    }

    fn close_batch_without_trailer(&mut self) {
        if let Some((offset, _)) = self.batch.take() {
            self.batches += 1;
            self.push(SplitProblem::MissingTrailer {
                segment: "BHS",
                offset,
            });
        }
    }

    fn stray(&mut self, range: Range<usize>) {
        match &mut self.stray {
            Some(stray) => stray.end = range.end,
            None => self.stray = Some(range),
        }
    }

    fn flush_stray(&mut self) {
        if let Some(range) = self.stray.take() {
            self.split
                .problems
                .push(SplitProblem::BytesOutsideMessage { range });
        }
    }

    fn push(&mut self, problem: SplitProblem) {
        self.flush_stray();
        self.split.problems.push(problem);
    }

    fn finish(mut self, end: usize) -> Split {
        self.close_message(end);
        self.close_batch_without_trailer();
        if let Some(offset) = self.file_header.take() {
            self.push(SplitProblem::MissingTrailer {
                segment: "FHS",
                offset,
            });
        }
        self.flush_stray();
        self.split
    }
}

fn classify(line: &[u8]) -> LineKind {
    if line
        .iter()
        .all(|byte| byte.is_ascii_whitespace() || *byte == 0x1C)
    {
        return LineKind::Blank;
    }
    let (Some(name), next) = (line.get(..3), line.get(3)) else {
        return LineKind::Other;
    };
    let separated =
        next.is_some_and(|byte| byte.is_ascii_graphic() && !byte.is_ascii_alphanumeric());
    match name {
        b"MSH" if separated => LineKind::Msh,
        b"FHS" if separated => LineKind::Fhs,
        b"BHS" if separated => LineKind::Bhs,
        b"BTS" if separated || next.is_none() => LineKind::Bts,
        b"FTS" if separated || next.is_none() => LineKind::Fts,
        _ => LineKind::Other,
    }
}

/// BTS-1 / FTS-1 as a number, when present and numeric.
fn count_field(line: &[u8]) -> Option<usize> {
    let separator = *line.get(3)?;
    let raw = raw_piece(line, separator, 1).trim_ascii();
    std::str::from_utf8(raw).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts<'f>(file: &'f [u8], split: &Split) -> Vec<&'f [u8]> {
        split
            .messages
            .iter()
            .map(|range| &file[range.clone()])
            .collect()
    }

    #[test]
    fn concatenated_messages_any_terminator() {
        let file = b"MSH|^~\\&|A\r\nPID|1\r\nMSH|^~\\&|B\nPID|2";
        let split = split_messages(file);
        assert_eq!(
            texts(file, &split),
            [&b"MSH|^~\\&|A\r\nPID|1\r\n"[..], b"MSH|^~\\&|B\nPID|2"]
        );
        assert!(split.problems.is_empty());
    }

    #[test]
    fn batch_counts_are_checked() {
        let file = b"FHS|^~\\&\rBHS|^~\\&\rMSH|^~\\&|1\rMSH|^~\\&|2\rBTS|3\rFTS|1\r";
        let split = split_messages(file);
        assert_eq!(split.messages.len(), 2);
        assert_eq!(
            split.problems,
            [SplitProblem::BatchCountMismatch {
                offset: 40,
                declared: 3,
                found: 2
            }]
        );
    }

    #[test]
    fn garbage_and_missing_trailers_are_reported() {
        let file = b"\xEF\xBB\xBFhello\rworld\rMSH|^~\\&|1\rBHS|^~\\&\rMSH|^~\\&|2\rFTS|1";
        let split = split_messages(file);
        assert_eq!(split.messages.len(), 2);
        assert_eq!(
            split.problems[0],
            SplitProblem::BytesOutsideMessage { range: 3..14 }
        );
        assert!(matches!(
            split.problems[1],
            SplitProblem::MissingTrailer { segment: "BHS", .. }
        ));
        assert!(matches!(
            split.problems[2],
            SplitProblem::MissingHeader { segment: "FTS", .. }
        ));
    }
}
