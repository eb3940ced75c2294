//! The MLLP listener end to end on loopback: ACK only after commit, duplicates,
//! refusals with ERR, garbage and truncated frames, frames split across reads,
//! a 10 MB segment, concurrent connections, and the source address allowlist.
//! Each test starts its own listener on 127.0.0.1:0 over a fresh SQLite store.

use std::sync::Arc;
use std::time::Duration;

use ckisa_domain::{NodeId, PatientKey};
use ckisa_ingest::clock::SystemClock;
use ckisa_ingest::hl7map::MapContext;
use ckisa_ingest::mllp::{self, FeedContext, MllpOptions};
use ckisa_ingest::pipeline::EventFactory;
use ckisa_ingest::{SourceRule, SourceRuleError};
use ckisa_store::Store;
use ckisa_store_sqlite::{SqliteOptions, SqliteStore};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

const EDGE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus/edge");

struct Harness {
    addr: std::net::SocketAddr,
    store: Arc<SqliteStore>,
    _stop: watch::Sender<bool>,
    _dir: tempfile::TempDir,
}

async fn start() -> Harness {
    start_with(MllpOptions {
        idle_timeout: Duration::from_secs(30),
        ..MllpOptions::default()
    })
    .await
}

async fn start_with(options: MllpOptions) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let store =
        Arc::new(SqliteStore::open(dir.path(), SqliteOptions::new("Europe/Paris")).unwrap());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let dyn_store: Arc<dyn Store> = store.clone();
    let feed = Arc::new(FeedContext {
        name: String::from("test-feed"),
        store: dyn_store,
        factory: Arc::new(EventFactory::new(
            NodeId("test".into()),
            Arc::new(SystemClock),
        )),
        map: MapContext::paris(),
        options,
    });
    let (stop, shutdown) = watch::channel(false);
    tokio::spawn(mllp::serve(listener, feed, shutdown));
    Harness {
        addr,
        store,
        _stop: stop,
        _dir: dir,
    }
}

fn adt_a01(control_id: &str, ipp: &str, family: &str) -> String {
    format!(
        "MSH|^~\\&|HIS|CHT|CKISA|CHT|20261204100000+0100||ADT^A01^ADT_A01|{control_id}|P|2.5|||||FRA|UNICODE UTF-8\r\
         EVN|A01|20261204100000+0100\r\
         PID|1||{ipp}^^^CHT^PI||{family}^Hélène||19500101|F\r\
         PV1|1|I|CARDIO^101^1^CHT||||DOC1^MARTIN^Paul|||||||||||V{ipp}^^^CHT^VN|||||||||||||||||||||||||20261204093000+0100\r"
    )
}

fn framed(message: &str) -> Vec<u8> {
    ckisa_hl7::mllp::frame(message.as_bytes())
}

/// Reads one MLLP frame and returns its text.
async fn read_ack(stream: &mut TcpStream) -> String {
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut chunk))
            .await
            .expect("an ACK within 10 s")
            .unwrap();
        assert!(n > 0, "connection closed before the ACK");
        bytes.extend_from_slice(&chunk[..n]);
        if bytes.ends_with(&[0x1C, 0x0D]) {
            break;
        }
    }
    assert_eq!(bytes[0], 0x0B);
    String::from_utf8(bytes[1..bytes.len() - 2].to_vec()).unwrap()
}

fn msa(ack: &str) -> Vec<&str> {
    let line = ack
        .split('\r')
        .find(|s| s.starts_with("MSA"))
        .expect("an MSA segment");
    line.split('|').collect()
}

fn chart_family(store: &SqliteStore, ipp: &str) -> Option<String> {
    let key = PatientKey::ipp("CHT", ipp);
    store
        .patient_chart(&key)
        .unwrap()
        .and_then(|chart| chart.identity.family)
}

#[tokio::test]
async fn ack_aa_only_once_the_message_is_readable_from_the_store() {
    let h = start().await;
    let mut stream = TcpStream::connect(h.addr).await.unwrap();
    stream
        .write_all(&framed(&adt_a01("M1", "1001", "DURAND")))
        .await
        .unwrap();
    let ack = read_ack(&mut stream).await;
    assert_eq!(&msa(&ack)[1..3], ["AA", "M1"]);
    // The ACK came after the commit: the patient is there now, no waiting.
    assert_eq!(chart_family(&h.store, "1001").as_deref(), Some("DURAND"));
    let status = h.store.status().unwrap();
    let feed = status.feeds.iter().find(|f| f.name == "test-feed").unwrap();
    assert_eq!(feed.accepted, 1);
}

