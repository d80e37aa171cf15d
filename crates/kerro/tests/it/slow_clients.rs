//! The real server against slow and idle clients: a request's headers and its
//! body each have a deadline, an idle connection is closed, and past the
//! connection limit clients wait until a connection ends.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::serve::spawn_listening;

const ADMIN: &str = "slow-clients-admin-token-0123456789abcdef";

/// Reads until the server closes the connection or `within` passes; what was read,
/// and whether it was closed.
fn read_until_closed(s: &mut TcpStream, within: Duration) -> (String, bool) {
    let deadline = Instant::now() + within;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while Instant::now() < deadline {
        s.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
        match s.read(&mut buf) {
            Ok(0) => return (String::from_utf8_lossy(&got).into_owned(), true),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => return (String::from_utf8_lossy(&got).into_owned(), true),
        }
    }
    (String::from_utf8_lossy(&got).into_owned(), false)
}

/// Sends `parts` one by one, `gap` apart, while the connection stays open; how long it stayed open.
fn trickle(s: &mut TcpStream, parts: &[&[u8]], gap: Duration) -> Duration {
    let start = Instant::now();
    for p in parts {
        if s.write_all(p).is_err() {
            break;
        }
        std::thread::sleep(gap);
    }
    start.elapsed()
}

#[test]
fn slow_and_idle_clients_are_cut_off_and_the_connection_limit_holds() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("kerro.toml"),
        "[server]\nheader_read_timeout_secs = 1\nbody_timeout_secs = 1\nidle_timeout_secs = 2\nmax_connections = 3\n",
    )
    .unwrap();
    let (mut child, url) = spawn_listening(
        Command::new(env!("CARGO_BIN_EXE_kerro"))
            .args(["serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(dir.path())
            .env("KERRO_ADMIN_TOKEN", ADMIN)
            .env("KERRO_LOG", "warn"),
    );
    let addr = url.trim_start_matches("http://").to_owned();
    let connect = || TcpStream::connect(&addr).unwrap();

    // Headers trickled a line every 300 ms: cut off after about a second, although
    // bytes keep arriving.
    let mut s = connect();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: kerro\r\n")
        .unwrap();
    let start = Instant::now();
    let lines: Vec<&[u8]> = vec![b"X-Slow: 1\r\n"; 30];
    let mut t = s.try_clone().unwrap();
    let writer = std::thread::spawn(move || trickle(&mut t, &lines, Duration::from_millis(300)));
    let (answer, closed) = read_until_closed(&mut s, Duration::from_secs(6));
    let held = start.elapsed();
    assert!(closed, "a slow header was not cut off: {answer}");
    assert!(!answer.contains("200 OK"), "{answer}");
    assert!(
        held >= Duration::from_millis(900) && held < Duration::from_secs(3),
        "cut after {held:?}"
    );
    writer.join().unwrap();

    // A body trickled a byte every 200 ms: 408 once its second is over, with the page.
    let mut s = connect();
    s.write_all(b"POST /login?lang=en HTTP/1.1\r\nHost: kerro\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n").unwrap();
    let start = Instant::now();
    let bytes: Vec<&[u8]> = vec![b"e"; 30];
    let mut t = s.try_clone().unwrap();
    let writer = std::thread::spawn(move || trickle(&mut t, &bytes, Duration::from_millis(200)));
    let (answer, _) = read_until_closed(&mut s, Duration::from_secs(6));
    let held = start.elapsed();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        answer.contains("took too long"),
        "the page says why: {answer}"
    );
    assert!(held < Duration::from_secs(4), "answered after {held:?}");
    writer.join().unwrap();

    // The API says the same in its error shape.
    let mut s = connect();
    let head = format!("POST /v1/subjects HTTP/1.1\r\nHost: kerro\r\nAuthorization: Bearer {ADMIN}\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{{");
    s.write_all(head.as_bytes()).unwrap();
    let (answer, _) = read_until_closed(&mut s, Duration::from_secs(4));
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"code\":\"request_timeout\""), "{answer}");

    // A connection that sends nothing, and one kept alive after a request, are closed
    // after the idle timeout.
    let mut quiet = connect();
    let mut kept = connect();
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: kerro\r\n\r\n")
        .unwrap();
    let start = Instant::now();
    let (answer, closed) = read_until_closed(&mut kept, Duration::from_secs(6));
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("{\"status\":\"ok\"}"), "{answer}");
    assert!(closed, "a kept-alive connection stays open");
    let held = start.elapsed();
    assert!(
        held >= Duration::from_millis(1900) && held < Duration::from_secs(4),
        "idle for {held:?}"
    );
    let (_, closed) = read_until_closed(&mut quiet, Duration::from_secs(2));
    assert!(closed, "a silent connection stays open");

    // Three connections at most: a fourth is served only when one of them ends.
    let held: Vec<TcpStream> = (0..3)
        .map(|_| {
            let c = connect();
            std::thread::sleep(Duration::from_millis(50));
            c
        })
        .collect();
    let mut fourth = connect();
    fourth
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: kerro\r\nConnection: close\r\n\r\n")
        .unwrap();
    let (answer, _) = read_until_closed(&mut fourth, Duration::from_millis(600));
    assert_eq!(answer, "", "served past the limit");
    let freed = Instant::now();
    drop(held);
    let (answer, _) = read_until_closed(&mut fourth, Duration::from_secs(3));
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(freed.elapsed() < Duration::from_secs(2));

    child.kill().unwrap();
    child.wait().unwrap();
}
