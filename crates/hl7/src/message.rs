//! One HL7 v2 message: finding its segments, reading its delimiters and character set from
//! MSH, collecting warnings, and the header and path helpers mappers use.
//!
//! Parsing is one pass over the bytes to find segment ends (CR, LF or CRLF) plus a search for
//! the escape character; fields are split lazily when read, so a message costs one small
//! allocation (the segment table) and no copy.

use std::borrow::Cow;

use memchr::memchr2_iter;

use crate::charset::Charset;
use crate::delimiters::{DelimiterProblem, Delimiters};
use crate::error::{Location, ParseError, Warning, WarningKind};
use crate::escape::{EscapeIssue, unescape_into};
use crate::scan::{contains_byte, find_byte};
use crate::value::{Context, Field, Segment, nth_piece};

const BOM: &[u8] = b"\xEF\xBB\xBF";
const MLLP_START: u8 = 0x0B;
const MLLP_END: u8 = 0x1C;

/// A parsed message borrowing its input.
#[derive(Debug, Clone)]
pub struct Message<'a> {
    input: &'a [u8],
    context: Context,
    /// Start and end (exclusive, terminator excluded) of each non-blank segment in `input`.
    spans: Vec<(usize, usize)>,
    warnings: Vec<Warning>,
}

/// MSH-9: message code, trigger event and message structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageType<'a> {
    /// MSH-9.1, e.g. `ADT`.
    pub code: &'a str,
    /// MSH-9.2, e.g. `A01`.
    pub trigger: &'a str,
    /// MSH-9.3, e.g. `ADT_A01`; `None` when absent (common before v2.4).
    pub structure: Option<&'a str>,
}

impl<'a> Message<'a> {
    /// Parses one message.
    ///
    /// Tolerated: a UTF-8 BOM, MLLP framing bytes around the message, CR/LF/CRLF terminators,
    /// blank lines, trailing empty segments and a missing final terminator. Only a missing or
    /// unusable MSH header is an error; everything else becomes a [`Warning`].
    pub fn parse(input: &'a [u8]) -> Result<Message<'a>, ParseError> {
        let mut warnings = Vec::new();
        let (start, end) = body_bounds(input, &mut warnings);
        let spans = segment_spans(input, start, end, &mut warnings);
        let &(msh_start, msh_end) = spans.first().ok_or(ParseError::EmptyMessage)?;
        let (delims, doubled) = read_delimiters(&input[msh_start..msh_end])?;
        if doubled {
            warnings.push(header_warning(2, WarningKind::DoubledEscapeCharacter));
        }
        let provisional = Context {
            delims,
            charset: Charset::Utf8,
        };
        let msh = Segment::new(&input[msh_start..msh_end], msh_start, 0, provisional);
        let declared = msh.field(18).repetition(1).component(1).raw();
        let charset = Charset::from_declaration(declared);
        let mut message = Message {
            input,
            context: Context { delims, charset },
            spans,
            warnings,
        };
        message.check_charset(declared, start, end);
        message.check_segment_names();
        message.check_escapes();
        Ok(message)
    }

    /// The whole input, byte for byte: an untouched message re-serialises identically.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.input
    }

    /// The delimiters declared in MSH-1/MSH-2.
    pub fn delimiters(&self) -> Delimiters {
        self.context.delims
    }

    /// The character set used to decode text (MSH-18, UTF-8 when absent or unsupported).
    pub fn charset(&self) -> Charset {
        self.context.charset
    }

    /// Non-fatal problems found while parsing, in input order within each kind.
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// All segments in order (MSH first); walk them to find groups (OBR then its OBX/NTE).
    pub fn segments(
        &self,
    ) -> impl ExactSizeIterator<Item = Segment<'a>> + DoubleEndedIterator + '_ {
        (0..self.spans.len()).map(|index| self.segment_at(index))
    }

    /// Number of segments.
    pub fn segment_count(&self) -> usize {
        self.spans.len()
    }

