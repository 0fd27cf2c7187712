use std::sync::atomic::AtomicU64;
use std::sync::Arc;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let threads: usize = args[2].parse().unwrap();
    let files = verbatim_indexer::input::discover(&[args[1].clone().into()], Default::default()).unwrap();
    let r = verbatim_indexer::input::JsonlReader { text_field: "text", id_field: "id", max_document_bytes: 64 << 20, strict: false, progress: Arc::new(AtomicU64::new(0)) };
    let mut skips = verbatim_indexer::input::Skips::default();
    let t = std::time::Instant::now();
    let mut n = 0u64; let mut bytes = 0u64;
    verbatim_indexer::input::read_inputs(&r, &files, threads, &mut skips, &mut |d| { n += 1; bytes += d.text.len() as u64; Ok(()) }).unwrap();
    println!("{n} docs {bytes} bytes {:.2}s peak {} MiB", t.elapsed().as_secs_f64(), verbatim_indexer::rss::peak_rss_bytes() >> 20);
}
