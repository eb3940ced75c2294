//! Small HL7 reading helpers for the tests (independent of the crate's own).

use ckisa_demo::{clock, nir_key};

/// 4 December 2026, 15:30 in Paris.
pub(crate) fn fixed_now() -> jiff::Zoned {
    jiff::civil::date(2026, 12, 4)
        .at(15, 30, 0, 0)
        .to_zoned(clock::paris())
        .expect("valid time")
}

/// Segments of a message, split on CR.
pub(crate) fn segments(message: &str) -> Vec<&str> {
    message.split('\r').filter(|s| !s.is_empty()).collect()
}

/// Field `n` of the first segment `name` (MSH numbered as in HL7).
pub(crate) fn field<'a>(message: &'a str, name: &str, n: usize) -> Option<&'a str> {
    let segment = segments(message)
        .into_iter()
        .find(|s| s.starts_with(&format!("{name}|")))?;
    let index = if name == "MSH" { n - 1 } else { n };
    segment.split('|').nth(index)
}

/// The IPP (PID-3 repetition of type PI issued by CHDEMO).
pub(crate) fn ipp(message: &str) -> Option<String> {
    let pid3 = field(message, "PID", 3)?;
    pid3.split('~').find_map(|rep| {
        let parts: Vec<&str> = rep.split('^').collect();
        let authority = parts.get(3)?.split('&').next()?;
        (parts.get(4) == Some(&"PI") && authority == "CHDEMO").then(|| parts[0].to_string())
    })
}

/// Whether PID-3 carries an INS with type INS, the INS-NIR OID and a valid key.
pub(crate) fn has_valid_ins(message: &str) -> bool {
    let Some(pid3) = field(message, "PID", 3) else {
        return false;
    };
    pid3.split('~').any(|rep| {
        let parts: Vec<&str> = rep.split('^').collect();
        let value = parts[0];
        let typed = parts.get(4) == Some(&"INS")
            && parts
                .get(3)
                .is_some_and(|a| a.contains("&1.2.250.1.213.1.4.8&ISO"));
        typed
            && value.len() == 15
            && value.bytes().all(|b| b.is_ascii_digit())
            && value[..13].parse::<u64>().ok().map(nir_key) == value[13..].parse::<u64>().ok()
    })
}

/// PV1-3 (or another PL field) as (unit, room, bed).
pub(crate) fn location(message: &str, pv1_field: usize) -> Option<(String, String, String)> {
    let pl = field(message, "PV1", pv1_field)?;
    let parts: Vec<&str> = pl.split('^').collect();
    Some((
        parts.first()?.to_string(),
        parts.get(1)?.to_string(),
        parts.get(2)?.to_string(),
    ))
}

/// Checks the envelope of one message, PID-3 with an IPP and a valid INS;
/// returns its control id.
pub(crate) fn check_well_formed(message: &str) -> String {
    let id = check_envelope(message);
    assert!(has_valid_ins(message), "PID-3 INS with valid key");
    id
}

/// Checks the envelope of one message and PID-3's IPP (the INS may be
/// missing: the HIS does not know it for patients adopted on resuming);
/// returns its control id.
pub(crate) fn check_envelope(message: &str) -> String {
    assert!(
        message.starts_with("MSH|^~\\&|DEMO-HIS|CHDEMO|"),
        "MSH first: {message:.60}"
    );
    assert!(message.ends_with('\r'), "CR terminated");
    assert!(!message.contains('\n'), "no LF");
    for segment in segments(message) {
        let name = &segment[..3.min(segment.len())];
        assert!(
            name.len() == 3
                && name
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()),
            "segment name {name:?}"
        );
        assert_eq!(
            segment.as_bytes().get(3),
            Some(&b'|'),
            "segment {name} has fields"
        );
    }
    assert_eq!(field(message, "MSH", 18), Some("UNICODE UTF-8"));
    assert_eq!(
        field(message, "MSH", 12).and_then(|v| v.split('^').next()),
        Some("2.5")
    );
    let time = field(message, "MSH", 7).unwrap_or_default();
    assert!(
        time.len() == 19 && (time.as_bytes()[14] == b'+' || time.as_bytes()[14] == b'-'),
        "MSH-7 with offset: {time}"
    );
    assert!(ipp(message).is_some_and(|v| v.len() == 8), "PID-3 IPP");
    field(message, "MSH", 10).unwrap_or_default().to_string()
}

/// PV1-19.1, the visit number.
pub(crate) fn visit(message: &str) -> Option<String> {
    let pv1_19 = field(message, "PV1", 19)?;
    pv1_19.split('^').next().map(str::to_string)
}