    /// The segment at `index` (0-based, MSH is 0).
    ///
    /// # Panics
    /// When `index >= segment_count()`, like slice indexing.
    pub fn segment_at(&self, index: usize) -> Segment<'a> {
        let (start, end) = self.spans[index];
        Segment::new(&self.input[start..end], start, index, self.context)
    }

    /// The first segment named `name`.
    pub fn segment(&self, name: &str) -> Option<Segment<'a>> {
        self.segments().find(|segment| segment.is(name))
    }

    /// All segments named `name`, in order.
    pub fn segments_named<'m>(&'m self, name: &'m str) -> impl Iterator<Item = Segment<'a>> + 'm {
        self.segments().filter(move |segment| segment.is(name))
    }

    /// The MSH segment.
    pub fn msh(&self) -> Segment<'a> {
        self.segment_at(0)
    }

    /// MSH-9 split into code, trigger and structure.
    pub fn message_type(&self) -> MessageType<'a> {
        let field = self.msh().field(9);
        let structure = field.component(3).raw_str().filter(|text| !text.is_empty());
        MessageType {
            code: field.component(1).raw_str().unwrap_or(""),
            trigger: field.component(2).raw_str().unwrap_or(""),
            structure,
        }
    }

    /// MSH-10, the message control id (raw; `None` when empty).
    pub fn control_id(&self) -> Option<&'a str> {
        non_empty(self.msh().field(10).repetition(1).raw_str())
    }

    /// MSH-12.1, the version id (`2.5` for `2.5^FRA^2.11`).
    pub fn version(&self) -> Option<&'a str> {
        non_empty(self.msh().field(12).component(1).raw_str())
    }

    /// MSH-3, the sending application (HD: namespace^universal id^type).
    pub fn sending_application(&self) -> Field<'a> {
        self.msh().field(3)
    }

    /// MSH-4, the sending facility (HD).
    pub fn sending_facility(&self) -> Field<'a> {
        self.msh().field(4)
    }

    /// MSH-5, the receiving application (HD).
    pub fn receiving_application(&self) -> Field<'a> {
        self.msh().field(5)
    }

    /// MSH-6, the receiving facility (HD).
    pub fn receiving_facility(&self) -> Field<'a> {
        self.msh().field(6)
    }

    /// MSH-7.1, the message date/time, raw (parse it with [`crate::ts::Ts::parse`]).
    pub fn header_time_raw(&self) -> Option<&'a str> {
        non_empty(self.msh().field(7).component(1).raw_str())
    }

    /// MSH-11.1, the processing id (`P`, `T`, `D`).
    pub fn processing_id(&self) -> Option<&'a str> {
        non_empty(self.msh().field(11).component(1).raw_str())
    }

    /// The text at `path` (`SEG-field[.component[.subcomponent]]`, e.g. `PID-5.1`), first
    /// repetition of the first such segment. `None` when absent, empty, `""` or undecodable
    /// (use [`Message::try_get`] to see decoding errors).
    pub fn get(&self, path: &str) -> Option<Cow<'a, str>> {
        self.get_rep(path, 1)
    }

    /// Like [`Message::get`], for repetition `repetition` (1-based) of the field.
    pub fn get_rep(&self, path: &str, repetition: usize) -> Option<Cow<'a, str>> {
        self.try_get(path, repetition).ok().flatten()
    }

    /// Like [`Message::get_rep`], but reports undecodable bytes instead of hiding them.
    /// A malformed path gives `Ok(None)`.
    pub fn try_get(
        &self,
        path: &str,
        repetition: usize,
    ) -> Result<Option<Cow<'a, str>>, crate::DecodeError> {
        let Some(path) = Path::parse(path) else {
            return Ok(None);
        };
        let Some(segment) = self.segment(path.segment) else {
            return Ok(None);
        };
        let repetition = segment.field(path.field).repetition(repetition);
        match (path.component, path.subcomponent) {
            (None, _) => repetition.text_opt(),
            (Some(component), None) => repetition.component(component).text_opt(),
            (Some(component), Some(sub)) => {
                repetition.component(component).subcomponent(sub).text_opt()
            }
        }
    }

    /// Location (segment, field, repetition, component, subcomponent) of an input offset.
    pub fn location_of(&self, offset: usize) -> Location {
        let index = self
            .spans
            .partition_point(|&(start, _)| start <= offset)
            .saturating_sub(1);
        let Some(&(start, end)) = self.spans.get(index) else {
            return Location::default();
        };
        let segment = self.segment_at(index);
        let mut location = segment_location(&segment);
        let within = &self.input[start..end.max(start).min(offset.max(start))];
        locate_in_segment(&segment, within, &mut location);
        location
    }

    fn check_charset(&mut self, declared: &[u8], start: usize, end: usize) {
        let charset = self.context.charset;
        if charset == Charset::Unsupported {
            let declared = String::from_utf8_lossy(declared).into_owned();
            self.warnings.push(header_warning(
                18,
                WarningKind::UnsupportedCharset { declared },
            ));
        }
        let body = &self.input[start..end];
        if let Some(at) = charset.first_invalid(body) {
            let offset = start + at;
            let kind = WarningKind::InvalidBytes { charset, offset };
            let location = self.location_of(offset);
            self.warnings.push(Warning { location, kind });
        } else if charset == Charset::Ascii && !body.is_ascii() {
            self.warnings
                .push(header_warning(18, WarningKind::NonAsciiInAsciiMessage));
        }
    }

    fn check_segment_names(&mut self) {
        for index in 1..self.spans.len() {
            let segment = self.segment_at(index);
            let name = segment.name();
            let usual = name.len() == 3
                && name
                    .bytes()
                    .all(|byte| byte.is_ascii_uppercase() || byte.is_ascii_digit());
            if !usual {
                let name = String::from_utf8_lossy(
                    &segment.raw()[..segment.raw().len().min(name.len().max(8))],
                )
                .into_owned();
                let location = segment_location(&segment);
                let kind = WarningKind::UnusualSegmentName { name };
                self.warnings.push(Warning { location, kind });
            }
        }
    }

    /// Records a warning for every escape sequence that cannot be decoded as written.
    fn check_escapes(&mut self) {
        let escape = self.context.delims.escape;
        let mut found = Vec::new();
        for segment in self.segments() {
            // Skip the segment name and, for headers, MSH-1/MSH-2 which hold the delimiters.
            let (skip, searched) = if segment.is_header() {
                (
                    2,
                    segment.field(2).offset() + segment.field(2).raw().len() - segment.offset(),
                )
            } else {
                (0, 0)
            };
            if !contains_byte(escape, &segment.raw()[searched..]) {
                continue;
            }
            for (number, field) in segment.fields().skip(skip) {
                if contains_byte(escape, field.raw()) {
                    collect_field_escapes(&segment, number, field, &mut found);
                }
            }
        }
        self.warnings.extend(found);
    }
}

