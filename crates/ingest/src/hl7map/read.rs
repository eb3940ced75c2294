//! Reading HL7 data types (CX, XPN, XCN, PL, CE/CWE, EI, HD) out of parser views, with the
//! per-message state every mapper shares: the message, the settings, the MSH-7 offset and the
//! warnings collected so far.
//!
//! Values are decoded once, through `text_opt()`; a value whose bytes do not fit the declared
//! character set is read by [`super::charset`] (Windows-1252 when MSH-18 is absent) and
//! reported with its field, never dropped and never replaced silently.

use std::borrow::Cow;
use std::fmt;

use ckisa_domain::{Coded, Field as Tri, Identifier, Moment, Place, ResourceRef};
use ckisa_hl7::{Component, DecodeError, Field, Message, Repetition, Subcomponent};

use super::MapContext;
use super::charset::{self, Declared, Unreadable};
use super::time;

/// Common surface of the four levels of parser views.
pub(super) trait View<'a>: Copy {
    /// Raw bytes, escapes included.
    fn bytes(&self) -> &'a [u8];
    /// Decoded text, `None` for empty or `""`.
    fn decoded(&self) -> Result<Option<Cow<'a, str>>, DecodeError>;
}

macro_rules! view {
    ($type:ident) => {
        impl<'a> View<'a> for $type<'a> {
            fn bytes(&self) -> &'a [u8] {
                self.raw()
            }

            fn decoded(&self) -> Result<Option<Cow<'a, str>>, DecodeError> {
                self.text_opt()
            }
        }
    };
}

view!(Field);
view!(Repetition);
view!(Component);
view!(Subcomponent);

/// Where a value sits, for warnings: `PID-5.1`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Loc {
    pub(super) segment: &'static str,
    pub(super) field: usize,
    pub(super) component: usize,
}

/// Location of a whole field.
pub(super) fn at(segment: &'static str, field: usize) -> Loc {
    Loc {
        segment,
        field,
        component: 0,
    }
}

impl Loc {
    /// The same field, one component.
    pub(super) fn comp(self, component: usize) -> Loc {
        Loc { component, ..self }
    }
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.segment, self.field)?;
        if self.component > 0 {
            write!(f, ".{}", self.component)?;
        }
        Ok(())
    }
}

/// Whether a field was left out, cleared with `""`, or given.
pub(super) fn presence<T>(field: &Field<'_>, value: impl FnOnce() -> T) -> Tri<T> {
    if field.is_null() {
        Tri::Null
    } else if field.is_empty() {
        Tri::Absent
    } else {
        Tri::Value(value())
    }
}

/// The per-message state of a mapping.
pub(super) struct Cx<'m, 'a> {
    pub(super) msg: &'m Message<'a>,
    pub(super) ctx: &'m MapContext,
    /// MSH-7's stated offset, applied to times that state none (B11).
    pub(super) header_offset: Option<i16>,
    /// MSH-18, for values whose bytes do not fit it.
    declared: Declared,
    warnings: Vec<String>,
}

impl<'m, 'a> Cx<'m, 'a> {
    pub(super) fn new(msg: &'m Message<'a>, ctx: &'m MapContext) -> Cx<'m, 'a> {
        let header_offset = msg
            .header_time_raw()
            .and_then(|raw| ckisa_hl7::ts::Ts::parse(raw).ok())
            .and_then(|ts| ts.offset_minutes);
        Cx {
            msg,
            ctx,
            header_offset,
            declared: Declared::of(msg),
            warnings: Vec::new(),
        }
    }

    /// Records a warning once (a field read twice must not be reported twice).
    pub(super) fn warn(&mut self, warning: String) {
        if !self.warnings.contains(&warning) {
            self.warnings.push(warning);
        }
    }

    pub(super) fn into_warnings(self) -> Vec<String> {
        self.warnings
    }

    #[cfg(test)]
    pub(super) fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Decoded text as given (spaces kept); `None` for empty or `""`.
    pub(super) fn raw_text<'v, V: View<'v>>(&mut self, value: V, loc: Loc) -> Option<String> {
        self.decode(value, loc, Unreadable::Replaced)
    }

