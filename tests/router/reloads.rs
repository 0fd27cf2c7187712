//! Indexes that change on disk while served: an append, a compaction, a damaged manifest. The
//! server opens the new generation without a restart, answers from it (never from a cached
//! answer of the instance it replaced), keeps groups over it current, and goes on answering
//! from the instance it has when the new one cannot be opened.

use super::*;
use std::time::{Duration, Instant};

/// A document only the append adds, and a text whose spans only it holds.
pub(super) const NEW_ID: &str = "books/new/1";
pub(super) const NEW_TEXT: &str =
    "Quietly the lighthouse keeper counted seventeen gulls above the harbour wall.";

/// Appends one document ([`NEW_ID`]) to the index in `out`.
pub(super) fn append_new_document(dir: &Path, out: &Path) {
    let input = support::write_jsonl(
        dir,
        "new.jsonl",
        &[(NEW_ID.to_string(), NEW_TEXT.to_string())],
    );
    let tok = support::demo_tokenizer();
    let mut o =
        verbatim_indexer::BuildOptions::new(vec![input], out.to_path_buf(), tok.to_str().unwrap());
    o.append = true;
    o.threads = 2;
    verbatim_indexer::build(&o).expect("append succeeds");
}

/// Rebuilds the index in `idx` (`--force`) as `name`, holding [`NEW_ID`] alone.
fn rebuild_with_the_new_document(dir: &Path, idx: &Path, name: &str) {
    let input = support::write_jsonl(
        dir,
        "rebuilt.jsonl",
        &[(NEW_ID.to_string(), NEW_TEXT.to_string())],
    );
    let tok = support::demo_tokenizer();
    let mut o =
        verbatim_indexer::BuildOptions::new(vec![input], idx.to_path_buf(), tok.to_str().unwrap());
    o.threads = 2;
    o.name = name.into();
    o.force = true;
    verbatim_indexer::build(&o).expect("forced rebuild succeeds");
}

