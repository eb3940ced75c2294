//! Zero-copy views over a parsed message: segments, fields, repetitions, components and
//! subcomponents.
//!
//! A view is a byte slice of the input plus its offset and the message's delimiters and
//! character set; nothing is split until asked. Missing parts are returned as empty views, so
//! `seg.field(30).component(4).text()` never needs an `Option` chain: absent and empty look the
//! same (HL7: "no change"), and `is_null()` detects the explicit `""` (HL7: "delete").

use std::borrow::Cow;

use crate::charset::{Charset, InvalidByteAt};
use crate::delimiters::Delimiters;
use crate::error::DecodeError;
use crate::escape::unescape_into;
pub(crate) use crate::scan::nth_piece;
use crate::scan::{contains_byte, count_byte, find_byte};

/// What every view needs besides its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Context {
    pub(crate) delims: Delimiters,
    pub(crate) charset: Charset,
}

/// The bytes of one value at any level, with where they sit in the input.
#[derive(Debug, Clone, Copy)]
struct Value<'a> {
    raw: &'a [u8],
    offset: usize,
    context: Context,
    /// MSH-1 and MSH-2 hold delimiters themselves: never split nor unescaped.
    atomic: bool,
}

impl<'a> Value<'a> {
    fn empty(offset: usize, context: Context) -> Value<'a> {
        Value {
            raw: &[],
            offset,
            context,
            atomic: false,
        }
    }

    /// The `index`-th (0-based) piece when split on `separator`; empty when absent.
    fn piece(&self, separator: u8, index: usize) -> Value<'a> {
        if self.atomic {
            return if index == 0 {
                *self
            } else {
                Value::empty(self.offset + self.raw.len(), self.context)
            };
        }
        match nth_piece(self.raw, separator, index) {
            Some((start, end)) => Value {
                raw: &self.raw[start..end],
                offset: self.offset + start,
                ..*self
            },
            None => Value::empty(self.offset + self.raw.len(), self.context),
        }
    }

    fn pieces(&self, separator: u8) -> Pieces<'a> {
        Pieces {
            value: *self,
            separator: if self.atomic { None } else { Some(separator) },
            position: 0,
            done: self.raw.is_empty(),
        }
    }

    fn count(&self, separator: u8) -> usize {
        match (self.raw.is_empty(), self.atomic) {
            (true, _) => 0,
            (false, true) => 1,
            (false, false) => count_byte(separator, self.raw) + 1,
        }
    }

    fn text(&self) -> Result<Cow<'a, str>, DecodeError> {
        let charset = self.context.charset;
        let escape = self.context.delims.escape;
        if self.atomic || !contains_byte(escape, self.raw) {
            return charset
                .decode(self.raw)
                .map_err(|InvalidByteAt(at)| self.invalid_byte(at));
        }
        let mut bytes = Vec::with_capacity(self.raw.len());
        unescape_into(self.raw, &self.context.delims, &mut bytes, &mut |_| {});
        charset.decode_owned(bytes).map(Cow::Owned).map_err(|_| {
            match charset.first_invalid(self.raw) {
                Some(at) => self.invalid_byte(at),
                None => DecodeError::InvalidHexEscapeBytes {
                    charset,
                    offset: self.offset,
                },
            }
        })
    }

    fn invalid_byte(&self, at: usize) -> DecodeError {
        DecodeError::InvalidByte {
            charset: self.context.charset,
            offset: self.offset + at,
            byte: self.raw.get(at).copied().unwrap_or(0),
        }
    }
}

/// Iterator over the pieces of a value split on one separator.
#[derive(Debug, Clone)]
struct Pieces<'a> {
    value: Value<'a>,
    separator: Option<u8>,
    position: usize,
    done: bool,
}

impl<'a> Iterator for Pieces<'a> {
    type Item = Value<'a>;

    fn next(&mut self) -> Option<Value<'a>> {
        if self.done {
            return None;
        }
        let rest = &self.value.raw[self.position..];
        let length = match self
            .separator
            .and_then(|separator| find_byte(separator, rest))
        {
            Some(length) => length,
            None => {
                self.done = true;
                rest.len()
            }
        };
        let piece = Value {
            raw: &rest[..length],
            offset: self.value.offset + self.position,
            ..self.value
        };
        self.position += length + 1;
        Some(piece)
    }
}

