//! `verbatim serve` and `verbatim demo`.

use anyhow::{Context, Result};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use verbatim_server::{AppState, ServerConfig};

/// A byte count given as a size (`65536`, `64K`, `4MiB`), as a `usize`.
fn byte_size(s: &str) -> Result<usize, String> {
    let bytes = verbatim_indexer::memory::parse_size(s)?;
    usize::try_from(bytes).map_err(|_| format!("{s:?} is too large for this machine"))
}

/// Server flags shared by `serve` and `demo`.
#[derive(Debug, clap::Args)]
pub struct ServerFlags {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Requests computing at once, sharing the thread pool (one thread per core; default: number of cores).
    #[arg(long)]
    workers: Option<usize>,
    /// Requests waiting for a worker before new ones get 503.
    #[arg(long)]
    queue: Option<usize>,
    /// Per-request deadline in milliseconds (then 504).
    #[arg(long, default_value_t = 10_000)]
    deadline_ms: u64,
    /// Seconds a client has to send a request's headers before its connection is closed
    /// (stalled clients cannot hold connections).
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    header_timeout_secs: u64,
    /// Longest pause, in seconds, between two reads of a request body (then 408).
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    body_timeout_secs: u64,
    /// Largest text accepted, bytes (then 413); `64K` and `1M` work too.
    #[arg(long, default_value_t = 64 << 10, value_parser = byte_size)]
    max_text_bytes: usize,
    /// Largest request body, bytes (then 413; default: 4 MiB, or three times
    /// --max-text-bytes plus 64 KiB if more, room for one text however JSON escapes it).
    #[arg(long, value_parser = byte_size)]
    max_body_bytes: Option<usize>,
    /// Largest number of items in one contamination request (then 413).
    #[arg(long, default_value_t = 1000)]
    max_items: usize,
    /// Allow cross-origin requests from this origin (repeatable). CORS is off by default.
    #[arg(long)]
    cors_origin: Vec<String>,
    /// Responses kept for identical requests (0 disables the cache); a response over 1 MiB
    /// is not kept, so bodies take at most this many MiB (keys, the request bodies, besides).
    #[arg(long, default_value_t = 256)]
    cache_entries: usize,
    /// Most document tokens one trace may read and show: the context windows of every
    /// document occurrence it picks (for ranking, snippets and long views) and the full texts
    /// it is asked for (then 422, before any is read). The default, 16,777,216 (about 64 MiB
    /// of text), is 195 times the most any default trace of a 450-token output read in the
    /// benchmarks (86k tokens; 4M with full documents of books).
    #[arg(long, default_value_t = 16 << 20)]
    max_trace_tokens: u64,
    /// When to check every index file's checksum: `start` (before serving; about 0.1 s per
    /// GB from the page cache, much longer from a cold disk), `background` (serve at once and
    /// check meanwhile: an index found damaged answers 503 and `/health` reports it), or `off`.
    /// Headers, sizes and build ids are always checked at start. An index that changes
    /// while served (an append, a compaction, a forced rebuild) is opened again and checked
    /// the same way (hashed unless `off`) before its new generation is served.
    #[arg(long, value_enum, default_value = "start")]
    verify: VerifyMode,
    /// Same as `--verify off`.
    #[arg(long)]
    no_verify: bool,
    /// Before serving, read every index file into the page cache in 2 MiB pages (Linux): the
    /// fastest state for queries on a large index, whose files may be cached in 4 KiB pages
    /// after a build or a copy. Takes as long as reading the index from disk once. A new
    /// generation of a served index (see `--verify`) is warmed too before it is served.
    #[arg(long)]
    warm: bool,
    /// How the index files are read: `memory` (2 MiB pages: each page fault reads 2 MiB,
    /// and the cached index is mapped with few TLB entries; the fastest queries once the
    /// index is in the page cache), `disk` (each page fault reads only the 4 KiB page it
    /// needs: for indexes larger than the memory left for the page cache, whose queries
    /// then read megabytes instead of gigabytes, and for the fastest first answers from a
    /// cold disk; the full-text index's files too), or `auto` (default): `memory` when the served indexes' files take at most
    /// half of the machine's memory (or of the container's memory limit), else `disk`;
    /// `memory` with `--warm`. A new generation of a served index (see `--verify`) is read
    /// as the one it replaces; with `auto`, the choice is judged again then, over every
    /// served index, so an index grown by appends past the limit is read from disk.
    #[arg(long, default_value = "auto")]
    residency: verbatim_core::Residency,
    /// The privacy filter on document text shown by traces, document views and search:
    /// `mask` e-mail addresses, phone numbers and IP addresses (default), `drop` every
    /// document holding one, or `off` (private deployments). Counts and spans are unaffected.
    #[arg(long, default_value = "mask")]
    pii: verbatim_core::pii::PiiMode,
}

/// When the server checks index checksums.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum VerifyMode {
    /// Before serving.
    Start,
    /// While serving, on a background thread.
    Background,
    /// Never.
    Off,
}