/// Start and end of the message body: BOM and MLLP framing excluded (with a warning).
fn body_bounds(input: &[u8], warnings: &mut Vec<Warning>) -> (usize, usize) {
    let mut start = if input.starts_with(BOM) { BOM.len() } else { 0 };
    let mut end = input.len();
    let mut framed = false;
    if input.get(start) == Some(&MLLP_START) {
        start += 1;
        framed = true;
    }
    let trimmed_end = input[start..end]
        .iter()
        .rposition(|byte| !byte.is_ascii_whitespace())
        .map_or(start, |position| start + position);
    if input.get(trimmed_end) == Some(&MLLP_END) {
        end = trimmed_end;
        framed = true;
    }
    if framed {
        warnings.push(Warning {
            location: Location::default(),
            kind: WarningKind::MllpFramingStripped,
        });
    }
    (start, end)
}

/// Finds non-blank segments between CR/LF terminators (other trailing whitespace excluded).
fn segment_spans(
    input: &[u8],
    start: usize,
    end: usize,
    warnings: &mut Vec<Warning>,
) -> Vec<(usize, usize)> {
    let body = &input[start..end];
    let mut spans = Vec::with_capacity(body.len() / 48 + 2);
    let mut line_start = 0;
    let ends = memchr2_iter(b'\r', b'\n', body).chain(std::iter::once(body.len()));
    for line_end in ends {
        // Trailing spaces and tabs are editor or export artefacts, not data: drop them from the
        // segment (the input itself, returned by `as_bytes`, is untouched).
        let raw_line = &body[line_start..line_end];
        let line = raw_line.trim_ascii_end();
        if !line.is_empty() {
            spans.push((start + line_start, start + line_start + line.len()));
        } else if !raw_line.is_empty() {
            warnings.push(Warning {
                location: Location {
                    segment_index: spans.len(),
                    ..Location::default()
                },
                kind: WarningKind::WhitespaceLineSkipped,
            });
        }
        line_start = line_end + 1;
    }
    spans
}

