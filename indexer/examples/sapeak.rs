//! Peak memory of one suffix-array build: `cargo run --release -p verbatim-indexer --example
//! sapeak -- SHARD/tokens.bin [TOKENS]` reads a u16 token stream (after its 64-byte header),
//! builds its suffix array with libsais as the indexer does, and prints the resident memory
//! before and after (to calibrate `memory.rs`).

fn status(what: &str) {
    let s = std::fs::read_to_string("/proc/self/status").unwrap();
    let get = |k: &str| {
        s.lines()
            .find(|l| l.starts_with(k))
            .map(|l| l.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() / 1024)
            .unwrap()
    };
    eprintln!(
        "{what:>28}: RSS {:>6} MiB, peak {:>6} MiB",
        get("VmRSS:"),
        get("VmHWM:")
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let bytes = std::fs::read(&args[1]).unwrap();
    let n = args
        .get(2)
        .map_or((bytes.len() - 64) / 2, |s| s.parse().unwrap());
    let mut tokens: Vec<u16> = bytemuck::cast_slice(&bytes[64..64 + 2 * n]).to_vec();
    drop(bytes);
    status("tokens loaded");
    let t = std::time::Instant::now();
    let sa = verbatim_indexer::suffix_array::build(&mut tokens, 50_281, 2).unwrap();
    status("suffix array built");
    eprintln!(
        "{n} tokens in {:.1} s; {:.2} bytes/token in the suffix array",
        t.elapsed().as_secs_f64(),
        (sa.len() * 4) as f64 / n as f64
    );
}