impl ServerFlags {
    fn verify_mode(&self) -> VerifyMode {
        if self.no_verify {
            VerifyMode::Off
        } else {
            self.verify
        }
    }
}

impl ServerFlags {
    fn config(&self) -> Result<ServerConfig> {
        if let Some(body) = self.max_body_bytes {
            if body < self.max_text_bytes {
                anyhow::bail!(
                    "--max-body-bytes {body} is below --max-text-bytes {}: a text near its limit \
                     could never arrive; give at least {} (the text, escaped, and the request's \
                     other fields), or leave --max-body-bytes out",
                    self.max_text_bytes,
                    self.max_text_bytes.saturating_add(64 << 10)
                );
            }
        }
        let mut c = ServerConfig {
            addr: self.addr,
            deadline: Duration::from_millis(self.deadline_ms.max(1)),
            max_text_bytes: self.max_text_bytes,
            cors_origins: self.cors_origin.clone(),
            cache_entries: self.cache_entries,
            max_trace_tokens: self.max_trace_tokens,
            max_items: self.max_items,
            pii: self.pii,
            header_read_timeout: Duration::from_secs(self.header_timeout_secs),
            body_read_timeout: Duration::from_secs(self.body_timeout_secs),
            ..ServerConfig::default()
        };
        c.max_body_bytes = self.max_body_bytes.unwrap_or_else(|| {
            c.max_body_bytes.max(
                self.max_text_bytes
                    .saturating_mul(3)
                    .saturating_add(64 << 10),
            )
        });
        if let Some(w) = self.workers {
            c.workers = w.max(1);
        }
        if let Some(q) = self.queue {
            c.queue = q;
        }
        Ok(c)
    }
}

/// Arguments of `verbatim serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Index directories to serve (repeatable).
    #[arg(long, required = true)]
    index: Vec<PathBuf>,
    /// JSON file of example outputs for the page: `[{"title","prompt","response"}]`.
    #[arg(long)]
    examples: Option<PathBuf>,
    /// A group of served indexes traced as one, `NAME=INDEX[:LABEL],...` in order, e.g.
    /// `olmo2=pre:pre-training,mid:mid-training,post:post-training` (repeatable; the
    /// indexes must share a tokenizer). `all` (every served index) needs no flag.
    #[arg(long)]
    group: Vec<verbatim_server::select::GroupSpec>,
    #[command(flatten)]
    server: ServerFlags,
}

/// Arguments of `verbatim demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Where the demo index is cached.
    #[arg(long)]
    cache_dir: Option<PathBuf>,
    /// Rebuild the demo index even if a cached one exists.
    #[arg(long)]
    rebuild: bool,
    /// Build the index and exit without serving.
    #[arg(long)]
    build_only: bool,
    #[command(flatten)]
    server: ServerFlags,
}

/// Advises every served index's files for `--residency` (`auto` judged on all of them
/// together), and says what was chosen.
fn advise(opened: &[Arc<verbatim_core::Index>], flags: &ServerFlags, limit: Option<u64>) {
    use verbatim_core::Residency;
    let asked = match flags.residency {
        Residency::Auto if flags.warm => Residency::Memory,
        r => r,
    };
    let (chosen, bytes) = verbatim_core::index::set_residency_together(
        opened.iter().map(|i| i.as_ref()),
        asked,
        limit,
    );
    let gib = |b: u64| b as f64 / (1u64 << 30) as f64;
    let why = match (flags.residency, limit) {
        (Residency::Auto, _) if flags.warm => " (auto, with --warm)".to_string(),
        (Residency::Auto, Some(l)) => format!(
            " (auto: {:.2} GiB of index files, {} half of the {:.1} GiB memory limit)",
            gib(bytes),
            if chosen == Residency::Disk {
                "over"
            } else {
                "within"
            },
            gib(l)
        ),
        (Residency::Auto, None) => " (auto: the memory limit is unknown)".to_string(),
        _ => String::new(),
    };
    eprintln!("residency: {chosen}{why}");
}

/// An index to serve: its directory, and the index itself when the caller has opened it
/// already (without hashing its files).
struct ToServe {
    dir: PathBuf,
    opened: Option<verbatim_core::Index>,
}