/// Asks `/health` every 50 ms (each request starts a reload when the manifest changed) until
/// `index`'s entry in its `generations` satisfies `done`; returns that answer, or fails after
/// 60 s naming `what` was waited for.
async fn until_health(
    app: &Router,
    index: &str,
    what: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let t = Instant::now();
    loop {
        let (_, h) = get(app, "/health").await;
        if done(&h["generations"][index]) {
            return h;
        }
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "{index} not {what} after 60 s: {h}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// [`until_health`] until `index` serves `generation` and no reload is running or failed.
pub(super) async fn until_generation(app: &Router, index: &str, generation: u64) -> Value {
    until_health(app, index, &format!("at generation {generation}"), |g| {
        g["generation"] == generation && g["state"] == "current"
    })
    .await
}

/// The ids of the documents a trace shows.
pub(super) fn shown(trace: &Value) -> Vec<String> {
    trace["documents"]
        .as_array()
        .unwrap_or_else(|| panic!("no documents: {trace}"))
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_string())
        .collect()
}

/// An append while serving is served without a restart: counts, traces (the same request
/// cached before the append included), document lookups, `/api/v1/indexes` and takedowns of
/// the new document.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_append_while_serving_is_served_without_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let idx = build_index(dir.path(), "grow", &support::demo_tokenizer());
    let (app, _) = router(&[idx.as_path()], 256);
    let trace = json!({"response": NEW_TEXT});
    let count = json!({"text": " seventeen gulls above the harbour"});
    let (c, before) = post(&app, "/api/v1/trace", trace.clone()).await;
    assert_eq!(c, 200, "{before}");
    assert!(!shown(&before).contains(&NEW_ID.to_string()), "{before}");
    assert_eq!(
        post(&app, "/api/v1/count", count.clone()).await.1["count"],
        0
    );
    assert_eq!(get(&app, "/api/v1/documents/books%2Fnew%2F1").await.0, 404);

    append_new_document(dir.path(), &idx);
    let h = until_generation(&app, "grow", 1).await;
    assert_eq!(h["generations"]["grow"]["reloads"], 1, "{h}");
    assert_eq!(h["status"], "ok", "{h}");

    let (c, after) = post(&app, "/api/v1/trace", trace.clone()).await;
    assert_eq!(c, 200, "{after}");
    assert!(
        shown(&after).contains(&NEW_ID.to_string()),
        "the trace cached before the append was served: {after}"
    );
    assert_eq!(
        post(&app, "/api/v1/count", count.clone()).await.1["count"],
        1
    );
    let (c, d) = get(&app, "/api/v1/documents/books%2Fnew%2F1").await;
    assert_eq!(c, 200, "{d}");
    let (_, i) = get(&app, "/api/v1/indexes").await;
    assert_eq!(i["indexes"][0]["documents"], 7, "{i}");
    assert_eq!(i["indexes"][0]["generation"], 1, "{i}");
    assert_eq!(i["indexes"][0]["shards"], 2, "{i}");
    let (_, m) = get(&app, "/metrics").await;
    let m = m.as_str().unwrap();
    assert!(
        m.contains(r#"verbatim_index_reloads_total{index="grow",outcome="ok"} 1"#),
        "{m}"
    );
    assert!(
        m.contains(r#"verbatim_index_generation{index="grow"} 1"#),
        "{m}"
    );

    // A takedown of the appended document applies to the new instance at once.
    let opened = Index::open(&idx).unwrap();
    let no = opened.id_map().unwrap().get(NEW_ID).unwrap();
    let mut list = verbatim_core::takedown::Takedown::load(&idx, opened.index_id()).unwrap();
    list.insert(no);
    list.save(&idx, opened.index_id()).unwrap();
    let (_, t) = post(&app, "/api/v1/trace", trace).await;
    assert!(!shown(&t).contains(&NEW_ID.to_string()), "{t}");
    assert_eq!(get(&app, "/api/v1/documents/books%2Fnew%2F1").await.0, 404);
}

/// A compaction while serving: the server moves to the one-shard generation (whose old shard
/// directories the compaction deleted) with the same answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_compaction_while_serving_is_served_with_the_same_answers() {
    let dir = tempfile::tempdir().unwrap();
    let idx = build_index(dir.path(), "grow", &support::demo_tokenizer());
    append_new_document(dir.path(), &idx);
    let (app, _) = router(&[idx.as_path()], 256);
    let requests = [
        ("/api/v1/trace", json!({"response": NEW_TEXT})),
        (
            "/api/v1/trace",
            json!({"response": "The built-in sorted() function returns a new sorted list from the items in iterable."}),
        ),
        ("/api/v1/count", json!({"text": " the age of"})),
    ];
    let mut before = Vec::new();
    for (uri, body) in &requests {
        let (c, v) = post(&app, uri, body.clone()).await;
        assert_eq!(c, 200, "{v}");
        before.push(v);
    }
    let (_, i) = get(&app, "/api/v1/indexes").await;
    assert_eq!(i["indexes"][0]["shards"], 2, "{i}");

    verbatim_indexer::compact(&verbatim_indexer::CompactOptions::new(idx.clone())).unwrap();
    until_generation(&app, "grow", 2).await;
    let (_, i) = get(&app, "/api/v1/indexes").await;
    assert_eq!(i["indexes"][0]["shards"], 1, "{i}");
    for ((uri, body), want) in requests.iter().zip(&before) {
        let (c, got) = post(&app, uri, body.clone()).await;
        assert_eq!(c, 200, "{got}");
        let strip = |v: &Value| {
            let mut v = v.clone();
            if let Some(o) = v.as_object_mut() {
                o.remove("timing_ms");
            }
            v
        };
        assert_eq!(strip(&got), strip(want), "{uri} {body}");
    }
}

/// Groups over a reloaded index (`all`, and a listed group built before the append) answer
/// from its new generation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_follow_a_reloaded_member() {
    let dir = tempfile::tempdir().unwrap();
    let a = build_index(dir.path(), "a", &support::demo_tokenizer());
    let b = build_index(dir.path(), "b", &support::demo_tokenizer());
    let (app, _) = router(&[a.as_path(), b.as_path()], 256);
    let count =
        |index: Value| json!({"text": " seventeen gulls above the harbour", "index": index});
    for sel in [json!("all"), json!(["a", "b"]), json!("a")] {
        let (c, v) = post(&app, "/api/v1/count", count(sel.clone())).await;
        assert_eq!((c, &v["count"]), (200, &json!(0)), "{sel}: {v}");
    }
    append_new_document(dir.path(), &a);
    until_generation(&app, "a", 1).await;
    for sel in [json!("all"), json!(["a", "b"]), json!("a")] {
        let (c, v) = post(&app, "/api/v1/count", count(sel.clone())).await;
        assert_eq!((c, &v["count"]), (200, &json!(1)), "{sel}: {v}");
    }
    let (_, t) = post(
        &app,
        "/api/v1/trace",
        json!({"response": NEW_TEXT, "index": "all"}),
    )
    .await;
    assert!(shown(&t).contains(&NEW_ID.to_string()), "{t}");
    let (_, i) = get(&app, "/api/v1/indexes").await;
    assert_eq!(i["groups"][0]["documents"], 13, "{i}");
}