fn read_delimiters(msh: &[u8]) -> Result<(Delimiters, bool), ParseError> {
    if !msh.starts_with(b"MSH") {
        let shown = &msh[..msh.len().min(8)];
        return Err(ParseError::MissingMsh {
            found: String::from_utf8_lossy(shown).into_owned(),
        });
    }
    let &[_, _, _, field, ..] = msh else {
        return Err(ParseError::MshTooShort { len: msh.len() });
    };
    let rest = &msh[4..];
    let encoding = &rest[..find_byte(field, rest).unwrap_or(rest.len())];
    if msh.len() < 8 && encoding.len() < 4 && field.is_ascii_graphic() {
        return Err(ParseError::MshTooShort { len: msh.len() });
    }
    Delimiters::from_header(field, encoding).map_err(|problem| match problem {
        DelimiterProblem::BadFieldSeparator => ParseError::InvalidFieldSeparator {
            found: char::from(field),
        },
        DelimiterProblem::BadEncodingCharacters => ParseError::InvalidEncodingCharacters {
            found: String::from_utf8_lossy(encoding).into_owned(),
        },
    })
}

fn header_warning(field: usize, kind: WarningKind) -> Warning {
    Warning {
        location: Location {
            segment: "MSH".into(),
            field,
            ..Location::default()
        },
        kind,
    }
}

fn non_empty(text: Option<&str>) -> Option<&str> {
    text.filter(|text| !text.is_empty())
}

fn segment_location(segment: &Segment<'_>) -> Location {
    Location {
        segment: segment.name().to_owned(),
        segment_index: segment.index(),
        ..Location::default()
    }
}

/// Fills field/repetition/component/subcomponent numbers for the end of `before`, the part of
/// a segment that precedes an offset.
fn locate_in_segment(segment: &Segment<'_>, before: &[u8], location: &mut Location) {
    let delims = segment.delimiters();
    let separators = before.iter().filter(|&&byte| byte == delims.field).count();
    if separators == 0 {
        return;
    }
    location.field = if segment.is_header() {
        separators + 1
    } else {
        separators
    };
    let field_start = before
        .iter()
        .rposition(|&byte| byte == delims.field)
        .map_or(0, |p| p + 1);
    let in_field = &before[field_start..];
    let count = |separator: u8, bytes: &[u8]| bytes.iter().filter(|&&b| b == separator).count();
    let repetition_start = in_field
        .iter()
        .rposition(|&byte| byte == delims.repetition)
        .map_or(0, |p| p + 1);
    let in_repetition = &in_field[repetition_start..];
    let component_start = in_repetition
        .iter()
        .rposition(|&byte| byte == delims.component)
        .map_or(0, |p| p + 1);
    location.repetition = count(delims.repetition, in_field) + 1;
    location.component = count(delims.component, in_repetition) + 1;
    let subcomponents = count(delims.subcomponent, &in_repetition[component_start..]);
    location.subcomponent = if subcomponents > 0 {
        subcomponents + 1
    } else {
        0
    };
}