fn start(
    indexes: Vec<ToServe>,
    groups: &[verbatim_server::select::GroupSpec],
    examples: Option<&Path>,
    flags: &ServerFlags,
) -> Result<ExitCode> {
    let mode = flags.verify_mode();
    if flags.warm && flags.residency == verbatim_core::Residency::Disk {
        anyhow::bail!(
            "--warm reads every index file into memory, and --residency disk is for indexes that do not stay there: give one of them"
        );
    }
    // Warming drops only pages no process maps, so it comes before the checksum check, which
    // maps every page.
    let hash_at_open = mode == VerifyMode::Start && !flags.warm;
    let dirs: Vec<PathBuf> = indexes.iter().map(|i| i.dir.clone()).collect();
    let opened = indexes
        .into_iter()
        .map(|i| match i.opened {
            Some(index) => {
                if hash_at_open {
                    index
                        .verify_checksums()
                        .with_context(|| format!("cannot open index {}", i.dir.display()))?;
                }
                Ok(Arc::new(index))
            }
            None => super::open_index(&i.dir, hash_at_open).map(Arc::new),
        })
        .collect::<Result<Vec<_>>>()?;
    let limit = verbatim_core::sysmem::page_cache_limit();
    advise(&opened, flags, limit);
    if flags.warm {
        for (dir, index) in dirs.iter().zip(&opened) {
            let t = std::time::Instant::now();
            let r = verbatim_core::warm::warm(index)
                .with_context(|| format!("cannot read {} into the page cache", dir.display()))?;
            eprintln!(
                "warmed {}: {} files, {:.2} GiB in {:.1} s",
                dir.display(),
                r.files,
                r.bytes as f64 / (1u64 << 30) as f64,
                t.elapsed().as_secs_f64()
            );
            if mode == VerifyMode::Start {
                index
                    .verify_checksums()
                    .with_context(|| format!("cannot open index {}", dir.display()))?;
            }
        }
    }
    let examples = match examples {
        Some(p) => Some(
            serde_json::from_slice(
                &std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?,
            )
            .with_context(|| format!("{} is not JSON", p.display()))?,
        ),
        None => None,
    };
    let reload = verbatim_server::ReloadOptions {
        verify: mode != VerifyMode::Off,
        warm: flags.warm,
        residency: match flags.residency {
            verbatim_core::Residency::Auto if !flags.warm => {
                verbatim_server::ReloadResidency::Auto { limit }
            }
            _ => verbatim_server::ReloadResidency::Keep,
        },
    };
    let state = Arc::new(
        AppState::new(flags.config()?, opened, examples)?
            .with_groups(groups)?
            .with_reload(reload),
    );
    match mode {
        VerifyMode::Start => {}
        VerifyMode::Off => state.mark_unverified(),
        VerifyMode::Background => state.verify_in_background(),
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(verbatim_server::serve(state))?;
    Ok(ExitCode::SUCCESS)
}

/// Runs `verbatim serve`.
pub fn run(a: Args) -> Result<ExitCode> {
    let indexes = a
        .index
        .into_iter()
        .map(|dir| ToServe { dir, opened: None })
        .collect();
    start(indexes, &a.group, a.examples.as_deref(), &a.server)
}

/// The repository's `corpora/demo` (the binary is meant to run from its checkout).
fn demo_dir() -> Result<PathBuf> {
    let candidates = [
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpora/demo"),
        PathBuf::from("corpora/demo"),
    ];
    candidates
        .into_iter()
        .find(|p| p.join("demo.jsonl.zst").exists())
        .context("cannot find corpora/demo/demo.jsonl.zst; run verbatim demo from the repository checkout")
}

/// Runs `verbatim demo`: builds the demo index once (cached), then serves it.
pub fn run_demo(a: DemoArgs) -> Result<ExitCode> {
    let demo = demo_dir()?;
    let cache = a
        .cache_dir
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/verbatim-demo"));
    let out = cache.join("demo-index");
    let corpus = demo.join("demo.jsonl.zst");
    let tokenizer = demo.join("tokenizer.json");
    let same_corpus = !a.rebuild
        && verbatim_core::Manifest::read(&out).is_ok_and(|(m, _)| {
            let want = std::fs::metadata(&corpus).map(|x| x.len()).ok();
            m.inputs.len() == 1 && Some(m.inputs[0].bytes) == want
        });
    // A cache written by an older verbatim may no longer open (e.g. its suffix samples): it
    // is rebuilt rather than refused, since the demo owns it. One that opens is served as
    // opened here.
    let cached = if same_corpus {
        match super::open_index(&out, false) {
            Ok(index) => Some(index),
            Err(e) => {
                eprintln!("the cached demo index cannot be used ({e:#}); rebuilding it");
                None
            }
        }
    } else {
        None
    };
    if cached.is_some() {
        eprintln!("using the cached demo index at {}", out.display());
    } else {
        eprintln!(
            "building the demo index (first run only) at {} ...",
            out.display()
        );
        let mut opts = verbatim_indexer::BuildOptions::new(
            vec![corpus],
            out.clone(),
            tokenizer.display().to_string(),
        );
        opts.name = "demo".into();
        opts.force = true;
        opts.progress = std::io::IsTerminal::is_terminal(&std::io::stderr());
        let s = verbatim_indexer::build(&opts)?;
        eprintln!(
            "built: {} documents, {} tokens in {:.1}s",
            s.manifest.documents,
            s.manifest.tokens,
            s.manifest.timings.get("total").copied().unwrap_or(0.0)
        );
    }
    if a.build_only {
        return Ok(ExitCode::SUCCESS);
    }
    let examples = demo.join("examples.json");
    let index = ToServe {
        dir: out,
        opened: cached,
    };
    start(
        vec![index],
        &[],
        examples.exists().then_some(examples.as_path()),
        &a.server,
    )
}
