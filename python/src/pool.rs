//! Where a query's parallel parts run.
//!
//! By default a query fans out over rayon's global pool (one thread per core): the lowest
//! latency for one caller. A caller that runs many queries at once from its own threads (a
//! thread pool, a Ray actor with several slots) gets more throughput when each query stays on
//! as few cores as it asks for: `Index(path, threads=N)` runs each query on a pool of `N`
//! threads that belongs to the calling thread, so `T` Python threads use `T x N` cores and
//! never queue behind each other's work.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

thread_local! {
    static POOLS: RefCell<HashMap<usize, Arc<rayon::ThreadPool>>> = RefCell::new(HashMap::new());
}

/// Runs `f` with its rayon work on the global pool (`threads == None`) or on the calling
/// thread's own pool of `threads` threads.
pub fn run<R: Send>(threads: Option<usize>, f: impl FnOnce() -> R + Send) -> R {
    let Some(n) = threads else { return f() };
    let pool = POOLS.with(|p| {
        p.borrow_mut()
            .entry(n)
            .or_insert_with(|| {
                Arc::new(
                    rayon::ThreadPoolBuilder::new()
                        .num_threads(n)
                        .thread_name(move |i| format!("verbatim-query-{n}-{i}"))
                        .build()
                        // Building a pool only fails when threads cannot be spawned at all.
                        .unwrap_or_else(|e| panic!("cannot start {n} query threads: {e}")),
                )
            })
            .clone()
    });
    pool.install(f)
}