/// A manifest that cannot be read (damaged, or mid-replacement) is not served: the instance
/// opened before goes on answering, `/health` names the failure, and once the manifest reads
/// again the index is opened again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_new_manifest_keeps_the_served_instance_until_it_reads() {
    let dir = tempfile::tempdir().unwrap();
    let idx = build_index(dir.path(), "grow", &support::demo_tokenizer());
    let (app, _) = router(&[idx.as_path()], 0);
    let count = json!({"text": " the age of"});
    let want = post(&app, "/api/v1/count", count.clone()).await.1["count"].clone();
    assert!(want.as_u64().unwrap() > 0);
    let manifest = idx.join("manifest.bin");
    let good = std::fs::read(&manifest).unwrap();
    let mut bad = good.clone();
    let last = bad.len() - 1;
    bad[last] ^= 0xff;
    std::fs::write(idx.join("manifest.bin.new"), &bad).unwrap();
    std::fs::rename(idx.join("manifest.bin.new"), &manifest).unwrap();
    let h = until_health(&app, "grow", "failed", |g| g["state"] == "failed").await;
    assert_eq!(
        h["status"], "ok",
        "the instance served before still answers: {h}"
    );
    let error = h["generations"]["grow"]["error"].as_str().unwrap();
    assert!(error.contains("manifest"), "{error}");
    let (_, m) = get(&app, "/metrics").await;
    assert!(
        m.as_str()
            .unwrap()
            .contains(r#"verbatim_index_reloads_total{index="grow",outcome="failed"}"#),
        "{m}"
    );
    let (c, v) = post(&app, "/api/v1/count", count.clone()).await;
    assert_eq!((c, &v["count"]), (200, &want), "{v}");
    // Restored: opened again after the retry delay.
    std::fs::write(idx.join("manifest.bin.new"), &good).unwrap();
    std::fs::rename(idx.join("manifest.bin.new"), &manifest).unwrap();
    let h = until_generation(&app, "grow", 0).await;
    assert_eq!(h["generations"]["grow"]["reloads"], 1, "{h}");
    assert!(h["generations"]["grow"].get("error").is_none(), "{h}");
    let (c, v) = post(&app, "/api/v1/count", count).await;
    assert_eq!((c, &v["count"]), (200, &want), "{v}");
}

/// A forced rebuild into the served directory (a new corpus, same name) is served once the
/// rebuilt index is renamed into place: its documents, not the replaced index's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forced_rebuild_while_serving_is_served() {
    let dir = tempfile::tempdir().unwrap();
    let idx = build_index(dir.path(), "grow", &support::demo_tokenizer());
    let (app, _) = router(&[idx.as_path()], 256);
    let count = |text: &str| json!({ "text": text });
    assert_eq!(
        post(&app, "/api/v1/count", count(" the age of")).await.1["count"],
        2
    );
    rebuild_with_the_new_document(dir.path(), &idx, "grow");
    until_health(&app, "grow", "reloaded", |g| {
        g["reloads"] == 1 && g["state"] == "current"
    })
    .await;
    assert_eq!(
        post(&app, "/api/v1/count", count(" the age of")).await.1["count"],
        0
    );
    let (c, v) = post(
        &app,
        "/api/v1/count",
        count(" seventeen gulls above the harbour"),
    )
    .await;
    assert_eq!((c, &v["count"]), (200, &json!(1)), "{v}");
    let (_, i) = get(&app, "/api/v1/indexes").await;
    assert_eq!(i["indexes"][0]["documents"], 1, "{i}");
    assert_eq!(get(&app, "/api/v1/documents/books%2Ftale%2F1").await.0, 404);
}

/// A forced rebuild under another name cannot be served without a restart, and may lack
/// documents the replaced index shows (it went on showing them, `/health` saying "ok"): the
/// index answers nothing (503 saying to restart) and `/health` says it is failing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forced_rebuild_under_another_name_answers_nothing_until_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let idx = build_index(dir.path(), "grow", &support::demo_tokenizer());
    let (app, _) = router(&[idx.as_path()], 256);
    assert_eq!(get(&app, "/api/v1/documents/books%2Ftale%2F1").await.0, 200);
    rebuild_with_the_new_document(dir.path(), &idx, "renamed");
    let h = until_health(&app, "grow", "refused", |g| g["state"] == "replaced").await;
    assert_eq!(h["status"], "failing", "{h}");
    let (c, e) = get(&app, "/api/v1/documents/books%2Ftale%2F1").await;
    assert_eq!(c, 503, "{e}");
    let msg = e["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("restart the server") && msg.contains("renamed"),
        "{msg}"
    );
    let (c, _) = post(&app, "/api/v1/count", json!({"text": " the age of"})).await;
    assert_eq!(c, 503);
    // The list of indexes no longer describes the index it replaced: it names it unavailable,
    // with the reason its queries get.
    let (c, v) = get(&app, "/api/v1/indexes").await;
    assert_eq!(c, 200, "{v}");
    assert_eq!(v["indexes"], json!([]), "{v}");
    assert_eq!(v["groups"], json!([]), "{v}");
    assert_eq!(v["unavailable"][0]["name"], "grow", "{v}");
    let why = v["unavailable"][0]["error"].as_str().unwrap();
    assert!(why.contains("restart the server"), "{why}");
}