    /// Decoded text, trimmed; `None` for empty, blank or `""`.
    pub(super) fn text<'v, V: View<'v>>(&mut self, value: V, loc: Loc) -> Option<String> {
        self.raw_text(value, loc).and_then(trimmed)
    }

    /// Like [`Cx::text`], for a value that goes into a key (CX-1, an assigning authority, EI-1):
    /// a byte that cannot be read is kept as `\Xhh\` instead of U+FFFD, so that two different
    /// identifiers never read as one.
    pub(super) fn id_text<'v, V: View<'v>>(&mut self, value: V, loc: Loc) -> Option<String> {
        self.decode(value, loc, Unreadable::Escaped)
            .and_then(trimmed)
    }

    /// Decoded text; bytes the declared character set cannot hold are read by
    /// [`charset::read_undecodable`], with one warning per field.
    fn decode<'v, V: View<'v>>(
        &mut self,
        value: V,
        loc: Loc,
        unreadable: Unreadable,
    ) -> Option<String> {
        match value.decoded() {
            Ok(text) => text.map(Cow::into_owned),
            Err(_) => {
                // One warning per field, however many of its components are affected.
                let field = Loc {
                    component: 0,
                    ..loc
                }
                .to_string();
                let delimiters = self.msg.delimiters();
                let (text, warning) = charset::read_undecodable(
                    value.bytes(),
                    &delimiters,
                    &self.declared,
                    &field,
                    unreadable,
                );
                self.warn(warning);
                Some(text)
            }
        }
    }

    /// All non-empty subcomponents of a component, joined by a space (`1000&Hospital Lane`).
    pub(super) fn joined_subcomponents(
        &mut self,
        value: Component<'_>,
        loc: Loc,
    ) -> Option<String> {
        let parts: Vec<String> = value
            .subcomponents()
            .filter_map(|sub| self.text(sub, loc))
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    }

    /// The text of the first subcomponent of a component (a PL-1 or HD-1 that may carry
    /// `&`-separated parts).
    pub(super) fn first_sub(&mut self, value: Component<'_>, loc: Loc) -> Option<String> {
        self.text(value.subcomponent(1), loc)
    }

    /// A TS/DTM value as a [`Moment`]; `None` (with a warning) when invalid.
    pub(super) fn moment<'v, V: View<'v>>(&mut self, value: V, loc: Loc) -> Option<Moment> {
        let text = self.text(value, loc)?;
        // A TS may carry a degree of precision in its second component (v2.3): ignore it.
        let stamp = text.split('^').next().unwrap_or_default();
        match time::moment(stamp, self.header_offset, Some(&self.ctx.site_zone)) {
            Ok(moment) => Some(moment),
            Err(reason) => {
                self.warn(format!("{loc} : {reason}, valeur ignorée"));
                None
            }
        }
    }

    /// CE / CWE / CNE: code, text (falling back to the code, then the alternate pair and
    /// CWE-9 original text) and coding system; `None` when it says nothing.
    pub(super) fn coded(&mut self, value: Repetition<'_>, loc: Loc) -> Option<Coded> {
        let code = self.text(value.component(1), loc.comp(1));
        let text = self.text(value.component(2), loc.comp(2));
        let system = self.text(value.component(3), loc.comp(3));
        if code.is_none() && text.is_none() {
            let alt_code = self.text(value.component(4), loc.comp(4));
            let alt_text = self.text(value.component(5), loc.comp(5));
            let original = self.text(value.component(9), loc.comp(9));
            let alt_system = self.text(value.component(6), loc.comp(6));
            let text = alt_text.or(original).or_else(|| alt_code.clone())?;
            return Some(Coded {
                code: alt_code,
                system: alt_system,
                text,
            });
        }
        let text = text.or_else(|| code.clone()).unwrap_or_default();
        Some(Coded { code, system, text })
    }

