//! Issue 16, item 5: every oversized request gets its 413, over a real socket and under
//! concurrency, whether or not the client waits for `100 Continue`.
//!
//! The cause of the lost answers: the body limit was enforced while reading the body, so hyper
//! first answered `100 Continue`, the client started sending its 64 MB, and after the 413 the
//! server closed the connection with the rest of the body unread; closing a socket with unread
//! data sends a TCP reset, and a client still sending its body sees its write fail ("connection
//! reset") before it reads the 413.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;
use verbatim_server::{AppState, ServerConfig};

/// Reads one response head; returns its status, or why there was none.
fn read_status(s: &mut TcpStream) -> Result<u16, String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match s.read(&mut byte) {
            Ok(0) => {
                return Err(format!(
                    "connection closed after {} bytes of head",
                    head.len()
                ))
            }
            Ok(_) => head.push(byte[0]),
            Err(e) => return Err(format!("{e} after {} bytes of head", head.len())),
        }
    }
    let line = String::from_utf8_lossy(&head);
    line.split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("bad head {line:?}"))
}

/// Sends the whole body, then the caller reads the answer: what most HTTP clients do (Python's
/// `requests`, Java's `HttpURLConnection`). A write that fails is what such a client reports as
/// a connection closed with no final status.
fn send_body(s: &mut TcpStream, len: usize) -> Result<(), String> {
    let chunk = vec![b' '; 1 << 16];
    let mut sent = 0;
    while sent < len {
        if let Err(e) = s.write_all(&chunk) {
            return Err(format!(
                "{e} after sending {sent} bytes, before any final status"
            ));
        }
        sent += chunk.len();
    }
    Ok(())
}

/// Sends a JSON request announcing `len` bytes, the way curl does with `expect` (wait for
/// `100 Continue`, then send) or a plain client does (send at once); returns the final status.
fn oversized_request(addr: SocketAddr, len: usize, expect: bool) -> Result<u16, String> {
    let mut s = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.set_write_timeout(Some(Duration::from_secs(20))).unwrap();
    let head = format!(
        "POST /api/v1/trace HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {len}\r\n{}\r\n",
        if expect { "Expect: 100-continue\r\n" } else { "" }
    );
    s.write_all(head.as_bytes()).map_err(|e| e.to_string())?;
    if expect {
        let status = read_status(&mut s)?;
        if status != 100 {
            return Ok(status);
        }
    }
    send_body(&mut s, len)?;
    read_status(&mut s)
}

#[test]
fn issue16_every_oversized_request_gets_its_413_even_with_expect_continue() {
    let dir = tempfile::tempdir().unwrap();
    let docs = vec![("a".to_string(), "some text".to_string())];
    let input = crate::support::write_jsonl(dir.path(), "c.jsonl", &docs);
    let idx = dir.path().join("idx");
    crate::support::build(vec![input], &idx, "bytes", None);
    let index = Arc::new(verbatim_core::Index::open(&idx).unwrap());
    let config = ServerConfig {
        max_body_bytes: 1 << 20,
        ..ServerConfig::default()
    };
    let state = AppState::new(config, vec![index], None).unwrap();
    let server = crate::support::serve_loopback(verbatim_server::app(Arc::new(state)));
    let addr = server.addr;
    let len = 16 << 20;
    let threads: Vec<_> = (0..8)
        .map(|t| {
            std::thread::spawn(move || {
                (0..4)
                    .map(|i| (t, i, oversized_request(addr, len, (t + i) % 2 == 0)))
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut failures = Vec::new();
    for th in threads {
        for (t, i, r) in th.join().unwrap() {
            if r != Ok(413) {
                failures.push(format!(
                    "thread {t} request {i} (expect: {}): {r:?}",
                    (t + i) % 2 == 0
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of 32 oversized requests got no 413:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // A body under the limit is still read and answered.
    let mut s = TcpStream::connect(addr).unwrap();
    let body = br#"{"response": "some text"}"#;
    write!(
        s,
        "POST /api/v1/trace HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\r\n",
        body.len()
    )
    .unwrap();
    assert_eq!(read_status(&mut s), Ok(100));
    s.write_all(body).unwrap();
    assert_eq!(read_status(&mut s), Ok(200));
}
