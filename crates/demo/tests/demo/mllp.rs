//! The simulated HIS over real loopback TCP, against a tiny MLLP listener
//! written here: frames arrive, AE is survived, lost connections are
//! resumed with the unacknowledged message.

use super::support::{check_well_formed, field};
use ckisa_demo::{DemoOptions, HisError, HisState, Pace, generate, run_simulated_his};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

fn state() -> HisState {
    let options = DemoOptions {
        total_beds: 60,
        ..DemoOptions::at(super::support::fixed_now())
    };
    HisState::new(&generate(3, &options), 4)
}

/// Reads one MLLP frame's payload, or `None` at end of stream.
async fn read_frame(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<String> {
    loop {
        if let Some(start) = buffer.iter().position(|b| *b == 0x0B)
            && let Some(end) = buffer[start..].windows(2).position(|w| w == [0x1C, 0x0D])
        {
            let payload =
                String::from_utf8(buffer[start + 1..start + end].to_vec()).expect("UTF-8");
            buffer.drain(..start + end + 2);
            return Some(payload);
        }
        if stream.read_buf(buffer).await.ok()? == 0 {
            return None;
        }
    }
}

async fn ack(stream: &mut TcpStream, message: &str, code: &str) {
    let control_id = field(message, "MSH", 10).unwrap_or_default();
    let ack = format!(
        "MSH|^~\\&|CKISA|CHDEMO|DEMO-HIS|CHDEMO|20261204153000+0100||ACK|A{control_id}|P|2.5\rMSA|{code}|{control_id}\r"
    );
    let mut framed = vec![0x0B];
    framed.extend(ack.as_bytes());
    framed.extend([0x1C, 0x0D]);
    stream.write_all(&framed).await.expect("ACK written");
}

#[tokio::test]
async fn frames_arrive_and_an_error_ack_does_not_stop_the_stream() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let target = listener.local_addr().expect("address");
    let (stop, shutdown) = watch::channel(false);
    let his = tokio::spawn(run_simulated_his(target, state(), Pace::Fast, shutdown));

    let (mut stream, _) = listener.accept().await.expect("HIS connects");
    let mut buffer = Vec::new();
    let mut received = Vec::new();
    while received.len() < 25 {
        let message = read_frame(&mut stream, &mut buffer).await.expect("a frame");
        check_well_formed(&message);
        let code = if received.len() == 2 { "AE" } else { "AA" };
        ack(&mut stream, &message, code).await;
        received.push(message);
    }
    stop.send(true).expect("HIS still listening");
    let report = tokio::time::timeout(Duration::from_secs(5), his)
        .await
        .expect("HIS stops on shutdown")
        .expect("task ran")
        .expect("loopback target accepted");
    // The last ACK may race with shutdown; every earlier one was counted.
    assert_eq!(report.refused, 1);
    assert!(report.accepted >= 23, "{report:?}");
    assert!(report.sent >= 25, "{report:?}");
    assert_eq!(report.reconnections, 0);
    let third = field(&received[2], "MSH", 10);
    assert!(
        received[3..].iter().all(|m| field(m, "MSH", 10) != third),
        "refused message not resent"
    );
}

#[tokio::test]
async fn a_lost_connection_is_resumed_with_the_unacknowledged_message() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let target = listener.local_addr().expect("address");
    let (stop, shutdown) = watch::channel(false);
    let his = tokio::spawn(run_simulated_his(target, state(), Pace::Fast, shutdown));

    // First connection: acknowledge one message, then hang up on the second.
    let (mut first, _) = listener.accept().await.expect("first connection");
    let mut buffer = Vec::new();
    let one = read_frame(&mut first, &mut buffer)
        .await
        .expect("first frame");
    ack(&mut first, &one, "AA").await;
    let two = read_frame(&mut first, &mut buffer)
        .await
        .expect("second frame");
    drop(first);

    // Second connection: the unacknowledged message comes first.
    let (mut second, _) = listener.accept().await.expect("reconnection");
    let mut buffer = Vec::new();
    let again = read_frame(&mut second, &mut buffer)
        .await
        .expect("resent frame");
    assert_eq!(again, two);
    ack(&mut second, &again, "AA").await;
    let three = read_frame(&mut second, &mut buffer)
        .await
        .expect("next frame");
    assert_ne!(field(&three, "MSH", 10), field(&two, "MSH", 10));

    stop.send(true).expect("HIS still listening");
    let report = tokio::time::timeout(Duration::from_secs(5), his)
        .await
        .expect("HIS stops on shutdown")
        .expect("task ran")
        .expect("loopback target accepted");
    assert!(report.reconnections >= 1, "{report:?}");
    assert_eq!(report.accepted, 2);
}

#[tokio::test]
async fn shutdown_stops_a_his_that_cannot_connect() {
    // Bind then drop to get a loopback port nobody listens on.
    let target = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind")
        .local_addr()
        .expect("address");
    let (stop, shutdown) = watch::channel(false);
    let his = tokio::spawn(run_simulated_his(target, state(), Pace::Fast, shutdown));
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.send(true).expect("HIS still listening");
    let report = tokio::time::timeout(Duration::from_secs(5), his)
        .await
        .expect("HIS stops on shutdown")
        .expect("task ran")
        .expect("loopback target accepted");
    assert_eq!(report.sent, 0);
    assert!(report.reconnections >= 1);
}

#[tokio::test]
async fn only_loopback_targets_are_accepted() {
    let (_stop, shutdown) = watch::channel(false);
    // 192.0.2.1 is a documentation address; the check happens before any connection.
    let target = "192.0.2.1:2575".parse().expect("address");
    let result = run_simulated_his(target, state(), Pace::Fast, shutdown).await;
    assert!(matches!(result, Err(HisError::NotLoopback { .. })));
}