    /// A unit or short label from a CE: the code unless it is only digits, else the text.
    pub(super) fn unit(&mut self, value: Repetition<'_>, loc: Loc) -> Option<String> {
        let code = self.text(value.component(1), loc.comp(1));
        let text = self.text(value.component(2), loc.comp(2));
        match code {
            Some(code) if !code.bytes().all(|b| b.is_ascii_digit()) => Some(code),
            code => text.or(code),
        }
    }

    /// An HD (namespace^universal id^type) held in one component's subcomponents, or the
    /// first components of a field: the namespace, else the universal id.
    pub(super) fn authority_of(&mut self, value: Component<'_>, loc: Loc) -> Option<String> {
        self.id_text(value.subcomponent(1), loc)
            .or_else(|| self.id_text(value.subcomponent(2), loc))
    }

    /// The sending facility (MSH-4, else MSH-3), used as authority when a CX or EI has none.
    pub(super) fn sender(&mut self) -> String {
        let msh = self.msg.msh();
        let facility = msh.field(4);
        let application = msh.field(3);
        self.id_text(facility.component(1), at("MSH", 4))
            .or_else(|| self.id_text(facility.component(2), at("MSH", 4)))
            .or_else(|| self.id_text(application.component(1), at("MSH", 3)))
            .unwrap_or_else(|| String::from("inconnu"))
    }

    /// A CX repetition; `None` when CX-1 is empty or `""`.
    pub(super) fn cx(&mut self, value: Repetition<'_>, loc: Loc) -> Option<Cxv> {
        let id = self.id_text(value.component(1), loc.comp(1))?;
        let authority = value.component(4);
        let namespace = self.id_text(authority.subcomponent(1), loc.comp(4));
        let universal = self.id_text(authority.subcomponent(2), loc.comp(4));
        let universal_type = self.text(authority.subcomponent(3), loc.comp(4));
        let kind = self.text(value.component(5), loc.comp(5));
        Some(Cxv {
            id,
            namespace,
            universal,
            universal_type,
            kind,
        })
    }

    /// An EI (entity id^namespace^universal id): the id and its authority (MSH-4 fallback).
    pub(super) fn ei(&mut self, value: Repetition<'_>, loc: Loc) -> Option<(String, String)> {
        let id = self.id_text(value.component(1), loc.comp(1))?;
        let authority = self
            .id_text(value.component(2), loc.comp(2))
            .or_else(|| self.id_text(value.component(3), loc.comp(3)))
            .unwrap_or_else(|| self.sender());
        Some((id, authority))
    }

    /// A PL (point of care^room^bed^facility): `None` without a point of care.
    pub(super) fn place(&mut self, value: Repetition<'_>, loc: Loc) -> Option<Place> {
        let unit = self.first_sub(value.component(1), loc.comp(1))?;
        Some(Place {
            unit,
            room: self.first_sub(value.component(2), loc.comp(2)),
            bed: self.first_sub(value.component(3), loc.comp(3)),
            facility: self.first_sub(value.component(4), loc.comp(4)),
        })
    }

    /// An XCN (id^family^given^...^authority(9)^...^type(13)) as a reference to resolve later,
    /// displayed `Dr Given FAMILY`.
    pub(super) fn xcn(&mut self, value: Repetition<'_>, loc: Loc) -> Option<ResourceRef> {
        let id = self.text(value.component(1), loc.comp(1));
        let family = self.first_sub(value.component(2), loc.comp(2));
        let given = self.text(value.component(3), loc.comp(3));
        let system = self.authority_of(value.component(9), loc.comp(9));
        let kind = self.text(value.component(13), loc.comp(13));
        if id.is_none() && family.is_none() {
            return None;
        }
        let display = family.map(|family| match given {
            Some(given) => format!("Dr {given} {}", family.to_uppercase()),
            None => format!("Dr {}", family.to_uppercase()),
        });
        let identifier = id.map(|value| Identifier {
            value,
            system,
            kind,
        });
        Some(ResourceRef {
            reference: None,
            identifier,
            display,
        })
    }