/// Shared accessors of every level of value.
macro_rules! value_accessors {
    ($type:ident) => {
        impl<'a> $type<'a> {
            /// The raw bytes, escapes and separators of lower levels included.
            pub fn raw(&self) -> &'a [u8] {
                self.value.raw
            }

            /// The raw bytes as `str` when they are valid UTF-8 (no unescaping); handy for codes.
            pub fn raw_str(&self) -> Option<&'a str> {
                std::str::from_utf8(self.value.raw).ok()
            }

            /// Offset of the first byte from the start of the message input.
            pub fn offset(&self) -> usize {
                self.value.offset
            }

            /// True when absent or empty: in an update, "leave the stored value unchanged".
            pub fn is_empty(&self) -> bool {
                self.value.raw.is_empty()
            }

            /// True for the explicit HL7 null `""`: in an update, "delete the stored value".
            pub fn is_null(&self) -> bool {
                self.value.raw == b"\"\""
            }

            /// True when the value carries data (neither empty nor `""`).
            pub fn has_value(&self) -> bool {
                !self.is_empty() && !self.is_null()
            }

            /// The unescaped text, decoded with the message's character set.
            ///
            /// Lower-level separators are kept as they are (`text()` of `A^B` is `"A^B"`), while
            /// escaped ones are decoded (`A\S\B` gives `"A^B"`). The null `""` is returned as two
            /// quote characters: test `is_null()` first, or use `text_opt()`. Invalid escapes
            /// are kept literally (the parser has already recorded a warning).
            pub fn text(&self) -> Result<Cow<'a, str>, DecodeError> {
                self.value.text()
            }

            /// Like `text()`, but `None` for an empty value or the null `""`.
            pub fn text_opt(&self) -> Result<Option<Cow<'a, str>>, DecodeError> {
                if self.has_value() {
                    self.value.text().map(Some)
                } else {
                    Ok(None)
                }
            }
        }
    };
}

/// One segment (one line) of a message.
#[derive(Debug, Clone, Copy)]
pub struct Segment<'a> {
    raw: &'a [u8],
    offset: usize,
    index: usize,
    context: Context,
}

/// A field: all its repetitions.
#[derive(Debug, Clone, Copy)]
pub struct Field<'a> {
    value: Value<'a>,
}

/// One repetition of a field.
#[derive(Debug, Clone, Copy)]
pub struct Repetition<'a> {
    value: Value<'a>,
}

/// One component of a repetition.
#[derive(Debug, Clone, Copy)]
pub struct Component<'a> {
    value: Value<'a>,
}

/// One subcomponent of a component.
#[derive(Debug, Clone, Copy)]
pub struct Subcomponent<'a> {
    value: Value<'a>,
}

value_accessors!(Field);
value_accessors!(Repetition);
value_accessors!(Component);
value_accessors!(Subcomponent);

impl<'a> Segment<'a> {
    pub(crate) fn new(raw: &'a [u8], offset: usize, index: usize, context: Context) -> Self {
        Segment {
            raw,
            offset,
            index,
            context,
        }
    }