/// A group over an index rebuilt as one the server cannot serve is listed as unavailable with
/// it; the other index is listed as before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_index_list_names_a_replaced_member_and_its_groups_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    let a = build_index(dir.path(), "a", &support::demo_tokenizer());
    let b = build_index(dir.path(), "b", &support::demo_tokenizer());
    let (app, _) = router(&[a.as_path(), b.as_path()], 256);
    let (_, before) = get(&app, "/api/v1/indexes").await;
    assert_eq!(before["groups"][0]["name"], "all", "{before}");
    rebuild_with_the_new_document(dir.path(), &b, "renamed");
    until_health(&app, "b", "refused", |g| g["state"] == "replaced").await;
    let (c, v) = get(&app, "/api/v1/indexes").await;
    assert_eq!(c, 200, "{v}");
    assert_eq!(v["indexes"], json!([before["indexes"][0].clone()]), "{v}");
    assert_eq!(v["groups"], json!([]), "{v}");
    let names: Vec<&str> = v["unavailable"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["b", "all"], "{v}");
}

/// Requests running while an append is committed and served: every one answers 200, each
/// from one whole instance (a count of the appended text is 0 or 1), and once a client has
/// seen the new instance it never gets an answer from the old one again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_during_a_reload_get_one_instance_or_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let idx = build_index(dir.path(), "grow", &support::demo_tokenizer());
    let (app, _) = router(&[idx.as_path()], 0);
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut clients = Vec::new();
    for _ in 0..3 {
        let (app, stop) = (app.clone(), stop.clone());
        clients.push(tokio::spawn(async move {
            let mut seen = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let (c, v) = post(
                    &app,
                    "/api/v1/count",
                    json!({"text": " seventeen gulls above the harbour"}),
                )
                .await;
                assert_eq!(c, 200, "{v}");
                seen.push(v["count"].as_u64().unwrap());
                let (c, t) = post(&app, "/api/v1/trace", json!({"response": NEW_TEXT})).await;
                assert_eq!(c, 200, "{t}");
            }
            seen
        }));
    }
    let (d, out) = (dir.path().to_path_buf(), idx.clone());
    tokio::task::spawn_blocking(move || append_new_document(&d, &out))
        .await
        .unwrap();
    until_generation(&app, "grow", 1).await;
    // A few more rounds on the new instance.
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    for c in clients {
        let seen = c.await.unwrap();
        assert!(seen.iter().all(|&n| n <= 1), "{seen:?}");
        let first_new = seen.iter().position(|&n| n == 1);
        let first_new = first_new.unwrap_or_else(|| panic!("never saw the append: {seen:?}"));
        assert!(
            seen[first_new..].iter().all(|&n| n == 1),
            "an answer from the replaced instance after the new one: {seen:?}"
        );
    }
}

/// A new generation is read as the one it replaces: an index served from disk
/// (`--residency disk`) stays advised for disk after an append is reloaded.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reloaded_generation_keeps_the_residency() {
    let dir = tempfile::tempdir().unwrap();
    let idx = build_index(dir.path(), "grow", &support::demo_tokenizer());
    let (app, opened) = router(&[idx.as_path()], 256);
    assert_eq!(
        opened[0].set_residency(verbatim_core::Residency::Disk),
        verbatim_core::Residency::Disk
    );
    append_new_document(dir.path(), &idx);
    let health = until_generation(&app, "grow", 1).await;
    assert_eq!(
        health["generations"]["grow"]["residency"], "disk",
        "{health}"
    );
    let shards: Vec<String> = std::fs::read_dir(&idx)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("shard-"))
        .collect();
    assert_eq!(shards.len(), 2, "{shards:?}");
    for shard in &shards {
        let mapped = support::vm_flags_under(&idx.join(shard));
        assert!(
            mapped.iter().any(|(n, _)| n == "sa.bin"),
            "{shard} is mapped: {mapped:?}"
        );
        for (name, flags) in mapped {
            let has = |x: &str| flags.split_whitespace().any(|f| f == x);
            assert!(has("rr") && !has("hg"), "{shard}/{name}: {flags}");
        }
    }
}