fn collect_field_escapes(
    segment: &Segment<'_>,
    number: usize,
    field: Field<'_>,
    found: &mut Vec<Warning>,
) {
    let escape = segment.delimiters().escape;
    let delims = segment.delimiters();
    let mut scratch = Vec::new();
    for (repetition_index, repetition) in field.repetitions().enumerate() {
        for (component_index, component) in repetition.components().enumerate() {
            let has_subcomponents = contains_byte(delims.subcomponent, component.raw());
            for (sub_index, sub) in component.subcomponents().enumerate() {
                if !contains_byte(escape, sub.raw()) {
                    continue;
                }
                let location = Location {
                    segment: segment.name().to_owned(),
                    segment_index: segment.index(),
                    field: number,
                    repetition: repetition_index + 1,
                    component: component_index + 1,
                    subcomponent: if has_subcomponents { sub_index + 1 } else { 0 },
                };
                scratch.clear();
                unescape_into(sub.raw(), &delims, &mut scratch, &mut |issue| {
                    found.push(Warning {
                        location: location.clone(),
                        kind: issue_kind(issue),
                    });
                });
            }
        }
    }
}

fn issue_kind(issue: EscapeIssue) -> WarningKind {
    match issue {
        EscapeIssue::Invalid(sequence) => WarningKind::InvalidEscape { sequence },
        EscapeIssue::Unsupported(sequence) => WarningKind::UnsupportedEscape { sequence },
        EscapeIssue::FormattingIgnored(sequence) => {
            WarningKind::FormattingEscapeIgnored { sequence }
        }
        EscapeIssue::NulDropped => WarningKind::NulByteDropped,
    }
}

/// A parsed `SEG-field[.component[.subcomponent]]` path.
struct Path<'p> {
    segment: &'p str,
    field: usize,
    component: Option<usize>,
    subcomponent: Option<usize>,
}

