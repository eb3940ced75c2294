//! Key rotation and the anchor: `rekey_anchor` after the databases are
//! re-keyed keeps the trail verifiable under the new key, and never
//! re-signs an anchor that was already forged or missing.

use std::path::Path;

use ckisa_audit::{
    ANCHOR_FILE, AUDIT_FILE, AuditError, AuditOutcome, AuditQuery, AuditRecord, AuditSink,
    AuditTrail, actions, rekey_anchor, verify,
};
use ckisa_store_sqlite::key::{DbKey, open_keyed, rekey_folder_report};
use rusqlite::OpenFlags;

fn key_a() -> DbKey {
    DbKey::from_bytes([0xA1; 32])
}

fn key_b() -> DbKey {
    DbKey::from_bytes([0xB2; 32])
}

fn record(index: usize) -> AuditRecord {
    AuditRecord {
        at_ms: 1_700_000_000_000 + i64::try_from(index).unwrap() * 1_000,
        actor: "jdupont".into(),
        role: Some("ide".into()),
        source: "192.0.2.7".into(),
        action: "patient.chart".into(),
        outcome: AuditOutcome::Allowed,
        patient: Some(format!("ipp:CHU|{index:06}")),
        target: None,
        detail: format!("entrée {index}"),
    }
}

/// A trail in `dir` under `key` holding `count` entries, closed.
fn trail_with(dir: &Path, key: &DbKey, count: usize) {
    let trail = AuditTrail::open(dir, key).unwrap();
    for index in 0..count {
        trail.append(record(index));
    }
    trail.flush().unwrap();
}

/// The anomaly entries of the trail in `dir`, opened (and closed) under
/// `key`.
fn anomalies(dir: &Path, key: &DbKey) -> Vec<String> {
    let trail = AuditTrail::open(dir, key).unwrap();
    let query = AuditQuery {
        action: Some(actions::AUDIT_ANOMALY.to_owned()),
        ..AuditQuery::default()
    };
    let found = trail.search(&query).unwrap();
    found.into_iter().map(|entry| entry.record.detail).collect()
}

/// Rewrites the anchor's sequence number without the key.
fn forge_anchor(dir: &Path) {
    let path = dir.join(ANCHOR_FILE);
    let text = std::fs::read_to_string(&path).unwrap();
    let forged: Vec<String> = text
        .lines()
        .map(|line| match line.strip_prefix("seq ") {
            Some(_) => "seq 3".to_owned(),
            None => line.to_owned(),
        })
        .collect();
    std::fs::write(&path, forged.join("\n") + "\n").unwrap();
}

#[test]
fn without_rekey_anchor_the_new_key_sees_an_anomaly() {
    // The defect rekey_anchor repairs, shown once so that the next test
    // means something.
    let dir = tempfile::tempdir().unwrap();
    trail_with(dir.path(), &key_a(), 10);
    rekey_folder_report(dir.path(), &key_a(), &key_b()).unwrap();
    let found = anomalies(dir.path(), &key_b());
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].contains("signature de l'ancre invalide"),
        "{found:?}"
    );
    assert!(!verify(dir.path(), &key_b()).unwrap().is_intact());
}

#[test]
fn rekey_anchor_keeps_the_trail_intact_under_the_new_key() {
    let dir = tempfile::tempdir().unwrap();
    trail_with(dir.path(), &key_a(), 10);
    let report = rekey_folder_report(dir.path(), &key_a(), &key_b()).unwrap();
    assert_eq!(report.rekeyed, vec![dir.path().join(AUDIT_FILE)]);
    rekey_anchor(dir.path(), &key_a(), &key_b()).unwrap();
    // Idempotent: a second run (after an interruption) changes nothing.
    let signed = std::fs::read(dir.path().join(ANCHOR_FILE)).unwrap();
    rekey_anchor(dir.path(), &key_a(), &key_b()).unwrap();
    assert_eq!(std::fs::read(dir.path().join(ANCHOR_FILE)).unwrap(), signed);

    let report = verify(dir.path(), &key_b()).unwrap();
    assert!(report.is_intact(), "{:?}", report.problems);
    assert_eq!((report.entries, report.anchor), (10, Some(10)));
    assert!(anomalies(dir.path(), &key_b()).is_empty());

    // The trail goes on under the new key; the old key signs nothing now.
    let trail = AuditTrail::open(dir.path(), &key_b()).unwrap();
    trail.append_durable(record(10)).unwrap();
    drop(trail);
    let report = verify(dir.path(), &key_b()).unwrap();
    assert!(report.is_intact(), "{:?}", report.problems);
    assert_eq!((report.entries, report.anchor), (11, Some(11)));
    let error = rekey_anchor(dir.path(), &DbKey::from_bytes([9; 32]), &key_a()).unwrap_err();
    assert!(matches!(error, AuditError::AnchorInvalid { .. }), "{error}");
}

