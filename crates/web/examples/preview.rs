//! Serves the pages over the test suite's fake hospital on 127.0.0.1, to
//! look at them in a browser without a real store (every request is a
//! physician of every unit, as in the tests):
//! `cargo run -p ckisa-web --example preview -- 8080`.
//!
//! The store's generation number goes up every 3 seconds, so the live
//! refresh can be watched at work (each refresh is logged).

#[path = "../tests/support/mod.rs"]
mod support;

use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(8080);
    let (router, store) = support::app();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(3)).await;
            store.generation.fetch_add(1, Ordering::SeqCst);
        }
    });
    let router = router.layer(axum::middleware::from_fn(log_partial));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    axum::serve(listener, router).await
}

/// Logs the live-refresh requests the page script makes.
#[expect(clippy::print_stderr, reason = "an example has no tracing subscriber")]
async fn log_partial(request: Request, next: Next) -> Response {
    if request.headers().contains_key("x-partial") {
        eprintln!("partial refresh of {}", request.uri().path());
    }
    next.run(request).await
}