/// A router over `opened` as `serve --residency auto` starts it under a page-cache `limit`
/// the indexes fit half of: each read from memory, and `auto` judged again on reload.
#[cfg(target_os = "linux")]
fn auto_residency_router(opened: &[Arc<Index>], limit: u64) -> Router {
    use verbatim_core::Residency;
    let bytes: u64 = opened.iter().map(|i| i.mapped_bytes()).sum();
    for index in opened {
        assert_eq!(
            index.set_residency(Residency::Auto.resolve(bytes, Some(limit))),
            Residency::Memory
        );
    }
    let reload = verbatim_server::ReloadOptions {
        residency: verbatim_server::ReloadResidency::Auto { limit: Some(limit) },
        ..Default::default()
    };
    let state = AppState::new(ServerConfig::default(), opened.to_vec(), None)
        .unwrap()
        .with_reload(reload);
    verbatim_server::app(Arc::new(state))
}

/// With `serve --residency auto` the choice is judged again when an index is reloaded: an
/// append that takes the served indexes past half of the memory limit has the new generation,
/// and every other served index, read from disk.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_residency_is_judged_again_when_an_append_grows_past_the_limit() {
    use verbatim_core::Residency;
    let dir = tempfile::tempdir().unwrap();
    let grow = build_index(dir.path(), "grow", &support::demo_tokenizer());
    let still = build_index(dir.path(), "still", &support::demo_tokenizer());
    let opened: Vec<Arc<Index>> = [&grow, &still]
        .iter()
        .map(|d| Arc::new(Index::open(d).unwrap()))
        .collect();
    // A limit the two indexes fit in half of, as they are now, and not once one grows.
    let bytes: u64 = opened.iter().map(|i| i.mapped_bytes()).sum();
    let limit = 2 * bytes;
    let app = auto_residency_router(&opened, limit);
    append_new_document(dir.path(), &grow);
    let health = until_generation(&app, "grow", 1).await;
    for name in ["grow", "still"] {
        assert_eq!(
            health["generations"][name]["residency"], "disk",
            "{name}: {health}"
        );
    }
    // The index that did not change is read from disk too, its very mapping.
    assert_eq!(opened[1].residency(), Residency::Disk);
    let mapped = support::vm_flags_under(&still);
    assert!(mapped.iter().any(|(n, _)| n == "sa.bin"), "{mapped:?}");
    for (name, flags) in mapped.iter().filter(|(n, _)| n.ends_with(".bin")) {
        assert!(
            flags.split_whitespace().any(|f| f == "rr"),
            "still/{name}: {flags}"
        );
    }
}

/// Two served indexes that change at once are judged together: the reload that swaps second
/// judges `auto` with the first one's new generation in place. Each index alone grown stays
/// within half of the limit; both grown do not, so both end read from disk.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_residency_of_two_reloads_at_once_sees_both_new_generations() {
    let dir = tempfile::tempdir().unwrap();
    let tok = support::demo_tokenizer();
    let a = build_index(dir.path(), "a", &tok);
    let b = build_index(dir.path(), "b", &tok);
    // How much one append grows an index like these: measured on a third copy.
    let probe = build_index(dir.path(), "probe", &tok);
    let before = Index::open(&probe).unwrap().mapped_bytes();
    append_new_document(dir.path(), &probe);
    let grown = Index::open(&probe).unwrap().mapped_bytes();
    assert!(grown > before, "{before} -> {grown}");
    let step = grown - before;
    let opened: Vec<Arc<Index>> = [&a, &b]
        .iter()
        .map(|d| Arc::new(Index::open(d).unwrap()))
        .collect();
    let bytes: u64 = opened.iter().map(|i| i.mapped_bytes()).sum();
    // Half the limit holds both indexes with one of them grown, not with both.
    let limit = 2 * (bytes + step + step / 2);
    let app = auto_residency_router(&opened, limit);
    // Both change before the first request, which starts both reloads.
    append_new_document(dir.path(), &a);
    append_new_document(dir.path(), &b);
    until_generation(&app, "a", 1).await;
    let health = until_generation(&app, "b", 1).await;
    for name in ["a", "b"] {
        assert_eq!(
            health["generations"][name]["residency"], "disk",
            "{name}: {health}"
        );
    }
}
