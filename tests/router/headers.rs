//! Security headers: every answer (the page, its scripts, JSON answers, errors, a 405) says
//! `X-Content-Type-Options: nosniff`; the page's files carry a policy allowing only its own
//! files, every other answer one allowing nothing; the page's text files say they are UTF-8.

use super::*;

/// The `nosniff` and `content-security-policy` headers of a request's answer, and its status.
async fn security(
    app: &Router,
    method: Method,
    uri: &str,
    body: Option<&str>,
) -> (u16, String, String) {
    let mut req = Request::builder().method(method).uri(uri);
    if body.is_some() {
        req = req.header("content-type", "application/json");
    }
    let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
    let resp = app.clone().oneshot(req.body(body).unwrap()).await.unwrap();
    let h = |name: &str| {
        resp.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    };
    (
        resp.status().as_u16(),
        h("x-content-type-options"),
        h("content-security-policy"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_has_nosniff_and_a_content_security_policy() {
    let dir = tempfile::tempdir().unwrap();
    let docs = vec![("d1".to_string(), "some text to find".to_string())];
    let input = support::write_jsonl(dir.path(), "h.jsonl", &docs);
    let idx = dir.path().join("h");
    let mut o = verbatim_indexer::BuildOptions::new(vec![input], idx.clone(), "bytes");
    o.name = "h".into();
    verbatim_indexer::build(&o).unwrap();
    let (app, _) = router(&[idx.as_path()], 0);

    let page = "default-src 'self'; object-src 'none'";
    for uri in ["/", "/app.js", "/js/render.js", "/style.css"] {
        let (c, nosniff, csp) = security(&app, Method::GET, uri, None).await;
        assert_eq!((c, nosniff.as_str()), (200, "nosniff"), "{uri}");
        assert!(csp.starts_with(page), "{uri}: {csp}");
    }
    let api = "default-src 'none'; frame-ancestors 'none'";
    for (method, uri, body, status) in [
        (Method::GET, "/api/v1/indexes", None, 200),
        (Method::GET, "/api/v1/documents?id=d1", None, 200),
        (Method::GET, "/api/v1/documents?id=%3Cscript%3E", None, 404),
        (Method::GET, "/%3Cb%3Eno-such-page", None, 404),
        (
            Method::POST,
            "/api/v1/trace",
            Some(r#"{"response": "some text"}"#),
            200,
        ),
        (Method::POST, "/api/v1/trace", Some("{"), 400),
        (Method::GET, "/api/v1/trace", None, 405),
        (Method::GET, "/health", None, 200),
    ] {
        let (c, nosniff, csp) = security(&app, method.clone(), uri, body).await;
        assert_eq!(
            (c, nosniff.as_str(), csp.as_str()),
            (status, "nosniff", api),
            "{method} {uri}"
        );
    }
}

/// The page's text files say they are UTF-8, as `web/README.md` lists them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_text_files_are_declared_utf8() {
    let (app, _) = router(&[demo_index()], 0);
    for (uri, want) in [
        ("/", "text/html; charset=utf-8"),
        ("/app.js", "text/javascript; charset=utf-8"),
        ("/js/theme.js", "text/javascript; charset=utf-8"),
        ("/style.css", "text/css; charset=utf-8"),
        ("/favicon.svg", "image/svg+xml"),
    ] {
        let req = Request::builder().uri(uri).body(Body::empty()).unwrap();
        let resp = app.clone().oneshot(req).await.unwrap();
        assert_eq!(resp.status().as_u16(), 200, "{uri}");
        assert_eq!(resp.headers()["content-type"], want, "{uri}");
    }
}