impl<'p> Path<'p> {
    /// Accepts `PID-5.1.2` and `PID.5.1.2`.
    fn parse(path: &'p str) -> Option<Path<'p>> {
        let split = path.find(['-', '.'])?;
        let segment = &path[..split];
        let mut numbers = path[split + 1..].split('.');
        let field = numbers.next()?.parse::<usize>().ok()?;
        let mut next_positive = || match numbers.next() {
            None => Ok(None),
            Some(part) => match part.parse::<usize>() {
                Ok(number) if number > 0 => Ok(Some(number)),
                _ => Err(()),
            },
        };
        let component = next_positive().ok()?;
        let subcomponent = next_positive().ok()?;
        let trailing = next_positive();
        if segment.is_empty()
            || trailing != Ok(None)
            || (component.is_none() && subcomponent.is_some())
        {
            return None;
        }
        Some(Path {
            segment,
            field,
            component,
            subcomponent,
        })
    }
}

/// Returns `(start, end)` of piece `index` of `raw`, for modules that split raw bytes.
pub(crate) fn raw_piece(raw: &[u8], separator: u8, index: usize) -> &[u8] {
    nth_piece(raw, separator, index).map_or(&[][..], |(start, end)| &raw[start..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    const ADT: &str = "MSH|^~\\&|GAM|HOSP|NODE|HOSP|20240114150000+0100||ADT^A01^ADT_A01|C1|P|2.5^FRA^2.11|||||FRA|UNICODE UTF-8\r\
EVN||20240114150000\r\
PID|1||T1^^^HOSP^PI~299^^^INS&1.2.250&ISO^INS||DUPONT^JEAN^^^M.||19600101|M|||1 RUE^^PARIS^^75001||\"\"\r\
PV1|1|I|W1^101^1\r";

    #[test]
    fn header_helpers() {
        let msg = Message::parse(ADT.as_bytes()).expect("valid");
        let kind = msg.message_type();
        assert_eq!(
            (kind.code, kind.trigger, kind.structure),
            ("ADT", "A01", Some("ADT_A01"))
        );
        assert_eq!(msg.control_id(), Some("C1"));
        assert_eq!(msg.version(), Some("2.5"));
        assert_eq!(
            msg.sending_application().component(1).text().unwrap(),
            "GAM"
        );
        assert_eq!(msg.header_time_raw(), Some("20240114150000+0100"));
        assert_eq!(msg.charset(), Charset::Utf8);
        assert_eq!(msg.segment_count(), 4);
        assert!(msg.warnings().is_empty(), "{:?}", msg.warnings());
    }

    #[test]
    fn paths() {
        let msg = Message::parse(ADT.as_bytes()).expect("valid");
        assert_eq!(msg.get("PID-5.1").as_deref(), Some("DUPONT"));
        assert_eq!(msg.get("PID.5.2").as_deref(), Some("JEAN"));
        assert_eq!(msg.get_rep("PID-3.4.2", 2).as_deref(), Some("1.2.250"));
        assert_eq!(msg.get("PID-13"), None);
        assert_eq!(msg.get("MSH-9.2").as_deref(), Some("A01"));
        assert_eq!(msg.get("PID-5.0"), None);
        assert_eq!(msg.get("PID"), None);
        assert_eq!(msg.get("ZZZ-1"), None);
    }

    #[test]
    fn terminators_bom_and_blank_lines() {
        let input = b"\xEF\xBB\xBFMSH|^~\\&|A\r\n\r\nPID|1\n\n  \nPV1|1\r\n\r\n";
        let msg = Message::parse(input).expect("valid");
        let names: Vec<_> = msg.segments().map(|segment| segment.name()).collect();
        assert_eq!(names, ["MSH", "PID", "PV1"]);
        assert_eq!(msg.as_bytes(), input);
        assert_eq!(msg.warnings().len(), 1);
    }

    #[test]
    fn trailing_whitespace_ends_segments() {
        let input = b"MSH|^~\\&|A \rPID|1||X||NO \t\r\nPV1| \r";
        let msg = Message::parse(input).expect("valid");
        assert_eq!(msg.get("MSH-3").as_deref(), Some("A"));
        assert_eq!(msg.segment("PID").expect("PID").raw(), b"PID|1||X||NO");
        assert!(msg.segment("PV1").expect("PV1").field(1).is_empty());
        assert_eq!(msg.as_bytes(), input);
    }

    #[test]
    fn errors_name_what_failed() {
        assert!(matches!(
            Message::parse(b"\r\n"),
            Err(ParseError::EmptyMessage)
        ));
        assert!(matches!(
            Message::parse(b"PID|1"),
            Err(ParseError::MissingMsh { .. })
        ));
        assert!(matches!(
            Message::parse(b"MSH"),
            Err(ParseError::MshTooShort { len: 3 })
        ));
        assert!(matches!(
            Message::parse(b"MSH|^~"),
            Err(ParseError::MshTooShort { .. })
        ));
        assert!(matches!(
            Message::parse(b"MSHA^~\\&"),
            Err(ParseError::InvalidFieldSeparator { found: 'A' })
        ));
        assert!(matches!(
            Message::parse(b"MSH|^^\\&|"),
            Err(ParseError::InvalidEncodingCharacters { .. })
        ));
    }

    #[test]
    fn location_of_offsets() {
        let msg = Message::parse(ADT.as_bytes()).expect("valid");
        let offset = ADT.find("JEAN").expect("present");
        assert_eq!(msg.location_of(offset).to_string(), "PID-5.2");
        let offset = ADT.find("1.2.250").expect("present");
        assert_eq!(msg.location_of(offset).to_string(), "PID-3[2].4.2");
        let offset = ADT.find("C1").expect("present");
        assert_eq!(msg.location_of(offset).to_string(), "MSH-10.1");
    }
}