    /// Reports Z segments the node does not know; the raw message keeps them.
    pub(super) fn warn_unknown_z_segments(&mut self) {
        const KNOWN: [&str; 8] = ["ZBE", "ZFA", "ZFD", "ZFM", "ZFP", "ZFV", "ZFU", "ZFS"];
        let unknown: Vec<String> = self
            .msg
            .segments()
            .map(|segment| segment.name())
            .filter(|name| name.starts_with('Z') && !KNOWN.contains(name))
            .map(str::to_owned)
            .collect();
        for name in unknown {
            self.warn(format!(
                "segment {name} non exploité (conservé dans le message reçu)"
            ));
        }
    }
}

/// The text without surrounding spaces; `None` when nothing is left.
fn trimmed(text: String) -> Option<String> {
    let kept = text.trim();
    match kept.len() {
        0 => None,
        n if n == text.len() => Some(text),
        _ => Some(kept.to_owned()),
    }
}

/// A read CX.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Cxv {
    pub(super) id: String,
    pub(super) namespace: Option<String>,
    pub(super) universal: Option<String>,
    pub(super) universal_type: Option<String>,
    pub(super) kind: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::super::test_support::msg;
    use super::*;
    use ckisa_hl7::{Message, Segment};

    fn with_pid<T>(pid: &str, read: impl FnOnce(&mut Cx<'_, '_>, Segment<'_>) -> T) -> T {
        let text = msg("ADT^A31", pid);
        let message = Message::parse(text.as_bytes()).unwrap();
        let ctx = MapContext::paris();
        let mut cx = Cx::new(&message, &ctx);
        let segment = message.segment("PID").unwrap();
        read(&mut cx, segment)
    }

    #[test]
    fn coded_falls_back_to_code_then_alternate() {
        with_pid("PID|1|A^Alpha^LN~B~^^^C^Gamma^L", |cx, pid| {
            let field = pid.field(2);
            let first = cx.coded(field.repetition(1), at("PID", 2)).unwrap();
            assert_eq!(
                (first.code.as_deref(), first.text.as_str()),
                (Some("A"), "Alpha")
            );
            assert_eq!(first.system.as_deref(), Some("LN"));
            assert_eq!(
                cx.coded(field.repetition(2), at("PID", 2)).unwrap().text,
                "B"
            );
            let alt = cx.coded(field.repetition(3), at("PID", 2)).unwrap();
            assert_eq!(
                (alt.code.as_deref(), alt.text.as_str()),
                (Some("C"), "Gamma")
            );
            assert!(cx.coded(field.repetition(4), at("PID", 2)).is_none());
        });
    }

    #[test]
    fn xcn_display_and_identifier() {
        with_pid(
            "PID|1|801^Réault^Pierre^^^^^^ASIP-SANTE-PS&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS",
            |cx, pid| {
                let doctor = cx.xcn(pid.field(2).repetition(1), at("PID", 2)).unwrap();
                assert_eq!(doctor.display.as_deref(), Some("Dr Pierre RÉAULT"));
                let id = doctor.identifier.unwrap();
                assert_eq!(id.value, "801");
                assert_eq!(id.system.as_deref(), Some("ASIP-SANTE-PS"));
                assert_eq!(id.kind.as_deref(), Some("IDNPS"));
            },
        );
    }

    #[test]
    fn place_takes_first_subcomponent_of_each_part() {
        with_pid(
            "PID|1|HUH AE OMU&9.8&ISO^OMU B^Bed 03^HOMERTON|^^^CHU",
            |cx, pid| {
                let place = cx.place(pid.field(2).repetition(1), at("PID", 2)).unwrap();
                assert_eq!(place.unit, "HUH AE OMU");
                assert_eq!(place.room.as_deref(), Some("OMU B"));
                assert_eq!(place.bed.as_deref(), Some("Bed 03"));
                assert_eq!(place.facility.as_deref(), Some("HOMERTON"));
                assert!(cx.place(pid.field(3).repetition(1), at("PID", 3)).is_none());
            },
        );
    }

    #[test]
    fn units_prefer_codes_unless_numeric() {
        with_pid("PID|1|mg|43^mg/hr", |cx, pid| {
            assert_eq!(
                cx.unit(pid.field(2).repetition(1), at("PID", 2)).as_deref(),
                Some("mg")
            );
            let numeric = cx.unit(pid.field(3).repetition(1), at("PID", 3));
            assert_eq!(numeric.as_deref(), Some("mg/hr"));
        });
    }

    /// Tester report: ISO 8859-1 names without MSH-18 came out as `B�NARD Chlo�`, silently.
    #[test]
    fn latin1_bytes_without_msh_18_are_read_as_windows_1252_with_one_warning() {
        let raw = b"MSH|^~\\&|A|F|N|F|20240101||ADT^A31|1|P|2.5\r\
                    PID|1||1004^^^H^PI||B\xC9NARD^Chlo\xE9\r";
        let message = Message::parse(raw).unwrap();
        let mapped = super::super::map_message(&message, &MapContext::paris()).unwrap();
        let update = super::super::test_support::patient_update(&mapped);
        assert_eq!(update.family, Tri::Value("BÉNARD".to_owned()));
        assert_eq!(update.given, Tri::Value("Chloé".to_owned()));
        assert_eq!(
            mapped.warnings,
            ["PID-5 : octets non UTF-8 sans MSH-18, lus en ISO 8859-1 / Windows-1252"]
        );
    }

    #[test]
    fn ascii_declared_with_windows_1252_bytes_is_read_as_such() {
        let raw = b"MSH|^~\\&|A|F|N|F|20240101||ADT^A31|1|P|2.5|||||FRA|ASCII\r\
                    PID|1||X^^^H^PI||L\x92\xC9T\xC9\r";
        let message = Message::parse(raw).unwrap();
        let mapped = super::super::map_message(&message, &MapContext::paris()).unwrap();
        let update = super::super::test_support::patient_update(&mapped);
        assert_eq!(update.family, Tri::Value("L’ÉTÉ".to_owned()));
        assert_eq!(mapped.warnings.len(), 1, "{:?}", mapped.warnings);
        assert!(mapped.warnings[0].starts_with("PID-5 : "));
    }

    #[test]
    fn invalid_bytes_under_declared_utf8_are_replaced_and_reported() {
        let raw = b"MSH|^~\\&|A|F|N|F|20240101||ADT^A31|1|P|2.5|||||FRA|UNICODE UTF-8\r\
                    PID|1|X\xE9\\S\\Y\r";
        let message = Message::parse(raw).unwrap();
        let ctx = MapContext::paris();
        let mut cx = Cx::new(&message, &ctx);
        let pid = message.segment("PID").unwrap();
        let text = cx.text(pid.field(2), at("PID", 2)).unwrap();
        assert_eq!(
            text, "X\u{FFFD}^Y",
            "escapes decoded, the bad byte replaced"
        );
        assert_eq!(cx.warnings().len(), 1);
        assert_eq!(
            cx.warnings()[0],
            "PID-2 : octets non UTF-8 alors que MSH-18 déclare UTF-8, remplacés par « \u{FFFD} »"
        );
    }

    #[test]
    fn undecodable_identifiers_never_collapse_into_one_patient() {
        let key = |byte: u8| {
            let raw = "MSH|^~\\&|A|F|N|F|20240101||ADT^A31|1|P|2.5|||||FRA|UNICODE UTF-8\r\
                       PID|1||12#^^^H^PI\r";
            let bytes: Vec<u8> = raw
                .bytes()
                .map(|b| if b == b'#' { byte } else { b })
                .collect();
            let message = Message::parse(&bytes).unwrap();
            let mapped = super::super::map_message(&message, &MapContext::paris()).unwrap();
            let update = super::super::test_support::patient_update(&mapped);
            (update.patient.clone(), mapped.warnings.clone())
        };
        let (first, warnings) = key(0xE9);
        let (second, _) = key(0xE8);
        assert_ne!(first, second);
        assert_eq!(first.as_str(), "ipp:H|12\\XE9\\");
        assert!(warnings[0].starts_with("PID-3 : "), "{warnings:?}");
    }
}