#[tokio::test]
async fn a_retransmission_is_acknowledged_but_applied_once() {
    let h = start().await;
    let mut stream = TcpStream::connect(h.addr).await.unwrap();
    let message = framed(&adt_a01("DUP1", "2001", "PREMIER"));
    for _ in 0..2 {
        stream.write_all(&message).await.unwrap();
        assert_eq!(msa(&read_ack(&mut stream).await)[1], "AA");
    }
    let status = h.store.status().unwrap();
    let feed = status.feeds.iter().find(|f| f.name == "test-feed").unwrap();
    assert_eq!((feed.accepted, feed.duplicates), (1, 1));
    assert_eq!(status.events, 2, "one message's events, not two");
}

#[tokio::test]
async fn a_reused_control_id_with_new_content_is_not_dropped() {
    // Senders reuse control ids (counter resets); a different message under
    // the same id is still a documented act.
    let h = start().await;
    let mut stream = TcpStream::connect(h.addr).await.unwrap();
    stream
        .write_all(&framed(&adt_a01("REUSED", "2101", "PREMIER")))
        .await
        .unwrap();
    assert_eq!(msa(&read_ack(&mut stream).await)[1], "AA");
    stream
        .write_all(&framed(&adt_a01("REUSED", "2102", "SECOND")))
        .await
        .unwrap();
    assert_eq!(msa(&read_ack(&mut stream).await)[1], "AA");
    assert_eq!(chart_family(&h.store, "2101").as_deref(), Some("PREMIER"));
    assert_eq!(chart_family(&h.store, "2102").as_deref(), Some("SECOND"));
}

#[tokio::test]
async fn a_self_merge_is_refused_with_err_pointing_at_mrg_1() {
    let h = start().await;
    let mut stream = TcpStream::connect(h.addr).await.unwrap();
    stream
        .write_all(&framed(&adt_a01("M0", "P300", "TESTPAT")))
        .await
        .unwrap();
    read_ack(&mut stream).await;
    let merge = std::fs::read_to_string(format!("{EDGE}/B20.hl7")).unwrap();
    stream
        .write_all(&ckisa_hl7::mllp::frame(merge.as_bytes()))
        .await
        .unwrap();
    let ack = read_ack(&mut stream).await;
    let fields = msa(&ack);
    assert!(fields[1] == "AE" || fields[1] == "AR", "{ack}");
    assert_eq!(fields[2], "B20-1");
    let err = ack
        .split('\r')
        .find(|s| s.starts_with("ERR"))
        .expect("an ERR segment");
    assert!(err.contains("MRG"), "{err}");
    assert_eq!(h.store.status().unwrap().quarantined, 1);
}

#[tokio::test]
async fn garbage_and_unparseable_frames_are_quarantined_and_the_connection_goes_on() {
    let h = start().await;
    let mut stream = TcpStream::connect(h.addr).await.unwrap();
    // Binary garbage outside any frame: quarantined, no answer expected.
    stream
        .write_all(&[0xFF, 0x00, 0x13, 0x37, 0xAA])
        .await
        .unwrap();
    // A frame that is not HL7: refused with AR.
    stream
        .write_all(&ckisa_hl7::mllp::frame(b"hello, not hl7"))
        .await
        .unwrap();
    let nack = read_ack(&mut stream).await;
    assert_eq!(msa(&nack)[1], "AR");
    // A good message on the same connection is still served.
    stream
        .write_all(&framed(&adt_a01("G1", "3001", "APRES")))
        .await
        .unwrap();
    assert_eq!(msa(&read_ack(&mut stream).await)[1], "AA");
    assert_eq!(h.store.status().unwrap().quarantined, 2);
}