#[test]
fn a_forged_anchor_is_not_re_signed() {
    let dir = tempfile::tempdir().unwrap();
    trail_with(dir.path(), &key_a(), 5);
    forge_anchor(dir.path());
    let forged = std::fs::read(dir.path().join(ANCHOR_FILE)).unwrap();
    rekey_folder_report(dir.path(), &key_a(), &key_b()).unwrap();

    let error = rekey_anchor(dir.path(), &key_a(), &key_b()).unwrap_err();
    assert!(matches!(error, AuditError::AnchorInvalid { .. }), "{error}");
    let text = error.to_string();
    assert!(text.contains("signature de l'ancre invalide"), "{text}");
    assert!(text.contains("audit.anchor"), "{text}");
    assert_eq!(
        std::fs::read(dir.path().join(ANCHOR_FILE)).unwrap(),
        forged,
        "left as it was"
    );
    let report = verify(dir.path(), &key_b()).unwrap();
    assert_eq!(report.anchor, None);
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.reason.contains("signature de l'ancre invalide")),
        "{:?}",
        report.problems
    );
}

#[test]
fn a_cut_trail_stays_reported_after_the_rotation() {
    // The anchor is re-signed as it was: a tail cut before the rotation is
    // still seen after it.
    let dir = tempfile::tempdir().unwrap();
    trail_with(dir.path(), &key_a(), 10);
    let conn = open_keyed(
        &dir.path().join(AUDIT_FILE),
        &key_a(),
        OpenFlags::SQLITE_OPEN_READ_WRITE,
    )
    .unwrap();
    conn.execute("DELETE FROM audit_entry WHERE seq > 8", [])
        .unwrap();
    drop(conn);
    rekey_folder_report(dir.path(), &key_a(), &key_b()).unwrap();
    rekey_anchor(dir.path(), &key_a(), &key_b()).unwrap();
    let report = verify(dir.path(), &key_b()).unwrap();
    assert_eq!(report.anchor, Some(10));
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert!(
        report.problems[0]
            .reason
            .contains("fin du journal tronquée")
    );
}

#[test]
fn a_missing_anchor_is_refused_unless_the_trail_is_empty() {
    // Entries but no anchor: refused, nothing written.
    let dir = tempfile::tempdir().unwrap();
    trail_with(dir.path(), &key_a(), 3);
    std::fs::remove_file(dir.path().join(ANCHOR_FILE)).unwrap();
    rekey_folder_report(dir.path(), &key_a(), &key_b()).unwrap();
    let error = rekey_anchor(dir.path(), &key_a(), &key_b()).unwrap_err();
    assert!(
        matches!(error, AuditError::AnchorMissing { entries: 3, .. }),
        "{error}"
    );
    assert!(!dir.path().join(ANCHOR_FILE).exists());

    // The same before the databases are re-keyed (still under the old key).
    let before = tempfile::tempdir().unwrap();
    trail_with(before.path(), &key_a(), 2);
    std::fs::remove_file(before.path().join(ANCHOR_FILE)).unwrap();
    let error = rekey_anchor(before.path(), &key_a(), &key_b()).unwrap_err();
    assert!(
        matches!(error, AuditError::AnchorMissing { entries: 2, .. }),
        "{error}"
    );

    // No trail at all, or an empty one: nothing to move.
    let none = tempfile::tempdir().unwrap();
    rekey_anchor(none.path(), &key_a(), &key_b()).unwrap();
    assert!(!none.path().join(ANCHOR_FILE).exists());
    let empty = tempfile::tempdir().unwrap();
    trail_with(empty.path(), &key_a(), 0);
    std::fs::remove_file(empty.path().join(ANCHOR_FILE)).unwrap();
    rekey_anchor(empty.path(), &key_a(), &key_b()).unwrap();
}

#[cfg(unix)]
#[test]
fn the_trail_files_are_private_to_the_node_user() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let mode = |name: &str| {
        let path = dir.path().join(name);
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777
    };
    let trail = AuditTrail::open(dir.path(), &key_a()).unwrap();
    trail.append_durable(record(0)).unwrap();
    for name in [AUDIT_FILE, "audit.db-wal", "audit.db-shm", ANCHOR_FILE] {
        assert_eq!(mode(name), 0o600, "{name}");
    }
    drop(trail);

    // Files left readable by all (an older ckisa) are narrowed at opening.
    for name in [AUDIT_FILE, ANCHOR_FILE] {
        let path = dir.path().join(name);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let trail = AuditTrail::open(dir.path(), &key_a()).unwrap();
    assert_eq!(mode(AUDIT_FILE), 0o600);
    assert_eq!(mode(ANCHOR_FILE), 0o600);
    drop(trail);
}