    /// The segment name (`PID`, `ZBE`...): the bytes before the first field separator.
    pub fn name(&self) -> &'a str {
        let end = find_byte(self.context.delims.field, self.raw).unwrap_or(self.raw.len());
        std::str::from_utf8(&self.raw[..end]).unwrap_or("")
    }

    /// True when the segment is named `name` (cheap byte comparison).
    pub fn is(&self, name: &str) -> bool {
        let name = name.as_bytes();
        self.raw.starts_with(name)
            && self
                .raw
                .get(name.len())
                .is_none_or(|&byte| byte == self.context.delims.field)
    }

    /// Position of the segment in the message, 0-based (MSH is 0).
    pub fn index(&self) -> usize {
        self.index
    }

    /// The raw bytes of the segment, without its terminator.
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// Offset of the segment from the start of the message input.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The delimiters of the message.
    pub fn delimiters(&self) -> Delimiters {
        self.context.delims
    }

    /// Field `number` in HL7 numbering; an empty field when absent.
    ///
    /// For header segments (`MSH`, `BHS`, `FHS`), field 1 is the field separator itself and
    /// field 2 the encoding characters, neither split nor unescaped, so `MSH-9` is the message
    /// type. Field 0 is the segment name.
    pub fn field(&self, number: usize) -> Field<'a> {
        let whole = Value {
            raw: self.raw,
            offset: self.offset,
            context: self.context,
            atomic: false,
        };
        let separator = self.context.delims.field;
        let value = match (self.is_header(), number) {
            (true, 1) => Value {
                raw: self.raw.get(3..4).unwrap_or(&[]),
                offset: self.offset + 3,
                atomic: true,
                ..whole
            },
            (true, 2) => Value {
                atomic: true,
                ..whole.piece(separator, 1)
            },
            (true, n) if n > 2 => whole.piece(separator, n - 1),
            (_, n) => whole.piece(separator, n),
        };
        Field { value }
    }

    /// Number of the last field present (0 for a bare segment name).
    pub fn field_count(&self) -> usize {
        let separators = count_byte(self.context.delims.field, self.raw);
        if self.is_header() && separators > 0 {
            separators + 1
        } else {
            separators
        }
    }

    /// All fields with their HL7 numbers, from 1 to `field_count()`, in one linear pass.
    pub fn fields(&self) -> impl Iterator<Item = (usize, Field<'a>)> + use<'a> {
        let whole = Value {
            raw: self.raw,
            offset: self.offset,
            context: self.context,
            atomic: false,
        };
        let header = self.is_header();
        let separator_field = header.then(|| self.field(1));
        let pieces = whole.pieces(self.context.delims.field).enumerate().skip(1);
        let rest = pieces.map(move |(index, value)| match (header, index) {
            (true, 1) => (
                2,
                Field {
                    value: Value {
                        atomic: true,
                        ..value
                    },
                },
            ),
            (true, _) => (index + 1, Field { value }),
            (false, _) => (index, Field { value }),
        });
        separator_field
            .map(|field| (1, field))
            .into_iter()
            .chain(rest)
    }

    /// Segments whose fields 1 and 2 are delimiters (MSH and the batch headers FHS/BHS).
    pub(crate) fn is_header(&self) -> bool {
        let field = self.context.delims.field;
        ["MSH", "FHS", "BHS"]
            .iter()
            .any(|name| self.raw.starts_with(name.as_bytes()) && self.raw.get(3) == Some(&field))
    }
}

impl<'a> Field<'a> {
    /// The repetitions; none for an empty field, `n` (possibly empty) for `n - 1` separators.
    pub fn repetitions(&self) -> impl Iterator<Item = Repetition<'a>> + use<'a> {
        let separator = self.value.context.delims.repetition;
        self.value
            .pieces(separator)
            .map(|value| Repetition { value })
    }

    /// Repetition `number` (1-based); empty when absent.
    pub fn repetition(&self, number: usize) -> Repetition<'a> {
        let separator = self.value.context.delims.repetition;
        let value = self.value.piece(separator, number.saturating_sub(1));
        Repetition {
            value: if number == 0 { self.empty() } else { value },
        }
    }

    /// Number of repetitions (0 for an empty field).
    pub fn repetition_count(&self) -> usize {
        self.value.count(self.value.context.delims.repetition)
    }

    /// Component `number` (1-based) of the first repetition.
    pub fn component(&self, number: usize) -> Component<'a> {
        self.repetition(1).component(number)
    }

    /// The components of the first repetition.
    pub fn components(&self) -> impl Iterator<Item = Component<'a>> + use<'a> {
        self.repetition(1).components()
    }

    fn empty(&self) -> Value<'a> {
        Value::empty(self.value.offset, self.value.context)
    }
}

impl<'a> Repetition<'a> {
    /// Component `number` (1-based); empty when absent.
    pub fn component(&self, number: usize) -> Component<'a> {
        let separator = self.value.context.delims.component;
        let value = match number {
            0 => Value::empty(self.value.offset, self.value.context),
            n => self.value.piece(separator, n - 1),
        };
        Component { value }
    }

    /// All components; none for an empty repetition.
    pub fn components(&self) -> impl Iterator<Item = Component<'a>> + use<'a> {
        let separator = self.value.context.delims.component;
        self.value
            .pieces(separator)
            .map(|value| Component { value })
    }

    /// Number of components (0 for an empty repetition).
    pub fn component_count(&self) -> usize {
        self.value.count(self.value.context.delims.component)
    }
}