#[tokio::test]
async fn a_truncated_frame_is_quarantined_when_the_connection_closes() {
    let h = start().await;
    let mut stream = TcpStream::connect(h.addr).await.unwrap();
    let mut partial = framed(&adt_a01("T1", "4001", "TRONQUE"));
    partial.truncate(partial.len() / 2);
    stream.write_all(&partial).await.unwrap();
    drop(stream);
    for _ in 0..100 {
        if h.store.status().unwrap().quarantined == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(h.store.status().unwrap().quarantined, 1);
    assert_eq!(chart_family(&h.store, "4001"), None);
    // The listener still serves.
    let mut again = TcpStream::connect(h.addr).await.unwrap();
    again
        .write_all(&framed(&adt_a01("T2", "4002", "SUIVANT")))
        .await
        .unwrap();
    assert_eq!(msa(&read_ack(&mut again).await)[1], "AA");
}

#[tokio::test]
async fn a_frame_split_across_reads_gives_exactly_one_message() {
    // B08: successive TCP reads; the FS arrives without its CR, then the CR.
    let h = start().await;
    let mut stream = TcpStream::connect(h.addr).await.unwrap();
    for part in 1..=3 {
        let bytes = std::fs::read(format!("{EDGE}/B08.read{part}.bin")).unwrap();
        stream.write_all(&bytes).await.unwrap();
        stream.flush().await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let ack = read_ack(&mut stream).await;
    assert!(["AA", "AE", "AR"].contains(&msa(&ack)[1]));
    let status = h.store.status().unwrap();
    let feed = status.feeds.iter().find(|f| f.name == "test-feed");
    let handled = feed.map(|f| f.accepted).unwrap_or(0) + status.quarantined;
    assert_eq!(handled, 1, "one message delivered, not zero, not two");
}

#[tokio::test]
async fn a_ten_megabyte_segment_is_accepted_and_the_listener_keeps_serving() {
    let h = start().await;
    let mut stream = TcpStream::connect(h.addr).await.unwrap();
    let big = "A".repeat(10 * 1024 * 1024);
    let message = format!(
        "{}OBX|1|TX|NOTE^Note||{big}||||||F\r",
        adt_a01("BIG1", "5001", "VOLUMINEUX")
    );
    stream.write_all(&framed(&message)).await.unwrap();
    let ack = read_ack(&mut stream).await;
    assert_eq!(msa(&ack)[1], "AA", "{}", &ack[..ack.len().min(300)]);
    stream
        .write_all(&framed(&adt_a01("BIG2", "5002", "ENSUITE")))
        .await
        .unwrap();
    assert_eq!(msa(&read_ack(&mut stream).await)[1], "AA");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_concurrent_connections_are_all_acknowledged_and_stored() {
    let h = start().await;
    let mut tasks = Vec::new();
    for connection in 0..8 {
        let addr = h.addr;
        tasks.push(tokio::spawn(async move {
            let mut stream = TcpStream::connect(addr).await.unwrap();
            for i in 0..25 {
                let id = format!("C{connection}-{i}");
                let ipp = format!("{}", 60_000 + connection * 100 + i);
                stream
                    .write_all(&framed(&adt_a01(&id, &ipp, "CONCURRENT")))
                    .await
                    .unwrap();
                let ack = read_ack(&mut stream).await;
                assert_eq!(&msa(&ack)[1..3], ["AA", id.as_str()]);
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let status = h.store.status().unwrap();
    let feed = status.feeds.iter().find(|f| f.name == "test-feed").unwrap();
    assert_eq!(feed.accepted, 200);
    assert_eq!(status.patients, 200);
}

#[tokio::test]
async fn a_message_for_a_merged_away_id_is_refused_and_the_survivor_keeps_its_identity() {
    let h = start().await;
    let mut stream = TcpStream::connect(h.addr).await.unwrap();
    stream
        .write_all(&framed(&adt_a01("A1", "1002", "DURAND")))
        .await
        .unwrap();
    read_ack(&mut stream).await;
    stream
        .write_all(&framed(&adt_a01("A2", "1003", "LEROY")))
        .await
        .unwrap();
    read_ack(&mut stream).await;
    let merge = "MSH|^~\\&|HIS|CHT|CKISA|CHT|20261204110000+0100||ADT^A40^ADT_A39|M40|P|2.5\r\
                 EVN|A40|20261204110000+0100\r\
                 PID|1||1002^^^CHT^PI||DURAND^Jean||19500101|M\r\
                 MRG|1003^^^CHT^PI\r";
    stream.write_all(&framed(merge)).await.unwrap();
    assert_eq!(msa(&read_ack(&mut stream).await)[1], "AA");

    // A late transfer still naming the retired id, with the retired name.
    let late = "MSH|^~\\&|HIS|CHT|CKISA|CHT|20261204120000+0100||ADT^A02^ADT_A02|LATE1|P|2.5\r\
                EVN|A02|20261204120000+0100\r\
                PID|1||1003^^^CHT^PI||LEROY^Anne||19500101|F\r\
                PV1|1|I|PNEUMO^301^A^CHT\r";
    stream.write_all(&framed(late)).await.unwrap();
    let ack = read_ack(&mut stream).await;
    assert_eq!(&msa(&ack)[1..3], ["AE", "LATE1"], "{ack}");
    assert!(ack.contains("fusionn"), "{ack}");

    let survivor = h
        .store
        .patient_chart(&PatientKey::ipp("CHT", "1002"))
        .unwrap()
        .unwrap();
    assert_eq!(survivor.identity.family.as_deref(), Some("DURAND"));
    // Both stays now belong to the survivor: the summary shows the second one
    // as a warning instead of hiding it.
    assert!(survivor.stay.is_some());
    assert_eq!(survivor.other_stays.len(), 1);
    assert_eq!(h.store.status().unwrap().quarantined, 1);
    let pneumo = h.store.unit_board("PNEUMO").unwrap();
    assert!(pneumo.is_none_or(|board| board.beds.iter().all(|b| b.occupants.is_empty())));
}

#[tokio::test]
async fn connections_beyond_the_cap_are_closed_and_unfinished_frames_time_out() {
    let h = start_with(MllpOptions {
        max_connections: 2,
        frame_timeout: Duration::from_millis(300),
        ..MllpOptions::default()
    })
    .await;
    let mut first = TcpStream::connect(h.addr).await.unwrap();
    let _second = TcpStream::connect(h.addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;

    // The third connection is closed at once: a read sees the end.
    let mut third = TcpStream::connect(h.addr).await.unwrap();
    let mut byte = [0u8; 1];
    let read = tokio::time::timeout(Duration::from_secs(5), third.read(&mut byte)).await;
    assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "{read:?}");

    // A frame left half-sent is dropped to the quarantine after the timeout,
    // which frees the slot.
    let mut partial = framed(&adt_a01("P1", "7001", "MOITIE"));
    partial.truncate(20);
    first.write_all(&partial).await.unwrap();
    let closed = tokio::time::timeout(Duration::from_secs(5), first.read(&mut byte)).await;
    assert!(matches!(closed, Ok(Ok(0)) | Ok(Err(_))), "{closed:?}");
    for _ in 0..100 {
        if h.store.status().unwrap().quarantined == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(h.store.status().unwrap().quarantined, 1);
    let mut again = TcpStream::connect(h.addr).await.unwrap();
    again
        .write_all(&framed(&adt_a01("P2", "7002", "ENSUITE")))
        .await
        .unwrap();
    assert_eq!(msa(&read_ack(&mut again).await)[1], "AA");
}

#[tokio::test]
async fn an_incoming_ack_is_never_acknowledged() {
    let h = start().await;
    let mut stream = TcpStream::connect(h.addr).await.unwrap();
    let ack =
        "MSH|^~\\&|PEER|CHT|CKISA|CHT|20261204100000+0100||ACK^A01^ACK|K1|P|2.5\rMSA|AA|XYZ\r";
    stream.write_all(&framed(ack)).await.unwrap();
    // The next real message's ACK is the first frame that comes back.
    stream
        .write_all(&framed(&adt_a01("AFTER", "7101", "SUIVANT")))
        .await
        .unwrap();
    assert_eq!(&msa(&read_ack(&mut stream).await)[1..3], ["AA", "AFTER"]);
}

#[tokio::test]
async fn silent_and_trickling_peers_cannot_hold_a_slot() {
    let h = start_with(MllpOptions {
        max_connections: 1,
        frame_timeout: Duration::from_millis(400),
        ..MllpOptions::default()
    })
    .await;
    let mut byte = [0u8; 1];

    // A connection that never sends is closed after the frame timeout.
    let mut silent = TcpStream::connect(h.addr).await.unwrap();
    let closed = tokio::time::timeout(Duration::from_secs(5), silent.read(&mut byte)).await;
    assert!(matches!(closed, Ok(Ok(0)) | Ok(Err(_))), "{closed:?}");

    // A frame trickled one byte at a time is cut at the frame timeout, even
    // though each read arrives well within it.
    let mut trickle = TcpStream::connect(h.addr).await.unwrap();
    let frame = framed(&adt_a01("SLOW", "7201", "LENT"));
    let started = std::time::Instant::now();
    for chunk in frame.chunks(1) {
        if trickle.write_all(chunk).await.is_err() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        if started.elapsed() > Duration::from_secs(5) {
            break;
        }
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the trickle was never cut"
    );

    // The slot is free again for a real sender.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut real = TcpStream::connect(h.addr).await.unwrap();
    real.write_all(&framed(&adt_a01("REAL", "7202", "VRAI")))
        .await
        .unwrap();
    assert_eq!(msa(&read_ack(&mut real).await)[1], "AA");
}

#[tokio::test]
async fn a_source_outside_the_allowlist_is_closed_unread_and_never_acknowledged() {
    let options = MllpOptions {
        allowed_sources: vec![SourceRule::parse("192.0.2.0/24").unwrap()],
        ..MllpOptions::default()
    };
    let stats = options.stats.clone();
    let h = start_with(options).await;
    let mut stream = TcpStream::connect(h.addr).await.unwrap();
    // The sender may manage to write before the close reaches it.
    let _ = stream
        .write_all(&framed(&adt_a01("DENIED1", "8001", "REFUSE")))
        .await;
    let mut reply = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut reply)).await;
    assert!(
        matches!(read, Ok(Ok(0)) | Ok(Err(_))),
        "closed without a byte of answer: {read:?} {reply:?}"
    );
    assert!(reply.is_empty(), "no ACK for a refused source");
    let status = h.store.status().unwrap();
    assert_eq!((status.events, status.quarantined), (0, 0));
    assert_eq!(chart_family(&h.store, "8001"), None);
    assert_eq!((stats.refused_source(), stats.served()), (1, 0));
}

#[tokio::test]
async fn a_source_inside_the_allowlist_is_served() {
    let options = MllpOptions {
        allowed_sources: vec![
            SourceRule::parse("192.0.2.0/24").unwrap(),
            SourceRule::parse("127.0.0.1").unwrap(),
        ],
        ..MllpOptions::default()
    };
    let stats = options.stats.clone();
    let h = start_with(options).await;
    let mut stream = TcpStream::connect(h.addr).await.unwrap();
    stream
        .write_all(&framed(&adt_a01("ALLOWED1", "8002", "ACCEPTE")))
        .await
        .unwrap();
    assert_eq!(&msa(&read_ack(&mut stream).await)[1..3], ["AA", "ALLOWED1"]);
    assert_eq!(chart_family(&h.store, "8002").as_deref(), Some("ACCEPTE"));
    assert_eq!((stats.refused_source(), stats.served()), (0, 1));
}

#[test]
fn source_rules_parse_addresses_and_blocks_and_refuse_the_rest_in_french() {
    for (text, shown) in [
        ("10.20.0.5", "10.20.0.5"),
        (" 10.20.0.0/16 ", "10.20.0.0/16"),
        ("10.20.0.5/32", "10.20.0.5"),
        ("::1/128", "::1"),
        ("::1", "::1"),
        ("fd00:1::/64", "fd00:1::/64"),
        ("::ffff:192.0.2.7", "192.0.2.7"),
    ] {
        assert_eq!(
            SourceRule::parse(text).unwrap().to_string(),
            shown,
            "{text}"
        );
    }
    let parsed: SourceRule = "192.0.2.0/24".parse().unwrap();
    assert_eq!(parsed, SourceRule::parse("192.0.2.0/24").unwrap());

    assert_eq!(SourceRule::parse("  "), Err(SourceRuleError::Empty));
    for every in ["*", "0.0.0.0/0", "::/0", "::ffff:0.0.0.0/96"] {
        let err = SourceRule::parse(every).unwrap_err();
        assert!(
            matches!(err, SourceRuleError::EverySource { .. }),
            "{every}: {err:?}"
        );
        assert!(
            err.to_string().contains("autoriserait toutes les sources"),
            "{err}"
        );
    }
    for bad in ["hopital.local", "10.20.0", "10.20.0.256", "*/8"] {
        let err = SourceRule::parse(bad).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "adresse source invalide : « {bad} » (attendu : une adresse IP comme 10.20.0.5 ou un bloc comme 10.20.0.0/16)"
            )
        );
    }
    for (bad, max) in [
        ("10.0.0.0/33", 32),
        ("10.0.0.0/", 32),
        ("10.0.0.0/+8", 32),
        ("10.0.0.0/8/8", 32),
        ("fd00::/129", 128),
    ] {
        assert_eq!(
            SourceRule::parse(bad),
            Err(SourceRuleError::InvalidPrefix {
                text: bad.into(),
                max
            })
        );
    }
    let err = SourceRule::parse("10.20.1.5/16").unwrap_err();
    assert_eq!(
        err.to_string(),
        "bloc « 10.20.1.5/16 » ambigu : l'adresse a des bits après le préfixe ; écrivez 10.20.0.0/16 pour le bloc entier, ou l'adresse seule"
    );
}

#[test]
fn an_ipv4_mapped_peer_matches_an_ipv4_rule() {
    let rule = SourceRule::parse("192.0.2.0/24").unwrap();
    assert!(rule.matches("::ffff:192.0.2.44".parse().unwrap()));
    assert!(rule.matches("192.0.2.44".parse().unwrap()));
    assert!(!rule.matches("::ffff:192.0.3.44".parse().unwrap()));
    assert!(!rule.matches("2001:db8::1".parse().unwrap()));
}
