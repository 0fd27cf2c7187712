//! Where a query's parallel parts run.
//!
//! By default (`threads=None`) a query runs on one process-wide pool with a thread per core:
//! the lowest latency for one caller. It is handed to the pool once, and all its parallel
//! parts stay there (called from a Python thread directly, each `par_iter` of a trace would
//! be a hand-off of its own, and on a busy machine every wake-up of a sleeping thread can wait
//! for another process's time slice).
//!
//! A caller that runs many queries at once from its own threads (a thread pool, a Ray actor
//! with several slots) gets more throughput when each query stays on as few cores as it asks
//! for: `Index(path, threads=N)` runs each query on a pool of `N` threads that belongs to the
//! calling thread and counts it as its first thread, so `T` Python threads use `T x N` cores,
//! never queue behind each other's work, and with `N = 1` a query runs on the calling thread
//! itself, with no hand-off at all.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

thread_local! {
    static POOLS: RefCell<HashMap<usize, Arc<rayon::ThreadPool>>> = RefCell::new(HashMap::new());
}

/// The process-wide pool of `threads=None` queries and of contamination checks (one thread
/// per core, or `RAYON_NUM_THREADS`).
fn shared() -> &'static rayon::ThreadPool {
    static SHARED: OnceLock<rayon::ThreadPool> = OnceLock::new();
    SHARED.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .thread_name(|i| format!("verbatim-query-{i}"))
            .build()
            // Building a pool only fails when threads cannot be spawned at all.
            .unwrap_or_else(|e| panic!("cannot start query threads: {e}"))
    })
}

/// A pool of `n` threads for the calling thread. The calling thread becomes its first
/// thread when it is in no pool yet (rayon allows a thread in one pool only): then `install`
/// runs work on the calling thread directly and only `n - 1` threads are started. rayon
/// never frees such a pool (its bookkeeping, a few KB, stays when the thread ends).
fn build_own(n: usize) -> rayon::ThreadPool {
    let builder = || {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .thread_name(move |i| format!("verbatim-query-{n}-{i}"))
    };
    if rayon::current_thread_index().is_none() {
        if let Ok(pool) = builder().use_current_thread().build() {
            return pool;
        }
    }
    builder()
        .build()
        // Building a pool only fails when threads cannot be spawned at all.
        .unwrap_or_else(|e| panic!("cannot start {n} query threads: {e}"))
}

/// Runs `f` with its rayon work on the process-wide pool (`threads == None`) or on the
/// calling thread's own pool of `threads` threads.
pub fn run<R: Send>(threads: Option<usize>, f: impl FnOnce() -> R + Send) -> R {
    let Some(n) = threads else {
        return shared().install(f);
    };
    let pool = POOLS.with(|p| {
        p.borrow_mut()
            .entry(n)
            .or_insert_with(|| Arc::new(build_own(n)))
            .clone()
    });
    pool.install(f)
}
