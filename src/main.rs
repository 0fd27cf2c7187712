//! `verbatim`: find which spans of a language model's output appear verbatim in its training
//! corpus, and the documents behind each span.
//!
//! One binary, one subcommand per file in `cmd/`.

/// `println!` that returns an error instead of panicking (e.g. on a closed pipe).
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout(), $($arg)*)?
    }};
}

mod cmd;
mod output;

/// mimalloc instead of the system allocator: tokenization allocates many small, short-lived
/// buffers across threads, where glibc malloc spent a quarter of the build's time
/// (measured with `perf record` on `verbatim index`, see benches/RESULTS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;

/// Returns the memory mimalloc keeps in its free lists and arenas to the operating system:
/// called by the indexer before a shard's suffix array, its memory peak (measured: 10–40 MiB
/// less peak on `medium`, the reading stage's freed buffers).
#[allow(unsafe_code)]
fn release_allocator_memory() {
    // SAFETY: `mi_collect` has no preconditions: it frees unused pages of mimalloc's heaps
    // and purges its arenas; it never touches live allocations.
    unsafe { libmimalloc_sys::mi_collect(true) }
}

fn main() -> std::process::ExitCode {
    verbatim_indexer::memory::set_release_hook(release_allocator_memory);
    let cli = cmd::Cli::parse();
    init_logging(cli.verbose, cli.log_json);
    match cmd::run(cli) {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::from(1)
        }
    }
}

/// Whether the error is a closed standard output (`verbatim ... | head`), which is not a failure.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn init_logging(verbose: u8, json: bool) {
    use tracing_subscriber::EnvFilter;
    let default = match verbose {
        // Reloads are rare and change what is served: they are printed by default.
        0 => "warn,verbatim_server::reload=info,tantivy=error",
        1 => "info,tantivy=warn",
        _ => "debug",
    };
    let filter =
        EnvFilter::try_from_env("VERBATIM_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    // Colours only on a terminal: logs written to a file or a journal stay plain text.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}