impl<'a> Component<'a> {
    /// Subcomponent `number` (1-based); empty when absent.
    pub fn subcomponent(&self, number: usize) -> Subcomponent<'a> {
        let separator = self.value.context.delims.subcomponent;
        let value = match number {
            0 => Value::empty(self.value.offset, self.value.context),
            n => self.value.piece(separator, n - 1),
        };
        Subcomponent { value }
    }

    /// All subcomponents; none for an empty component.
    pub fn subcomponents(&self) -> impl Iterator<Item = Subcomponent<'a>> + use<'a> {
        let separator = self.value.context.delims.subcomponent;
        self.value
            .pieces(separator)
            .map(|value| Subcomponent { value })
    }

    /// Number of subcomponents (0 for an empty component).
    pub fn subcomponent_count(&self) -> usize {
        self.value.count(self.value.context.delims.subcomponent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(raw: &str) -> Segment<'_> {
        let context = Context {
            delims: Delimiters::default(),
            charset: Charset::Utf8,
        };
        Segment::new(raw.as_bytes(), 0, 1, context)
    }

    #[test]
    fn fields_components_subcomponents() {
        let pid = segment("PID|1||A^^^H&1.2&ISO^PI~B^^^I^INS||DOE^JOHN");
        assert_eq!(pid.name(), "PID");
        assert!(pid.is("PID"));
        assert!(!pid.is("PI"));
        assert_eq!(pid.field_count(), 5);
        let identifiers = pid.field(3);
        assert_eq!(identifiers.repetition_count(), 2);
        let second = identifiers.repetition(2);
        assert_eq!(second.component(5).text().unwrap(), "INS");
        let authority = identifiers.component(4);
        assert_eq!(authority.subcomponent(2).text().unwrap(), "1.2");
        assert_eq!(authority.subcomponent_count(), 3);
        assert_eq!(pid.field(5).component(2).text().unwrap(), "JOHN");
        assert!(pid.field(2).is_empty());
        assert!(pid.field(99).is_empty());
        assert!(pid.field(3).repetition(3).is_empty());
        assert_eq!(
            pid.field(5).offset(),
            "PID|1||A^^^H&1.2&ISO^PI~B^^^I^INS||".len()
        );
    }

    #[test]
    fn header_numbering() {
        let msh = segment("MSH|^~\\&|APP|FAC");
        assert_eq!(msh.field(1).raw(), b"|");
        assert_eq!(msh.field(2).text().unwrap(), "^~\\&");
        assert_eq!(msh.field(2).component(1).raw(), b"^~\\&");
        assert_eq!(msh.field(3).text().unwrap(), "APP");
        assert_eq!(msh.field_count(), 4);
        let numbered: Vec<_> = msh.fields().map(|(n, field)| (n, field.raw())).collect();
        assert_eq!(
            numbered,
            [(1, &b"|"[..]), (2, b"^~\\&"), (3, b"APP"), (4, b"FAC")]
        );
        let pid = segment("PID|a||c");
        let numbered: Vec<_> = pid.fields().map(|(n, field)| (n, field.raw())).collect();
        assert_eq!(numbered, [(1, &b"a"[..]), (2, b""), (3, b"c")]);
        assert_eq!(segment("PID").fields().count(), 0);
    }

    #[test]
    fn null_versus_empty() {
        let pid = segment("PID|1|\"\"||\"\"^X");
        assert!(pid.field(2).is_null());
        assert!(!pid.field(2).is_empty());
        assert!(pid.field(3).is_empty());
        assert!(!pid.field(4).is_null());
        assert!(pid.field(4).component(1).is_null());
        assert_eq!(pid.field(2).text_opt().unwrap(), None);
    }

    #[test]
    fn repetition_iteration() {
        let pv1 = segment("PV1|~~|");
        assert_eq!(pv1.field(1).repetitions().count(), 3);
        assert_eq!(pv1.field(2).repetitions().count(), 0);
        let texts: Vec<_> = segment("X|a~b^c")
            .field(1)
            .repetitions()
            .map(|rep| rep.component(1).text().unwrap().into_owned())
            .collect();
        assert_eq!(texts, ["a", "b"]);
    }
}
