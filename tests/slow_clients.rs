//! Clients that stall cannot hold the server's connections: headers not finished within
//! `--header-timeout-secs` close the connection, and a body that pauses longer than
//! `--body-timeout-secs` is answered 408 (a review held 300 connections open past 70 s).

use crate::server_api::{demo_like_index, Server};
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// Connects to `server` with a read timeout far longer than the server's limits, so that a
/// read timing out means the server kept the connection.
fn connect(server: &Server) -> TcpStream {
    let s = TcpStream::connect(server.base.trim_start_matches("http://")).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s
}

/// Everything the server sends until it closes the connection, or until `until` is in it.
fn read_answer(s: &mut TcpStream, until: &str) -> Result<String, std::io::Error> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => break,
            Err(e) => return Err(e),
        }
        if String::from_utf8_lossy(&got).contains(until) {
            break;
        }
    }
    Ok(String::from_utf8_lossy(&got).into_owned())
}

#[test]
fn stalled_headers_and_bodies_are_cut_off() {
    let dir = tempfile::tempdir().unwrap();
    let idx = demo_like_index(dir.path());
    let server = Server::start(
        &idx,
        &["--header-timeout-secs", "1", "--body-timeout-secs", "1"],
    );

    let mut s = connect(&server);
    s.write_all(b"POST /api/v1/count HTTP/1.1\r\nHost: verbatim\r\n")
        .unwrap();
    let answer = read_answer(&mut s, "\r\n\r\n").expect("the server closes the connection");
    assert!(!answer.starts_with("HTTP/1.1 2"), "{answer}");

    let mut s = connect(&server);
    s.write_all(
        b"POST /api/v1/count HTTP/1.1\r\nHost: verbatim\r\nContent-Type: application/json\r\n\
          Content-Length: 100\r\n\r\n{\"text\": ",
    )
    .unwrap();
    let answer = read_answer(&mut s, "}}").expect("the server answers");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"request_timeout\""), "{answer}");

    // Clients that do not stall are served as before.
    let (status, body) = server.post("/api/v1/count", serde_json::json!({"text": "the"}));
    assert_eq!(status, 200, "{body}");
}
